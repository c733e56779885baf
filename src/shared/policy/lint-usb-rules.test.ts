// The USB-rule part of the policy linter: every spec.usb.rules entry is parsed with the rule
// parser (src/shared/usb-rules), errors point at the column in the YAML file where the rule goes
// wrong, and rules that parse but cannot work in a policy are reported.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parsePolicyText, type PolicyDiagnostic } from './index';
import { yamlPositionInRule } from './lint-policy';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const defaultPolicy = readFileSync(path.join(repoRoot, 'policies/mynumber-zone.yaml'), 'utf8');
const HUB_RULE = `      - 'allow with-interface match-all { 09:00:* } label "usb-hub"'\n`;

/** Index in spec.usb.rules of the first rule `withRules` adds. */
const firstAdded = ((): number => {
  const parsed = parsePolicyText(defaultPolicy);
  if (!parsed.ok) throw new Error('the default policy does not parse');
  return parsed.policy.spec.usb.rules.indexOf('allow with-interface match-all { 09:00:* } label "usb-hub"') + 1;
})();
const added = (n: number): string => `spec.usb.rules[${firstAdded + n}]`;

/** The default policy with extra lines after its hub rule. */
function withRules(...lines: string[]): string {
  const at = defaultPolicy.indexOf(HUB_RULE);
  if (at < 0) throw new Error('the default policy no longer has the hub rule this test anchors on');
  const end = at + HUB_RULE.length;
  return defaultPolicy.slice(0, end) + lines.map((l) => `${l}\n`).join('') + defaultPolicy.slice(end);
}

/** 1-based line and column of the first occurrence of `needle` (after `after`, if given). */
function positionOf(text: string, needle: string, after = ''): { line: number; column: number } {
  const index = text.indexOf(needle, after === '' ? 0 : text.indexOf(after));
  if (index < 0) throw new Error(`${JSON.stringify(needle)} not found`);
  const before = text.slice(0, index);
  return { line: before.split('\n').length, column: index - before.lastIndexOf('\n') };
}

function usbFindings(text: string): PolicyDiagnostic[] {
  const result = parsePolicyText(text);
  const all = result.ok ? result.warnings : result.diagnostics;
  return all.filter((d) => d.code.startsWith('usb-'));
}

describe('policy lint: USB rules', () => {
  it('the default policy has no USB findings', () => {
    const result = parsePolicyText(defaultPolicy);
    expect(result.ok).toBe(true);
    expect(usbFindings(defaultPolicy)).toEqual([]);
  });

  it('points into a plain scalar at the exact column', () => {
    const line = '      - allow with-interface 08:*:50';
    const text = withRules(line);
    const [finding] = usbFindings(text);
    expect(finding).toMatchObject({ code: 'usb-rule-invalid', severity: 'error', ...positionOf(text, '08:*:50', line) });
    expect(finding?.message.en).toContain('column 22');
    expect(finding?.message.ja).toContain('22 文字目');
  });

  it('points into single- and double-quoted scalars, counting escapes', () => {
    const single = `      - 'allow label "it''s" name "a\\tb"'`;
    const singleText = withRules(single);
    expect(usbFindings(singleText)[0]).toMatchObject({ code: 'usb-rule-invalid', ...positionOf(singleText, '"a\\tb"', single) });

    const double = `      - "allow name \\"\\u65e5\\" serial \\"a\\\\tb\\""`;
    const doubleText = withRules(double);
    expect(usbFindings(doubleText)[0]).toMatchObject({ code: 'usb-rule-invalid', ...positionOf(doubleText, '\\"a\\\\tb', double) });
  });

  it('points at the start of a value it cannot map, and names the rule column in the message', () => {
    const text = withRules('      - allow id 1234:5678', '        with-interface 08:*:50');
    const [finding] = usbFindings(text);
    expect(finding).toMatchObject({ code: 'usb-rule-invalid', ...positionOf(text, 'allow id 1234:5678') });
    expect(finding?.message.en).toContain('column 35');
  });

  it('reports targets that never decide, unevaluable conditions and uppercase ids', () => {
    const text = withRules('      - match id 1234:5678', "      - 'allow if match-all { true }'", '      - allow id 046D:C52B');
    expect(usbFindings(text).map((d) => [d.code, d.severity, d.path])).toEqual([
      ['usb-rule-target-internal', 'error', added(0)],
      ['usb-rule-unevaluable', 'error', added(1)],
      ['usb-rule-id-uppercase', 'warning', added(2)],
    ]);
    expect(usbFindings(text)[2]?.message.en).toContain('046d:c52b');
  });

  it('finds duplicates by canonical form', () => {
    const text = withRules(`      - 'allow id 1234:5678 serial "x"'`, `      - 'allow serial "x" id {1234:5678}'`);
    expect(usbFindings(text).map((d) => [d.code, d.path])).toEqual([['usb-rule-duplicate', added(1)]]);
  });

  it('accepts the extensions', () => {
    const text = withRules(`      - 'read-only id 0781:5583 serial "4C53" expires "2027-03-31T23:59:59+09:00"'`, `      - 'allow id 1234:5678 interface-target { 03:*:* allow }'`);
    expect(usbFindings(text)).toEqual([]);
  });
});

describe('yamlPositionInRule', () => {
  it.each([
    ['plain', 'key: allow x', 'allow x', 7, 12],
    ['plain, end of rule', 'key: allow x', 'allow x', 8, 13],
    ['single-quoted with a doubled quote', "key: 'a''b c'", "a'b c", 4, 11],
    ['double-quoted with \\" and \\u', 'key: "\\"\\u65e5 x"', '"日 x', 4, 16],
    ['double-quoted, end of rule', 'key: "ab"', 'ab', 3, 9],
  ])('%s', (_name, source, rule, ruleColumn, column) => {
    expect(yamlPositionInRule(source, { line: 1, column: 6 }, rule, ruleColumn)).toEqual({ line: 1, column });
  });

  it.each([
    ['a quoted value running over the line', 'key: "ab\n  cd"', 'ab cd'],
    ['a value that is not the rule', 'key: other', 'allow'],
    ['an unknown escape', 'key: "a\\qb"', 'aqb'],
    ['an unknown position', 'key: allow', 'allow'],
  ])('gives up on %s', (name, source, rule) => {
    const start = name === 'an unknown position' ? { line: 0, column: 0 } : { line: 1, column: 6 };
    expect(yamlPositionInRule(source, start, rule, 1)).toBeUndefined();
  });
});
