import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hex } from '../../../test/helpers/sysfs-tree';
import { decodeUsbString, encodeUsbString, escapeUsbString, isPrintableUsbString, trimUsbAttribute } from './usb-string';

describe('decodeUsbString / encodeUsbString', () => {
  it.each([
    ['ASCII', hex('44 45 4d 4f'), 'DEMO'],
    ['Japanese UTF-8 stays readable', new TextEncoder().encode('日本語カードリーダー'), '日本語カードリーダー'],
    ['an emoji (4-byte UTF-8)', hex('f0 9f 94 91'), '🔑'],
    ['a stray byte becomes U+DC00+byte', hex('41 ff 42'), 'A\udcffB'],
    ['a truncated sequence escapes each byte', hex('e6 97'), '\udce6\udc97'],
    ['an overlong encoding is not UTF-8', hex('c0 af'), '\udcc0\udcaf'],
    ['a UTF-8-encoded surrogate is not UTF-8', hex('ed a0 80'), '\udced\udca0\udc80'],
    ['above U+10FFFF is not UTF-8', hex('f4 90 80 80'), '\udcf4\udc90\udc80\udc80'],
    ['control bytes are valid UTF-8', hex('01 09'), '\u0001\t'],
    ['empty', hex(''), ''],
  ])('%s', (_name, bytes, text) => {
    expect(decodeUsbString(bytes)).toBe(text);
    expect(encodeUsbString(text)).toEqual(bytes);
  });

  it('round-trips every byte string exactly', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(encodeUsbString(decodeUsbString(bytes))).toEqual(bytes);
      }),
      { numRuns: 3000 },
    );
  });

  it('decodes valid UTF-8 exactly like TextDecoder, so equal text means equal bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (text) => {
        const bytes = new TextEncoder().encode(text);
        expect(decodeUsbString(bytes)).toBe(new TextDecoder().decode(bytes));
      }),
    );
  });

  it('encodes lone surrogates that no device can produce as U+FFFD', () => {
    expect(encodeUsbString('\ud800')).toEqual(hex('ef bf bd'));
    expect(encodeUsbString('\udc41')).toEqual(hex('ef bf bd'));
  });
});

describe('escapeUsbString (USBGuard rule string form)', () => {
  it.each([
    ['plain ASCII', 'Demo Stick', 'Demo Stick'],
    // From `usbguard generate-policy` 1.1.2 on a tree with serial bytes ff fe 41 01 22 5c and the
    // UTF-8 name 日本 (test/e2e/usb-usbguard-oracle.test.ts checks the same against the binary).
    ['quote, backslash, control and invalid bytes', decodeUsbString(hex('ff fe 41 01 22 5c')), '\\xff\\xfeA\\x01\\"\\\\'],
    ['Japanese as escaped UTF-8 bytes', '日本', '\\xe6\\x97\\xa5\\xe6\\x9c\\xac'],
    ['DEL and tab', '\u007f\t', '\\x7f\\x09'],
  ])('%s', (_name, text, printed) => {
    expect(escapeUsbString(text)).toBe(printed);
  });
});

describe('isPrintableUsbString', () => {
  it.each([
    ['DEMO0001', true],
    ['0000:00:14.0', true],
    ['日本語', true],
    ['with space', true],
    ['', true],
    ['A\u0001', false],
    ['A\u007f', false],
    ['A\u0085', false],
    ['zero\u200bwidth', false],
    ['A\udcff', false],
    ['A\ufffd', false],
  ])('%j → %s', (text, printable) => {
    expect(isPrintableUsbString(text)).toBe(printable);
  });
});

describe('trimUsbAttribute (USBGuard SysFSDevice::readAttribute)', () => {
  it.each([
    ['41 42 0a', '41 42'],
    ['41 42 09 0a', '41 42'],
    ['41 42 00 0d 0a 08', '41 42'],
    ['41 20 0a', '41 20'],
    ['0a', ''],
    ['', ''],
    ['0a 41', '0a 41'],
  ])('%s → %s', (input, output) => {
    expect(trimUsbAttribute(hex(input))).toEqual(hex(output));
  });
});
