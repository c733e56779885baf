// The hand-written rule corpus against our parser alone (no oracle needed): every expectation in
// test/fixtures/usb-rules/*.rules holds. usb-rule-parser.test.ts checks the same expectations
// against usbguard-rule-parser, so they are USBGuard's answers, not ours.
import { describe, expect, it } from 'vitest';
import { isUsbGuardCompatible, parseUsbRuleLine, printUsbRule } from '../../src/shared/usb-rules';
import { readCorpus } from './usb-rule-corpus';

describe('USB rule corpus', () => {
  for (const file of ['good.rules', 'bad.rules', 'extensions.rules']) {
    const cases = readCorpus(file);
    it(`${file} has cases`, () => {
      expect(cases.length).toBeGreaterThan(3);
    });
    for (const c of cases) {
      it(`${file}:${c.line} ${c.why}`, () => {
        const strict = parseUsbRuleLine(c.rule, { extensions: false });
        const extended = parseUsbRuleLine(c.rule);
        if (file === 'extensions.rules') {
          // Accepted with extensions, refused in USBGuard mode.
          expect(extended.ok).toBe(true);
          if (extended.ok && extended.value !== undefined) {
            expect(printUsbRule(extended.value)).toBe(c.output);
            expect(isUsbGuardCompatible(extended.value)).toBe(false);
          }
        } else if (c.output !== undefined) {
          expect(strict.ok ? (strict.value === undefined ? '' : printUsbRule(strict.value)) : strict.error).toBe(c.output);
          if (strict.ok && strict.value !== undefined) expect(isUsbGuardCompatible(strict.value)).toBe(true);
          // Extensions add syntax only: USBGuard rules mean the same with them on.
          expect(extended).toEqual(strict);
        }
        if (c.error !== undefined) {
          expect(strict.ok).toBe(false);
          if (!strict.ok) {
            expect({ line: strict.error.line, byteColumn: strict.error.byteColumn, code: strict.error.code }).toEqual(c.error);
            expect(strict.error.message.ja).not.toBe('');
            expect(strict.error.message.en).not.toBe('');
          }
        }
      });
    }
  }
});
