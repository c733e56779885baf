// docs/usb.md makes claims an IT engineer will act on: rule examples they copy, GUIDs they check in
// regedit, the commands the Windows adapter runs. This suite keeps those claims tied to the code.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFakeRegExe, FRESH_WINDOWS_REGISTRY } from '../../src/agent/platform/windows/fake-reg-exe';
import { createRegExeUsbPolicy, NEVER_DENIED_SETUP_CLASSES } from '../../src/agent/platform/windows';
import { DeniableSetupClass, StorageInterfaceClass } from '../../src/agent/platform/windows/windows-usb-classes';
import { parsePolicyText } from '../../src/shared/policy';
import { parseUsbRule } from '../../src/shared/usb-rules';
import { repoRoot } from '../helpers/mng';

const doc = readFileSync(path.join(repoRoot, 'docs/usb.md'), 'utf8');
const [japanese = '', english = ''] = doc.split('\n## English\n');

/** Lines inside fenced code blocks that start with a rule target. */
function ruleExamples(text: string): string[] {
  const rules: string[] = [];
  let inBlock = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) {
      inBlock = !inBlock;
      continue;
    }
    if (inBlock && /^(?:allow|block|reject|read-only) /.test(line)) rules.push(line);
  }
  return rules;
}

describe('docs/usb.md', () => {
  it('has a Japanese part first and an English part', () => {
    expect(japanese).toContain('## 日本語');
    expect(english.length).toBeGreaterThan(1000);
  });

  it('every rule example parses', () => {
    const examples = [...ruleExamples(japanese), ...ruleExamples(english)];
    expect(examples.length).toBeGreaterThanOrEqual(14);
    for (const rule of examples) {
      const parsed = parseUsbRule(rule);
      expect(parsed.ok ? 'ok' : `${rule}: ${parsed.error.message.en}`).toBe('ok');
    }
  });

  it('shows the default policy rules as they are in policies/mynumber-zone.yaml', () => {
    const policy = parsePolicyText(readFileSync(path.join(repoRoot, 'policies/mynumber-zone.yaml'), 'utf8'));
    if (!policy.ok) throw new Error('default policy');
    for (const part of [japanese, english]) for (const rule of policy.policy.spec.usb.rules) expect(part).toContain(rule);
  });

  it('lists the GUIDs the Windows adapter uses, in both languages', () => {
    const guids = [...Object.values(StorageInterfaceClass), ...Object.values(DeniableSetupClass), ...NEVER_DENIED_SETUP_CLASSES.map((c) => c.guid)];
    for (const part of [japanese, english]) for (const guid of guids) expect(part).toContain(guid);
  });

  it('says the Windows adapter has not run on Windows, in both languages', () => {
    expect(japanese).toContain('Windows 上ではまだ動かしていません');
    expect(english).toContain('it has not run on Windows');
  });

  it('counts the commands of the default policy on a fresh Windows correctly', async () => {
    const fake = createFakeRegExe(FRESH_WINDOWS_REGISTRY);
    const adapter = createRegExeUsbPolicy({ runner: fake, regExePath: 'reg.exe' });
    const policy = parsePolicyText(readFileSync(path.join(repoRoot, 'policies/mynumber-zone.yaml'), 'utf8'));
    if (!policy.ok) throw new Error('default policy');
    const prepared = await adapter.prepare(adapter.plan({ policy: policy.policy, nowMs: Date.parse('2026-06-01T00:00:00Z') }));
    if (!prepared.ok) throw new Error(prepared.error.message.en);
    const adds = prepared.value.commands.filter((command) => command.args[0] === 'add');
    expect(adds).toHaveLength(prepared.value.commands.length);
    expect(japanese).toContain(`${adds.length} 個の \`reg.exe add\``);
    expect(english).toContain(`runs ${adds.length} \`reg.exe add\` commands`);
    const under = (prefix: string) => adds.filter((command) => command.args[1]?.startsWith(prefix)).length;
    expect(under('HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\RemovableStorageDevices')).toBe(16);
    expect(under('HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\DeviceInstall\\Restrictions')).toBe(9);
    expect(english).toContain('16 under\nRemovableStorageDevices, 9 under Restrictions');
  });
});
