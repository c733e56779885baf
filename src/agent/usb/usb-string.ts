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

const escapeBase = 0xdc00;

/**
 * Length of the valid UTF-8 sequence starting at `i`, or 0 when the byte at `i` does not start
 * one (RFC 3629 §4: no overlong forms, no surrogates, nothing above U+10FFFF).
 */
function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i] ?? 0;
  if (b0 < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => {
    const b = bytes[i + k];
    return b !== undefined && b >= lo && b <= hi;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((b0 >= 0xe1 && b0 <= 0xec) || b0 === 0xee || b0 === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (b0 === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (b0 === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b0 >= 0xf1 && b0 <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b0 === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes device bytes losslessly: UTF-8 text, other bytes as U+DC00+byte (see the file comment). */
export function decodeUsbString(bytes: Uint8Array): string {
  let out = '';
  let runStart = 0;
  let i = 0;
  while (i < bytes.length) {
    const length = utf8SequenceLength(bytes, i);
    if (length > 0) {
      i += length;
      continue;
    }
    // Flush the valid run before the stray byte, then escape the byte itself.
    if (runStart < i) out += utf8.decode(bytes.subarray(runStart, i));
    out += String.fromCharCode(escapeBase + (bytes[i] ?? 0));
    i += 1;
    runStart = i;
  }
  if (runStart < bytes.length) out += utf8.decode(bytes.subarray(runStart));
  return out;
}

/**
 * The bytes of a string in the model's representation: UTF-8, with U+DC80–U+DCFF turned back into
 * the byte they stand for. Other lone surrogates cannot come from a device; they encode as U+FFFD.
 */
export function encodeUsbString(text: string): Uint8Array {
  const out: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code >= 0xdc80 && code <= 0xdcff) {
      out.push(code - escapeBase);
    } else if (code < 0x80) {
      out.push(code);
    } else if (code < 0x800) {
      out.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
    } else if (code >= 0xd800 && code <= 0xdfff) {
      out.push(0xef, 0xbf, 0xbd);
    } else if (code < 0x10000) {
      out.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    } else {
      out.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 0x3f), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    }
  }
  return Uint8Array.from(out);
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
