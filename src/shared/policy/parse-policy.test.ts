import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, MAX_POLICY_TEXT_BYTES, parsePolicyText, type PolicyDiagnostic } from './index';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const defaultPolicyPath = path.join(repoRoot, 'policies/mynumber-zone.yaml');
const defaultPolicy = readFileSync(defaultPolicyPath, 'utf8');
const fixturesDir = path.join(repoRoot, 'test/fixtures/policy');

/** 1-based line and column of the `nth` occurrence of `needle` (fails the test when absent). */
function positionOf(text: string, needle: string, nth = 1): { line: number; column: number } {
  let index = -1;
  for (let i = 0; i < nth; i += 1) {
    index = text.indexOf(needle, index + 1);
    if (index === -1) throw new Error(`needle ${JSON.stringify(needle)} (#${nth}) not found`);
  }
  const before = text.slice(0, index);
  const line = before.split('\n').length;
  return { line, column: index - before.lastIndexOf('\n') };
}

/** Replaces the one occurrence of `from` (fails when it is missing or ambiguous, so cases stay honest). */
function edit(text: string, from: string, to: string): string {
  const first = text.indexOf(from);
  if (first === -1 || text.indexOf(from, first + 1) !== -1) throw new Error(`edit target ${JSON.stringify(from)} must occur exactly once`);
  return text.slice(0, first) + to + text.slice(first + from.length);
}

function diagnosticsOf(text: string): PolicyDiagnostic[] {
  const result = parsePolicyText(text);
  return result.ok ? result.warnings : result.diagnostics;
}

/** Every diagnostic carries text in both languages and renders as one compiler-style line. */
function expectRenderable(d: PolicyDiagnostic): void {
  expect(d.message.ja.trim()).not.toBe('');
  expect(d.message.en.trim()).not.toBe('');
  expect(d.message.ja).toMatch(/[\u3040-\u30ff\u4e00-\u9fff]/);
  const where = d.line > 0 ? `policy.yaml:${d.line}:${d.column}` : 'policy.yaml';
  const ja = formatDiagnostic(d, 'ja', 'policy.yaml');
  const en = formatDiagnostic(d, 'en', 'policy.yaml');
  expect(ja).toBe(`${where}: ${d.severity === 'error' ? 'エラー' : '警告'}: ${d.message.ja} [${d.code}]`);
  expect(en).toBe(`${where}: ${d.severity}: ${d.message.en} [${d.code}]`);
  expect(ja).not.toContain('\n');
  expect(en).not.toContain('\n');
}

describe('parsePolicyText: the default policy', () => {
  it('parses policies/mynumber-zone.yaml with no errors and no warnings', () => {
    const result = parsePolicyText(defaultPolicy);
    expect(result.ok ? result.warnings : result.diagnostics.map((d) => formatDiagnostic(d, 'en', 'mynumber-zone.yaml'))).toEqual([]);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.policy.metadata.zone).toBe('myNumber');
    expect(result.policy.spec.usb.defaultTarget).toBe('block');
    expect(Object.values(result.policy.spec.media.classes).every((action) => action === 'deny')).toBe(true);
    expect(result.policy.spec.mfa.totp).toEqual({ algorithm: 'SHA1', digits: 6, periodSeconds: 30, driftSteps: 1 });
    for (const section of Object.values(result.policy.spec)) expect(section.implements.length).toBeGreaterThan(0);
    expect(result.policy.spec.isolation.implements).toContain('芽室町ISP 1-6-(3)-ア');
  });

  it('reads the same with Windows (CRLF) line endings and a BOM', () => {
    const lf = parsePolicyText(defaultPolicy);
    const crlf = parsePolicyText(`\ufeff${defaultPolicy.replace(/\n/g, '\r\n')}`);
    expect(crlf.ok).toBe(true);
    if (lf.ok && crlf.ok) expect(crlf.policy).toEqual(lf.policy);
    const broken = parsePolicyText(edit(defaultPolicy, 'digits: 6', 'digits: 7').replace(/\n/g, '\r\n'));
    expect(broken.ok ? [] : broken.diagnostics.map((d) => [d.line, d.column])).toEqual([[positionOf(defaultPolicy, '6\n      periodSeconds').line, positionOf(defaultPolicy, '6\n      periodSeconds').column]]);
  });

  it('starts with the yaml-language-server schema comment', () => {
    expect(defaultPolicy.split('\n')[0]).toBe('# yaml-language-server: $schema=./schema.json');
  });
});

interface BadCase {
  readonly name: string;
  readonly text: string;
  readonly code: string;
  /** Expected place of the first diagnostic with `code`; 0:0 for whole-file findings. */
  readonly at: { line: number; column: number };
  /** When set, the diagnostic's message must mention this (in both languages). */
  readonly mentions?: string;
  /** When set, the number of diagnostics must be exactly this. */
  readonly count?: number;
}

const WHOLE_FILE = { line: 0, column: 0 };

function deterministicBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i += 1) {
    // xorshift32: reproducible "random" bytes without a clock or Math.random.
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

const garbage = new TextDecoder('utf-8').decode(deterministicBytes(4096, 0x5eed));
const firstBad = (() => {
  const index = [...garbage].length === 0 ? -1 : garbage.search(/[\u0000\ufffd]/);
  const before = garbage.slice(0, index);
  return { line: before.split('\n').length, column: index - before.lastIndexOf('\n') };
})();

const tooDeep = `extra: ${'['.repeat(40)}${']'.repeat(40)}\n`;

const badCases: BadCase[] = [
  // Text that is not a policy at all.
  { name: 'empty file', text: '', code: 'policy-empty', at: WHOLE_FILE, count: 1 },
  { name: 'only white space', text: '  \n\n\t\n', code: 'policy-empty', at: WHOLE_FILE, count: 1 },
  { name: 'only comments', text: '# nothing here\n# まだ空\n', code: 'policy-empty', at: WHOLE_FILE, count: 1 },
  { name: 'top-level scalar', text: '42\n', code: 'policy-not-mapping', at: { line: 1, column: 1 }, count: 1 },
  { name: 'top-level string', text: '\n"just a string"\n', code: 'policy-not-mapping', at: { line: 2, column: 1 }, count: 1 },
  { name: 'top-level array', text: '- apiVersion: mynumber-guard/v1\n', code: 'policy-not-mapping', at: { line: 1, column: 1 }, count: 1 },
  { name: 'NUL byte', text: 'apiVersion: x\u0000\nkind: y\u0000\n', code: 'policy-binary', at: { line: 1, column: 14 }, count: 1, mentions: 'NUL' },
  { name: 'invalid UTF-8 (replacement character)', text: 'kind: \ufffd\n', code: 'policy-binary', at: { line: 1, column: 7 }, count: 1, mentions: 'U+FFFD' },
  { name: 'binary garbage (random bytes decoded as UTF-8)', text: garbage, code: 'policy-binary', at: firstBad, count: 1 },
  { name: 'lone surrogate', text: 'kind: \ud800x\n', code: 'policy-binary', at: { line: 1, column: 7 }, count: 1 },
  { name: 'control character', text: 'kind: a\u0007b\n', code: 'policy-control-character', at: { line: 1, column: 8 }, count: 1, mentions: 'U+0007' },
  { name: 'classic Mac line endings (bare CR)', text: 'kind: x\rspec: y\r', code: 'policy-line-ending', at: { line: 1, column: 8 }, count: 1 },
  {
    name: 'bidi override hidden in a comment (Trojan Source)',
    text: 'kind: ZonePolicy # ok\u202e\n',
    code: 'policy-control-character',
    at: { line: 1, column: 22 },
    count: 1,
    mentions: 'U+202E',
  },
  {
    name: 'text larger than 1 MiB',
    text: `# ${'a'.repeat(MAX_POLICY_TEXT_BYTES)}\n`,
    code: 'policy-too-large',
    at: WHOLE_FILE,
    count: 1,
    mentions: String(MAX_POLICY_TEXT_BYTES),
  },
  {
    name: 'multi-byte text larger than 1 MiB in UTF-8 but not in characters',
    text: `# ${'あ'.repeat(400_000)}\n`,
    code: 'policy-too-large',
    at: WHOLE_FILE,
    count: 1,
  },

  // YAML that is malformed or uses refused constructs.
  { name: 'unclosed flow sequence', text: 'kind: [a, b\n', code: 'yaml-syntax', at: { line: 2, column: 1 } },
  { name: 'tab indentation', text: 'spec:\n\tusb: 1\n', code: 'yaml-syntax', at: { line: 2, column: 1 }, mentions: 'タブ' },
  { name: 'inconsistent indentation', text: 'a:\n  b: 1\n c: 2\n', code: 'yaml-syntax', at: { line: 3, column: 1 } },
  { name: 'unclosed quote', text: 'kind: "ZonePolicy\n', code: 'yaml-syntax', at: { line: 1, column: 7 }, mentions: '"' },
  {
    name: 'duplicate key in the default policy',
    text: edit(defaultPolicy, '    wifi: block\n', '    wifi: block\n    wifi: allow\n'),
    code: 'yaml-duplicate-key',
    at: positionOf(edit(defaultPolicy, '    wifi: block\n', '    wifi: block\n    wifi: allow\n'), 'wifi: allow'),
    mentions: 'wifi',
  },
  {
    name: 'multiple documents',
    text: `${defaultPolicy}---\nkind: ZonePolicy\n`,
    code: 'yaml-multiple-documents',
    at: positionOf(`${defaultPolicy}---\n`, '---'),
  },
  { name: 'anchor', text: edit(defaultPolicy, 'defaultTarget: block', 'defaultTarget: &t block'), code: 'yaml-anchor', at: positionOf(edit(defaultPolicy, 'defaultTarget: block', 'defaultTarget: &t block'), '&t') },
  {
    name: 'alias (billion laughs building block)',
    text: 'a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n',
    code: 'yaml-alias',
    at: { line: 2, column: 8 },
  },
  { name: 'merge key', text: 'metadata:\n  <<: {id: x}\n', code: 'yaml-merge-key', at: { line: 2, column: 3 } },
  { name: 'explicit tag', text: edit(defaultPolicy, 'digits: 6', 'digits: !!int 6'), code: 'yaml-tag', at: positionOf(edit(defaultPolicy, 'digits: 6', 'digits: !!int 6'), '!!int 6') },
  { name: 'custom tag', text: 'kind: !ZonePolicy x\n', code: 'yaml-tag', at: { line: 1, column: 7 } },
  { name: '%YAML 1.1 directive', text: '%YAML 1.1\n---\nkind: ZonePolicy\n', code: 'yaml-directive', at: { line: 1, column: 1 } },
  { name: 'non-string key', text: 'kind: ZonePolicy\n1: one\n', code: 'yaml-key-not-string', at: { line: 2, column: 1 } },
  { name: 'boolean key', text: 'true: yes\n', code: 'yaml-key-not-string', at: { line: 1, column: 1 } },
  { name: 'hex number', text: edit(defaultPolicy, 'port: 443\n        zone: lgwan', 'port: 0x1bb\n        zone: lgwan'), code: 'yaml-number-format', at: positionOf(edit(defaultPolicy, 'port: 443\n        zone: lgwan', 'port: 0x1bb\n        zone: lgwan'), '0x1bb') },
  { name: 'octal number', text: edit(defaultPolicy, 'version: 2', 'version: 0o17'), code: 'yaml-number-format', at: positionOf(defaultPolicy, '2\n  issuer') },
  { name: 'nesting deeper than 32 levels', text: tooDeep, code: 'yaml-too-deep', at: { line: 1, column: 40 } },

  // Schema: unknown fields, types, ranges, required fields.
  { name: 'unknown top-level field', text: `${defaultPolicy}extra: 1\n`, code: 'unknown-field', at: positionOf(`${defaultPolicy}extra: 1\n`, 'extra: 1'), mentions: 'extra' },
  {
    name: '__proto__ is just an unknown field',
    text: `${defaultPolicy}__proto__: {polluted: true}\n`,
    code: 'unknown-field',
    at: positionOf(`${defaultPolicy}__proto__: {polluted: true}\n`, '__proto__'),
  },
  {
    name: 'misspelt nested field suggests the right name',
    text: edit(defaultPolicy, 'defaultTarget: block', 'defaultTaget: block'),
    code: 'unknown-field',
    at: positionOf(edit(defaultPolicy, 'defaultTarget: block', 'defaultTaget: block'), 'defaultTaget'),
    mentions: 'defaultTarget',
  },
  {
    name: 'unknown field deep inside a list item',
    text: edit(defaultPolicy, '        port: 53\n', '        port: 53\n        protocol: udp\n'),
    code: 'unknown-field',
    at: positionOf(edit(defaultPolicy, '        port: 53\n', '        port: 53\n        protocol: udp\n'), 'protocol'),
  },
  {
    name: 'missing required field points at the parent mapping',
    text: edit(defaultPolicy, '    automount: block\n', ''),
    code: 'missing-field',
    at: { line: positionOf(defaultPolicy, '\n  media:\n').line + 1, column: 3 },
    mentions: 'automount',
  },
  { name: 'missing spec', text: 'apiVersion: mynumber-guard/v1\nkind: ZonePolicy\nmetadata: {}\n', code: 'missing-field', at: { line: 1, column: 1 }, mentions: 'spec' },
  { name: 'wrong apiVersion', text: edit(defaultPolicy, 'apiVersion: mynumber-guard/v1', 'apiVersion: mynumber-guard/v2'), code: 'invalid-value', at: positionOf(defaultPolicy, 'mynumber-guard/v1'), count: 1 },
  { name: 'quoted number', text: edit(defaultPolicy, 'periodSeconds: 30', 'periodSeconds: "30"'), code: 'invalid-type', at: positionOf(defaultPolicy, '30\n      driftSteps'), mentions: '"30"' },
  { name: 'quoted number for a fixed choice', text: edit(defaultPolicy, 'digits: 6', 'digits: "6"'), code: 'invalid-value', at: positionOf(defaultPolicy, '6\n      periodSeconds'), mentions: '引用符' },
  { name: 'digits 7', text: edit(defaultPolicy, 'digits: 6', 'digits: 7'), code: 'invalid-value', at: positionOf(defaultPolicy, '6\n      periodSeconds'), mentions: '7' },
  { name: 'YAML 1.1 boolean word stays a string', text: edit(defaultPolicy, 'bluetooth: block', 'bluetooth: no'), code: 'invalid-value', at: positionOf(defaultPolicy, 'block\n    wifi'), mentions: '"no"' },
  { name: 'yes is not a boolean', text: edit(defaultPolicy, 'lockUntilAdminReset: true', 'lockUntilAdminReset: yes'), code: 'invalid-type', at: positionOf(defaultPolicy, 'true\n    # トークン'), mentions: 'true' },
  { name: 'list where a string is expected', text: edit(defaultPolicy, 'issuer: mynumber-guard 既定ポリシー / default policy', 'issuer: [a, b]'), code: 'invalid-type', at: positionOf(defaultPolicy, 'mynumber-guard 既定'), count: 1 },
  { name: 'empty value', text: edit(defaultPolicy, 'issuer: mynumber-guard 既定ポリシー / default policy', 'issuer:'), code: 'invalid-type', at: positionOf(defaultPolicy, 'issuer:') },
  { name: 'period below range', text: edit(defaultPolicy, 'periodSeconds: 30', 'periodSeconds: 10'), code: 'out-of-range', at: positionOf(defaultPolicy, '30\n      driftSteps'), mentions: '15' },
  { name: 'port above range', text: edit(defaultPolicy, 'port: 53', 'port: 70000'), code: 'out-of-range', at: positionOf(defaultPolicy, '53\n        zone'), mentions: '65535' },
  { name: 'fractional version', text: edit(defaultPolicy, 'version: 2', 'version: 1.5'), code: 'invalid-type', at: positionOf(defaultPolicy, '2\n  issuer'), mentions: '1.5' },
  { name: 'version 0', text: edit(defaultPolicy, 'version: 2', 'version: 0'), code: 'out-of-range', at: positionOf(defaultPolicy, '2\n  issuer') },
  { name: 'bad policy id', text: edit(defaultPolicy, 'id: mynumber-zone-default', 'id: MyNumber_Zone'), code: 'invalid-format', at: positionOf(defaultPolicy, 'mynumber-zone-default') },
  { name: 'date-time without offset', text: edit(defaultPolicy, 'notBefore: 2026-04-01T00:00:00+09:00', 'notBefore: 2026-04-01T00:00:00'), code: 'invalid-format', at: positionOf(defaultPolicy, '2026-04-01T00:00:00+09:00'), mentions: '+09:00' },
  { name: 'date that does not exist', text: edit(defaultPolicy, 'notBefore: 2026-04-01T00:00:00+09:00', 'notBefore: 2026-02-30T00:00:00+09:00'), code: 'invalid-format', at: positionOf(defaultPolicy, '2026-04-01T00:00:00+09:00') },
  { name: 'empty implements', text: edit(defaultPolicy, '  channels:\n    implements:\n      - 芽室町ISP 1-6-(3)-ア\n', '  channels:\n    implements: []\n'), code: 'invalid-count', at: positionOf(edit(defaultPolicy, '  channels:\n    implements:\n      - 芽室町ISP 1-6-(3)-ア\n', '  channels:\n    implements: []\n'), '[]\n    bluetooth') },
  { name: 'bad CIDR', text: edit(defaultPolicy, '- 10.20.0.0/16', '- 10.20.0.0/33'), code: 'invalid-format', at: positionOf(defaultPolicy, '10.20.0.0/16'), mentions: '10.20.0.0/33' },
  { name: 'octal-looking IPv4', text: edit(defaultPolicy, '- 10.20.0.53', '- 010.20.0.53'), code: 'invalid-format', at: positionOf(defaultPolicy, '10.20.0.53') },
  { name: 'plain http collector', text: edit(defaultPolicy, 'https://collector.mynumber.example/api/v1', 'http://collector.mynumber.example/api/v1'), code: 'invalid-format', at: positionOf(defaultPolicy, 'https://collector'), mentions: 'https://' },
  { name: 'credentials in the collector URL', text: edit(defaultPolicy, 'https://collector.mynumber.example/api/v1', 'https://user:pw@collector.mynumber.example/'), code: 'invalid-format', at: positionOf(defaultPolicy, 'https://collector') },
];

// A line break inside a USB rule (written with a double-quoted escape, which single quotes lack).
badCases.push({
  name: 'USB rule with a line break',
  text: edit(defaultPolicy, `- 'allow with-interface match-all { 09:00:* } label "usb-hub"'`, '- "allow with-interface match-all { 09:00:* }\\nallow"'),
  code: 'invalid-format',
  at: positionOf(defaultPolicy, `'allow with-interface match-all { 09:00:* }`),
  mentions: '1 行',
});

describe('parsePolicyText: bad input is reported at the right place', () => {
  it.each(badCases)('$name → $code', (c) => {
    const result = parsePolicyText(c.text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.diagnostics.length).toBeGreaterThan(0);
    const hit = result.diagnostics.find((d) => d.code === c.code);
    expect(hit, `codes were ${result.diagnostics.map((d) => `${d.code}@${d.line}:${d.column}`).join(', ')}`).toBeDefined();
    if (hit === undefined) return;
    expect(hit.severity).toBe('error');
    expect({ line: hit.line, column: hit.column }).toEqual(c.at);
    if (c.count !== undefined) expect(result.diagnostics).toHaveLength(c.count);
    if (c.mentions !== undefined && !/[\u3040-\u30ff\u4e00-\u9fff]/.test(c.mentions)) {
      expect(hit.message.ja).toContain(c.mentions);
      expect(hit.message.en).toContain(c.mentions);
    } else if (c.mentions !== undefined) {
      expect(hit.message.ja).toContain(c.mentions);
    }
    for (const d of result.diagnostics) expectRenderable(d);
  });
});

describe('parsePolicyText: details', () => {
  it('reports each unknown key at the key, and a missing field at its parent key', () => {
    const text = edit(defaultPolicy, 'defaultTarget: block', 'defaultTaget: block');
    const diagnostics = diagnosticsOf(text);
    expect(diagnostics.map((d) => [d.code, d.path, d.line, d.column])).toEqual([
      ['missing-field', 'spec.usb.defaultTarget', positionOf(text, 'usb:').line, positionOf(text, 'usb:').column],
      ['unknown-field', 'spec.usb.defaultTaget', positionOf(text, 'defaultTaget').line, positionOf(text, 'defaultTaget').column],
    ]);
    expect(diagnostics[1]?.message.ja).toContain('もしかして defaultTarget ですか？');
    expect(diagnostics[1]?.message.en).toContain('did you mean defaultTarget?');
  });

  it('writes the expected messages for a wrong enum value in both languages', () => {
    const [d] = diagnosticsOf(edit(defaultPolicy, 'digits: 6', 'digits: 7'));
    expect(d?.message).toEqual({
      ja: 'spec.mfa.totp.digits は 6 または 8 でなければなりません（値: 7）',
      en: 'spec.mfa.totp.digits must be 6 or 8 (got 7)',
    });
  });

  it('states the whole range and unit for a number out of range', () => {
    const [d] = diagnosticsOf(edit(defaultPolicy, 'periodSeconds: 30', 'periodSeconds: 10'));
    expect(d?.message).toEqual({
      ja: 'spec.mfa.totp.periodSeconds は 15〜120 秒の範囲でなければなりません（値: 10）',
      en: 'spec.mfa.totp.periodSeconds must be between 15 and 120 seconds (got 10)',
    });
  });

  it('suggests the closest enum value for a typo', () => {
    const [d] = diagnosticsOf(edit(defaultPolicy, 'usbStorage: deny', 'usbStorage: readonly'));
    expect(d?.code).toBe('invalid-value');
    expect(d?.message.ja).toContain('もしかして read-only ですか？');
    expect(d?.message.en).toContain('did you mean read-only?');
  });

  it('reports a string that is too long once, not once per failed check', () => {
    const diagnostics = diagnosticsOf(edit(defaultPolicy, '- 10.20.0.0/16', `- ${'a'.repeat(60)}`));
    expect(diagnostics.map((d) => d.code)).toEqual(['invalid-length']);
  });

  it('caps a flood of list errors and says how many were left out', () => {
    const rules = Array.from({ length: 150 }, (_, i) => `      - ${i}\n`).join('');
    const text = edit(defaultPolicy, `      - 'allow with-interface match-all { 0b:00:* } label "smart-card-reader"'\n`, rules);
    const diagnostics = diagnosticsOf(text);
    expect(diagnostics).toHaveLength(101);
    expect(diagnostics[100]?.code).toBe('too-many-diagnostics');
    expect(diagnostics[100]?.message.en).toContain('more problems');
  });

  it('rejects more than 5000 USB rules', () => {
    const rules = Array.from({ length: 5001 }, (_, i) => `      - allow id 1234:${i.toString(16).padStart(4, '0')}\n`).join('');
    const text = edit(defaultPolicy, `      - 'allow with-interface match-all { 0b:00:* } label "smart-card-reader"'\n`, rules);
    const diagnostics = diagnosticsOf(text);
    expect(diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([['invalid-count', positionOf(text, '- \'reject').line, positionOf(text, '- \'reject').column]]);
    expect(diagnostics[0]?.message.en).toBe('spec.usb.rules may list at most 5000 entries (got 5004)');
  });

  it('prints exactly the example shown in docs/policy.md', () => {
    const [d] = diagnosticsOf(edit(defaultPolicy, 'digits: 6', 'digits: 7'));
    if (d === undefined) throw new Error('expected a diagnostic');
    const docs = readFileSync(path.join(repoRoot, 'docs/policy.md'), 'utf8');
    expect(docs).toContain(formatDiagnostic(d, 'ja', 'policies/mynumber-zone.yaml'));
    expect(docs).toContain(formatDiagnostic(d, 'en', 'policies/mynumber-zone.yaml'));
  });

  it('accepts YAML 1.1 look-alikes as plain strings where strings are expected', () => {
    const result = parsePolicyText(edit(defaultPolicy, 'issuer: mynumber-guard 既定ポリシー / default policy', 'issuer: no'));
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.policy.metadata.issuer).toBe('no');
  });

  it('keeps the first YAML syntax errors only', () => {
    const text = `a: ${'{a: '.repeat(2000)}`;
    const result = parsePolicyText(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.diagnostics.length).toBeLessThanOrEqual(21);
  });
});

/** Reads `# expect: <code> <line>:<col>` lines from a fixture's header. */
function expectationsOf(text: string): string[] {
  return [...text.matchAll(/^# expect: (\S+ \d+:\d+)$/gm)].map((m) => m[1] as string).sort();
}

describe('policy fixtures (test/fixtures/policy)', () => {
  const files = readdirSync(fixturesDir).filter((f) => f.endsWith('.yaml'));
  it('has valid and invalid fixtures', () => {
    expect(files.some((f) => f.startsWith('valid-'))).toBe(true);
    expect(files.some((f) => f.startsWith('invalid-'))).toBe(true);
  });
  it.each(files)('%s', (file) => {
    const text = readFileSync(path.join(fixturesDir, file), 'utf8');
    const result = parsePolicyText(text);
    const found = (result.ok ? result.warnings : result.diagnostics).map((d) => `${d.code} ${d.line}:${d.column}`).sort();
    expect(result.ok).toBe(file.startsWith('valid-'));
    expect(found).toEqual(expectationsOf(text));
    for (const d of result.ok ? result.warnings : result.diagnostics) expectRenderable(d);
  });
});
