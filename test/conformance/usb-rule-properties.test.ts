// Property tests of the USB rule parser and printer (STYLE.md §8: every parser is fuzzed):
// never throws on any input, including huge and deeply nested ones; print∘parse is a fixed
// point; printed rules parse back to the same rule.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeRuleBytes,
  encodeRuleText,
  MAX_USB_RULE_BYTES,
  parseUsbRule,
  parseUsbRuleFile,
  parseUsbRuleLine,
  printUsbRule,
  type UsbRuleParseOptions,
} from '../../src/shared/usb-rules';
import { brokenRule, nearValidRule, usbGuardRule } from './usb-rule-arbitraries';

const SEED = Number(process.env.MNG_CONFORMANCE_SEED ?? 20_260_401);
const params = (numRuns: number): fc.Parameters<unknown> => ({ seed: SEED, numRuns });

/** Rules with the extensions mixed in, anywhere in the attribute list. */
const extendedRule: fc.Arbitrary<string> = fc
  .tuple(
    usbGuardRule,
    fc.constantFrom('', ' expires "2027-03-31T23:59:59+09:00"', ' expires "2026-02-30T00:00:00Z"', ' interface-target { 03:*:* allow 08:*:* block }', ' interface-target { 0B:00:* allow }'),
    fc.boolean(),
  )
  .map(([rule, extension, readOnly]) => {
    const hash = rule.indexOf('#');
    const body = hash < 0 ? rule : rule.slice(0, hash);
    const withTarget = readOnly ? body.replace(/^(allow|block|reject|match|device)/, 'read-only') : body;
    return `${withTarget}${extension}`;
  });

const anyText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: fc.constantFrom(...' \t{}"\\:*#()!-x0aZ日\n\r'.split('')), maxLength: 80 }),
  usbGuardRule,
  nearValidRule,
  brokenRule,
  extendedRule,
);

function parsesWithoutThrowing(text: string, options: UsbRuleParseOptions): void {
  const line = parseUsbRuleLine(text, options);
  const rule = parseUsbRule(text, options);
  if (!line.ok) {
    expect(line.error.line).toBeGreaterThanOrEqual(1);
    expect(line.error.column).toBeGreaterThanOrEqual(1);
    // UTF-8 needs at least as many bytes as UTF-16 needs code units for the same text.
    expect(line.error.byteColumn).toBeGreaterThanOrEqual(line.error.column);
    expect(line.error.message.ja.length).toBeGreaterThan(0);
    expect(line.error.message.en.length).toBeGreaterThan(0);
    expect(rule.ok).toBe(false);
  }
}

describe('USB rule parser: robustness', () => {
  it('never throws, and every error has a position and a message in both languages', () => {
    fc.assert(
      fc.property(anyText, fc.boolean(), (text, extensions) => {
        parsesWithoutThrowing(text, { extensions });
      }),
      params(3000),
    );
  });

  it('refuses a 1 MB rule at once with a clear error', () => {
    const huge = `allow name "${'a'.repeat(1024 * 1024)}"`;
    const started = performance.now();
    const result = parseUsbRule(huge);
    expect(performance.now() - started).toBeLessThan(500);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('rule-too-long');
      expect(result.error.message.en).toContain(String(MAX_USB_RULE_BYTES));
    }
  });

  it('handles a rule of exactly the limit, and one byte more', () => {
    const filler = (n: number): string => `allow label "${'x'.repeat(n - 'allow label ""'.length)}"`;
    expect(encodeRuleText(filler(MAX_USB_RULE_BYTES)).length).toBe(MAX_USB_RULE_BYTES);
    expect(parseUsbRule(filler(MAX_USB_RULE_BYTES)).ok).toBe(true);
    const over = parseUsbRule(filler(MAX_USB_RULE_BYTES + 1));
    expect(over.ok ? 'accepted' : over.error.code).toBe('rule-too-long');
  });

  it('fails fast on deeply nested braces, parentheses and allowed-matches', () => {
    const inputs = [
      `allow id ${'{ '.repeat(5000)}1234:5678${' }'.repeat(5000)}`,
      `allow if ${'{ '.repeat(5000)}true${' }'.repeat(5000)}`,
      `allow if random(${'('.repeat(8000)}0.5${')'.repeat(8000)})`,
      `allow if ${'allowed-matches(if '.repeat(600)}true${'\\)'.repeat(600)}`,
      `allow if allowed-matches(if allowed-matches(if allowed-matches(if true\\)\\)\\))`,
    ];
    for (const input of inputs) {
      const started = performance.now();
      const result = parseUsbRule(input);
      expect(performance.now() - started).toBeLessThan(500);
      expect(result.ok).toBe(false);
    }
  });

  it('refuses more than 256 values in a set', () => {
    const values = (n: number): string => Array.from({ length: n }, (_, i) => `"${i}"`).join(' ');
    expect(parseUsbRule(`allow serial one-of { ${values(256)} }`).ok).toBe(true);
    const over = parseUsbRule(`allow serial one-of { ${values(257)} }`);
    expect(over.ok ? 'accepted' : over.error.code).toBe('set-too-large');
  });

  it('reads a 100,000-line rule file without throwing', () => {
    const lines = Array.from({ length: 100_000 }, (_, i) => (i % 3 === 0 ? `# ${i}` : i % 3 === 1 ? `allow id 1234:${(i % 65536).toString(16).padStart(4, '0')}` : ` bad ${i}`));
    const file = parseUsbRuleFile(lines.join('\n'));
    expect(file.rules.length).toBe(33_333);
    expect(file.errors.length).toBe(33_333);
    expect(file.errors[0]?.line).toBe(3);
  });
});

describe('USB rule printer: canonical form', () => {
  it('parse(print(rule)) is the same rule, and printing it again gives the same text', () => {
    fc.assert(
      fc.property(fc.oneof(usbGuardRule, nearValidRule, extendedRule), (text) => {
        const first = parseUsbRuleLine(text);
        if (!first.ok || first.value === undefined) return;
        const printed = printUsbRule(first.value);
        const second = parseUsbRule(printed);
        expect(second.ok ? second.value : second.error).toEqual(first.value);
        if (second.ok) expect(printUsbRule(second.value)).toBe(printed);
      }),
      params(3000),
    );
  });

  it('printed rules are single-line, without leading or trailing blanks', () => {
    fc.assert(
      fc.property(usbGuardRule, (text) => {
        const parsed = parseUsbRule(text);
        if (!parsed.ok) return;
        const printed = printUsbRule(parsed.value);
        expect(printed).not.toMatch(/[\n\r]|^\s|\s$/);
      }),
      params(1000),
    );
  });

  it('text survives the byte mapping: encode(decode(bytes)) gives the bytes back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(Array.from(encodeRuleText(decodeRuleBytes(bytes)))).toEqual(Array.from(bytes));
      }),
      params(2000),
    );
  });

  it('valid UTF-8 text decodes to itself', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (text) => {
        expect(decodeRuleBytes(encodeRuleText(text))).toBe(text);
        expect(Array.from(encodeRuleText(text))).toEqual(Array.from(new TextEncoder().encode(text)));
      }),
      params(2000),
    );
  });
});
