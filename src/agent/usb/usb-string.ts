/**
 * Strings that come from a USB device (product, manufacturer, serial) are bytes: usually UTF-8
 * (the kernel converts the UTF-16 string descriptor), but a device or a fixture can hand over any
 * bytes, and USBGuard compares and hashes the bytes, printing the non-ASCII ones as `\xHH`.
 *
 * The model keeps them as JS strings without losing a byte (the "surrogateescape" scheme of
 * Python's PEP 383): valid UTF-8 is decoded as text, so `日本語` stays readable, and every byte that
 * is not part of a valid UTF-8 sequence becomes the lone surrogate U+DC00 + byte (U+DC80–U+DCFF).
 * Decoding valid UTF-8 never yields a lone surrogate, so `encodeUsbString(decodeUsbString(b))` is
 * exactly `b` for every byte string, and two devices have equal strings iff they have equal bytes.
 */

import { decodeRuleBytes, encodeRuleText } from '../../shared/usb-rules';

/**
 * Decodes device bytes losslessly: UTF-8 text, other bytes as U+DC00+byte (see the file comment).
 * The same convention as rule text (shared/usb-rules bytes.ts), so a device string and a rule
 * string with the same bytes compare equal.
 */
export function decodeUsbString(bytes: Uint8Array): string {
  return decodeRuleBytes(bytes);
}

/**
 * The bytes of a string in the model's representation: UTF-8, with U+DC80–U+DCFF turned back into
 * the byte they stand for. Other lone surrogates cannot come from a device; they encode as U+FFFD.
 */
export function encodeUsbString(text: string): Uint8Array {
  return encodeRuleText(text);
}

/**
 * The string as USBGuard prints it between double quotes in a rule: printable ASCII as is, `"` and
 * `\` escaped with a backslash, every other byte (control, non-ASCII, invalid UTF-8) as `\xHH`
 * with lowercase hex. Checked against `usbguard generate-policy` 1.1.2 output
 * (test/e2e/usb-usbguard-oracle.test.ts).
 */
export function escapeUsbString(text: string): string {
  let out = '';
  for (const byte of encodeUsbString(text)) {
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += '\\\\';
    else if (byte >= 0x20 && byte <= 0x7e) out += String.fromCharCode(byte);
    else out += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

// Unicode "Other" (controls, format characters, surrogates — so every escaped byte —, private use,
// unassigned) and the replacement character: nothing a person can read or type back reliably.
const notPrintable = /[\p{C}\uFFFD]/u;

/** True when every character of `text` is printable (no control, format, escaped byte, U+FFFD). */
export function isPrintableUsbString(text: string): boolean {
  return !notPrintable.test(text);
}

// USBGuard trims these from the end of every text attribute it reads
// (src/Library/SysFSDevice.cpp `SysFSDevice::readAttribute`, `trim` branch).
const trailingJunk = new Set([0x00, 0x0a, 0x0d, 0x09, 0x08]);

/**
 * A sysfs text attribute as USBGuard reads it: trailing NUL, LF, CR, TAB and BS removed (spaces
 * stay). Returns a view of the same bytes.
 */
export function trimUsbAttribute(bytes: Uint8Array): Uint8Array {
  let end = bytes.length;
  while (end > 0 && trailingJunk.has(bytes[end - 1] ?? 0)) end -= 1;
  return bytes.subarray(0, end);
}
