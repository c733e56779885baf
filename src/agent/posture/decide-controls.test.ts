import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePolicyText, type ZonePolicy } from '../../shared/policy';
import { decideControlStatuses, type PolicyView } from './decide-controls';
import type { HostFacts } from './model';
import { formatSummary, type AgentSummary } from './summary';

const parsed = parsePolicyText(readFileSync(new URL('../../../policies/mynumber-zone.yaml', import.meta.url), 'utf8'));
if (!parsed.ok) throw new Error('the default policy must parse');
const policy: ZonePolicy = parsed.policy;

const facts: HostFacts = {
  os: { platform: 'linux', distro: 'Debian GNU/Linux', release: '12', kernel: '6.1.0', arch: 'x64' },
  hostname: 'mn-terminal-01',
  machineId: '0123456789abcdef0123456789abcdef',
  interfaces: [
    { name: 'lo', addresses: ['127.0.0.1'], internal: true, up: true },
    { name: 'eth0', addresses: ['10.20.1.15'], internal: false, up: true },
  ],
  defaultGateway: '10.20.0.1',
  tools: [
    { name: 'lsusb', neededBy: 'usb', present: false },
    { name: 'ip', neededBy: 'isolation', present: true },
  ],
};

const active: PolicyView = { state: 'active', policy, id: policy.metadata.id, version: 7, keyId: 'ab'.repeat(16), notAfter: policy.metadata.notAfter };
const audit = { path: '/var/lib/mynumber-guard/audit.jsonl', lastSeq: 42, integrity: 'ok' as const };

describe('decideControlStatuses', () => {
  it('reports every control, and never calls a control this build does not carry out enforced', () => {
    for (const mode of ['monitor', 'enforce'] as const) {
      const statuses = decideControlStatuses({ policy: active, audit, facts, mode });
      expect(statuses.map((status) => status.control)).toEqual(['policy', 'audit', 'usb', 'media', 'channels', 'isolation', 'mfa', 'reporting']);
      for (const status of statuses.slice(2)) {
        expect(status.state).toBe('pending');
        expect(status.summary.en).toMatch(/not carried out by this build yet/);
        expect(status.summary.ja).toMatch(/この版では未実施/);
        expect(status.implements.length).toBeGreaterThan(0);
      }
    }
  });

  it.each([
    ['active', 'ok', /version 7, signature verified/],
    ['expired', 'degraded', /expired \(stays in force until a new policy arrives\)/],
    ['not-yet-valid', 'degraded', /not yet valid/],
  ] as const)('policy state %s → %s', (state, expected, text) => {
    const [status] = decideControlStatuses({ policy: { ...active, state }, audit, facts, mode: 'enforce' });
    expect(status?.state).toBe(expected);
    expect(status?.summary.en).toMatch(text);
  });

  it('says default deny when no policy is in force, and names the last refusal', () => {
    const statuses = decideControlStatuses({
      policy: { state: 'none', policy: undefined, lastRejection: { code: 'unknown-key', message: { ja: '不明な鍵', en: 'unknown key' } } },
      audit,
      facts,
      mode: 'enforce',
    });
    expect(statuses[0]).toMatchObject({ control: 'policy', state: 'failed' });
    expect(statuses[0]?.summary.en).toBe('no policy in force: everything is denied by default; last refused: unknown-key (unknown key)');
    expect(statuses[0]?.summary.ja).toContain('直近の拒否: unknown-key');
    for (const status of statuses.slice(2)) expect(status.summary.en).toMatch(/^no policy: default deny/);
  });

  it('names missing tools for the control that needs them, and the observed network', () => {
    const statuses = decideControlStatuses({ policy: active, audit, facts, mode: 'monitor' });
    const usb = statuses.find((status) => status.control === 'usb');
    const isolation = statuses.find((status) => status.control === 'isolation');
    expect(usb?.summary.en).toMatch(/missing tools: lsusb$/);
    expect(isolation?.summary.en).toContain('observed: eth0 10.20.1.15, default gateway 10.20.0.1');
    expect(isolation?.summary.en).not.toContain('missing tools');
    const withoutFacts = decideControlStatuses({ policy: active, audit, facts: undefined, mode: 'monitor' });
    expect(withoutFacts.find((status) => status.control === 'isolation')?.summary.en).toContain('host facts unavailable');
  });

  it('flags an audit log found damaged at start', () => {
    const [, status] = decideControlStatuses({ policy: active, audit: { ...audit, integrity: 'problems-found' }, facts, mode: 'monitor' });
    expect(status?.state).toBe('degraded');
    expect(status?.summary.en).toMatch(/run mng audit verify/);
  });
});

describe('formatSummary', () => {
  const summary: AgentSummary = {
    agentVersion: '0.1.0',
    mode: 'monitor',
    generatedAt: '2026-11-26T00:00:00.000Z',
    host: { hostname: 'mn-terminal-01', os: 'Debian GNU/Linux 12', machineId: facts.machineId },
    policy: { state: 'active', id: policy.metadata.id, version: 7, keyId: 'ab'.repeat(16), signature: 'verified' },
    controls: decideControlStatuses({ policy: active, audit, facts, mode: 'monitor' }),
  };

  it('renders Japanese with aligned columns and the clauses each control implements', () => {
    const text = formatSummary(summary, 'ja');
    expect(text).toContain('監視モード（観測と報告のみ、端末の設定は変更しません）');
    expect(text).toContain('マシンID:  0123456789abcdef0123456789abcdef');
    const rows = text.split('\n').filter((line) => line.includes('['));
    expect(rows).toHaveLength(8);
    // Wide characters count double: every state bracket starts in the same terminal column.
    const columns = rows.map((row) => {
      const before = row.slice(0, row.indexOf('['));
      return [...before].reduce((width, char) => width + ((char.codePointAt(0) ?? 0) > 0x2e80 ? 2 : 1), 0);
    });
    expect(new Set(columns).size).toBe(1);
    expect(text).toContain('根拠: 芽室町ISP 1-6-(3)-ア');
  });

  it('renders English', () => {
    const text = formatSummary(summary, 'en');
    expect(text).toContain('monitor mode (observe and report, change nothing)');
    expect(text).toMatch(/Zone policy\s+\[ok\]/);
    expect(text).toMatch(/USB devices\s+\[pending\]/);
  });
});
