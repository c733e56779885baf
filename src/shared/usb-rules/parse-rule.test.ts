import { describe, expect, it } from 'vitest';
import { isUsbGuardCompatible, parseUsbRule, parseUsbRuleFile, parseUsbRuleLine, printUsbRule, type UsbRule, type UsbRuleError } from './index';

// Accept/refuse verdicts and columns below were checked against usbguard-rule-parser 1.1.2; the
// exhaustive comparison runs in test/conformance (corpus and thousands of generated rules).

function parsed(text: string): UsbRule {
  const result = parseUsbRule(text);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(text)} to parse: ${result.error.message.en}`);
  return result.value;
}

function failure(text: string, extensions = true): UsbRuleError {
  const result = parseUsbRule(text, { extensions });
  if (result.ok) throw new Error(`expected ${JSON.stringify(text)} to fail, got ${printUsbRule(result.value)}`);
  return result.error;
}

describe('parseUsbRule: the rule it builds', () => {
  it('keeps every attribute with its operator and values', () => {
    expect(parsed('allow 1050:0407 serial one-of { "a" "b" } with-interface match-all { 03:00:* 0B:*:* } via-port "1-2" label "yubikey"')).toEqual({
      target: 'allow',
      id: { operator: 'equals', values: [{ vendorId: '1050', productId: '0407' }] },
      serial: { operator: 'one-of', values: ['a', 'b'] },
      viaPort: { operator: 'equals', values: ['1-2'] },
      withInterface: {
        operator: 'match-all',
        values: [
          { classCode: '03', subclassCode: '00', protocolCode: '*' },
          { classCode: '0b', subclassCode: '*', protocolCode: '*' },
        ],
      },
      label: { operator: 'equals', values: ['yubikey'] },
    });
  });

  it('reads string escapes into text, and non-UTF-8 bytes into U+DC80..U+DCFF', () => {
    expect(parsed('allow name "\\xe6\\x97\\xa5\\"\\\\"').name?.values).toEqual(['日"\\']);
    expect(parsed('allow serial "\\xff\\x41"').serial?.values).toEqual(['\udcffA']);
    expect(printUsbRule(parsed('allow serial "\\xff\\x41"'))).toBe('allow serial "\\xffA"');
  });

  it('reads conditions with their meaning and their raw argument', () => {
    expect(parsed('allow if one-of { !localtime(09:00:10-17:30:15) random(0.25) rule-applied(01:00) rule-evaluated true(x) allowed-matches(id 1234:*) }').conditions).toEqual({
      operator: 'one-of',
      values: [
        { kind: 'localtime', negated: true, parameter: '09:00:10-17:30:15', beginSecond: 32_410, endSecond: 63_015 },
        { kind: 'random', negated: false, parameter: '0.25', probability: 0.25 },
        { kind: 'rule-applied', negated: false, parameter: '01:00', withinSeconds: 3600 },
        { kind: 'rule-evaluated', negated: false, parameter: '', withinSeconds: 0 },
        { kind: 'true', negated: false },
        {
          kind: 'allowed-matches',
          negated: false,
          parameter: 'id 1234:*',
          rule: { target: 'allow', id: { operator: 'equals', values: [{ vendorId: '1234', productId: '*' }] } },
        },
      ],
    });
  });

  it('treats a localtime without end as a single instant, and random without argument as 0.5', () => {
    expect(parsed('allow if localtime(10:00-)').conditions?.values[0]).toMatchObject({ beginSecond: 36_000, endSecond: 36_000 });
    expect(parsed('allow if random').conditions?.values[0]).toMatchObject({ probability: 0.5 });
  });

  it('reproduces the attribute accumulation of concatenated rules', () => {
    expect(printUsbRule(parsed('allow id 1234:5678block name "x"'))).toBe('block id 1234:5678 name "x"');
    expect(printUsbRule(parsed('allow label "a" label "b"'))).toBe('allow label { "a" "b" }');
  });
});

describe('parseUsbRule: errors', () => {
  it('reports USBGuard’s byte column and a UTF-16 column for editors', () => {
    // "日本語" is 9 bytes but 3 UTF-16 code units; the error is at the blank after the string.
    const error = failure('allow name "日本語" id 1:2');
    expect([error.line, error.column, error.byteColumn, error.code]).toEqual([1, 17, 23, 'attribute-value-invalid']);
  });

  it('says "empty" for no rule and for a comment alone', () => {
    expect(failure('').code).toBe('rule-empty');
    expect(failure('# only a comment').code).toBe('rule-empty');
    expect(parseUsbRuleLine('# only a comment')).toEqual({ ok: true, value: undefined });
  });

  it('refuses line breaks inside a rule, naming CR for CRLF files', () => {
    const lf = failure('allow\nblock');
    expect([lf.line, lf.column, lf.code]).toEqual([1, 6, 'line-break']);
    const cr = failure('allow id 1234:5678\r');
    expect([cr.column, cr.code]).toEqual([19, 'line-break']);
    expect(cr.message.en).toContain('CR');
    // After an escaped line break inside a string, the position is on the second line.
    const second = failure('allow name "a\\\nb');
    expect([second.line, second.column, second.code]).toEqual([2, 2, 'string-unterminated']);
  });

  it('says what to write instead, in both languages', () => {
    const error = failure('allow with-interface 08:*:50');
    expect(error.code).toBe('interface-invalid');
    expect(error.message.ja).toContain('08:*:*');
    expect(error.message.en).toContain('08:*:*');
    expect(failure('allow serial equals "a"').message.en).toContain('braces');
    expect(failure('allow name { }').message.en).toContain('empty');
    expect(failure('allow id1234:5678').message.en).toContain('no space');
    expect(failure('allow block').message.en).toContain('target');
    expect(failure('allow vendor "x"').message.en).toContain('no attribute');
  });

  it('names the inner problem of allowed-matches', () => {
    const error = failure('allow if allowed-matches(with-interface 08:*:50)');
    expect(error.code).toBe('allowed-matches-invalid');
    expect(error.byteColumn).toBe(10);
    expect(error.message.en).toContain('08:*:*');
  });
});

describe('extensions', () => {
  it('parse the read-only target, per-interface targets and expiry', () => {
    const rule = parsed('read-only id 0781:5583 interface-target { 08:06:50 allow 03:*:* block } expires "2027-03-31T23:59:59+09:00"');
    expect(rule.target).toBe('read-only');
    expect(rule.interfaceTargets).toEqual([
      { pattern: { classCode: '08', subclassCode: '06', protocolCode: '50' }, target: 'allow' },
      { pattern: { classCode: '03', subclassCode: '*', protocolCode: '*' }, target: 'block' },
    ]);
    expect(rule.expires).toEqual({ text: '2027-03-31T23:59:59+09:00', epochMs: Date.parse('2027-03-31T14:59:59Z') });
    expect(isUsbGuardCompatible(rule)).toBe(false);
  });

  it('are refused in USBGuard mode where USBGuard refuses them', () => {
    expect([failure('read-only', false).code, failure('read-only', false).byteColumn]).toEqual(['extension-not-usbguard', 1]);
    expect(failure('allow expires "2027-03-31T23:59:59Z"', false).code).toBe('extension-not-usbguard');
    expect(failure('allow interface-target { 03:*:* allow }', false).byteColumn).toBe(6);
  });

  it.each([
    ['allow expires "2027-03-31T23:59:59"', 'expires-invalid', 15],
    ['allow expires "2027-02-29T00:00:00Z"', 'expires-invalid', 15],
    ['allow expires "2027-03-31T24:00:00+09:00"', 'expires-invalid', 15],
    ['allow expires "tomorrow"', 'expires-invalid', 15],
    ['allow expires "2027-03-31T23:59:59Z" expires "2027-04-01T00:00:00Z"', 'attribute-duplicate', 38],
    ['allow interface-target { 03:*:* permit }', 'interface-target-invalid', 33],
    ['allow interface-target { 08:*:50 allow }', 'interface-invalid', 26],
    ['allow interface-target { }', 'attribute-value-invalid', 6],
    ['block id 1234:5678 interface-target { 03:*:* allow }', 'interface-target-not-allowed', 20],
    ['reject interface-target { 03:*:* allow }', 'interface-target-not-allowed', 8],
    ['allow interface-target { 03:*:* allow } interface-target { 08:*:* block }', 'attribute-duplicate', 41],
  ])('%j → %s at byte %d', (text, code, byteColumn) => {
    const error = failure(text);
    expect([error.code, error.byteColumn]).toEqual([code, byteColumn]);
  });

  it('print only when present, after USBGuard’s attributes', () => {
    expect(printUsbRule(parsed('allow expires "2027-03-31T23:59:59Z" id 1234:5678 label "x"'))).toBe('allow id 1234:5678 label "x" expires "2027-03-31T23:59:59Z"');
    expect(printUsbRule(parsed('allow id 1234:5678'))).toBe('allow id 1234:5678');
  });
});

describe('parseUsbRuleFile', () => {
  it('reports every bad line with its real line number and keeps the good ones', () => {
    const file = parseUsbRuleFile(['# header', '', 'allow id 1234:5678', '  allow', 'block with-interface 08:*:50', 'reject', ''].join('\n'));
    expect(file.rules.map((r) => [r.line, printUsbRule(r.rule)])).toEqual([
      [3, 'allow id 1234:5678'],
      [6, 'reject'],
    ]);
    expect(file.errors.map((e) => [e.line, e.column, e.code])).toEqual([
      [4, 1, 'leading-whitespace'],
      [5, 22, 'interface-invalid'],
    ]);
  });

  it('refuses a CRLF file line by line with a message about line endings', () => {
    const file = parseUsbRuleFile('allow\r\nblock\r\n');
    expect(file.errors.map((e) => [e.line, e.column, e.code])).toEqual([
      [1, 6, 'line-break'],
      [2, 6, 'line-break'],
    ]);
  });

  it('refuses a text beyond 4 Mi characters without reading it', () => {
    const file = parseUsbRuleFile('#'.repeat(4 * 1024 * 1024 + 1));
    expect(file.errors.map((e) => e.code)).toEqual(['rule-too-long']);
  });
});

describe('error messages', () => {
  it('quote the offending text with control characters and stray bytes made visible, emoji kept', () => {
    expect(failure('allow if 🔑').message.en).toContain('“🔑”');
    expect(failure('allow serial "a" x\u001b[31m').message.en).toContain('\\u001b[31m');
    expect(failure('allow serial "a" \udcff').message.en).toContain('\\xff');
  });
});
