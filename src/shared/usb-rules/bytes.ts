/**
 * Rule text is bytes to USBGuard: `\xHH` escapes make bytes, string values are compared byte for
 * byte, and the parser's columns count bytes. JavaScript strings are UTF-16, so this module maps
 * between the two losslessly with the "surrogateescape" convention (Python, PEP 383): valid UTF-8
 * decodes to the characters it encodes, and each byte of an invalid sequence decodes to the lone
 * low surrogate U+DC80..U+DCFF that stands for it. Encoding maps those surrogates back to the raw
 * byte, so `encode(decode(bytes))` returns the same bytes for every input.
 */

/** First code unit of the surrogates that stand for raw bytes 0x80..0xFF. */
const ESCAPE_BASE = 0xdc00;

/**
 * Encodes text as UTF-8 bytes. Lone U+DC80..U+DCFF become the raw byte they stand for; any other
 * lone surrogate becomes U+FFFD (as TextEncoder does), so every string has an encoding.
 */
export function encodeRuleText(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 3);
  let n = 0;
  for (let i = 0; i < text.length; i += 1) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out[n++] = c;
      continue;
    }
    if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        out[n++] = 0xf0 | (cp >> 18);
        out[n++] = 0x80 | ((cp >> 12) & 0x3f);
        out[n++] = 0x80 | ((cp >> 6) & 0x3f);
        out[n++] = 0x80 | (cp & 0x3f);
        i += 1;
        continue;
      }
    }
    if (c >= ESCAPE_BASE + 0x80 && c <= ESCAPE_BASE + 0xff) {
      out[n++] = c - ESCAPE_BASE;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    out[n++] = 0xe0 | (c >> 12);
    out[n++] = 0x80 | ((c >> 6) & 0x3f);
    out[n++] = 0x80 | (c & 0x3f);
  }
  return out.subarray(0, n);
}

/** Length of the valid UTF-8 sequence starting at `i`, or 0 when the byte there does not start one. */
function sequenceLength(bytes: Uint8Array, i: number, end: number): number {
  const b0 = bytes[i] as number;
  if (b0 < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => {
    if (i + k >= end) return false;
    const b = bytes[i + k] as number;
    return b >= lo && b <= hi;
  };
  // RFC 3629 §4: the exact ranges exclude overlong forms, surrogates and code points above U+10FFFF.
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((b0 >= 0xe1 && b0 <= 0xec) || b0 === 0xee || b0 === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (b0 === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (b0 === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b0 >= 0xf1 && b0 <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b0 === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/** Decodes bytes `[start, end)`; each byte of an invalid sequence becomes U+DC80..U+DCFF. */
export function decodeRuleBytes(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let out = '';
  let i = start;
  while (i < end) {
    const b0 = bytes[i] as number;
    const length = sequenceLength(bytes, i, end);
    if (length === 1) {
      out += String.fromCharCode(b0);
    } else if (length === 0) {
      out += String.fromCharCode(ESCAPE_BASE + b0);
      i += 1;
      continue;
    } else if (length === 2) {
      out += String.fromCharCode(((b0 & 0x1f) << 6) | ((bytes[i + 1] as number) & 0x3f));
    } else if (length === 3) {
      out += String.fromCharCode(((b0 & 0x0f) << 12) | (((bytes[i + 1] as number) & 0x3f) << 6) | ((bytes[i + 2] as number) & 0x3f));
    } else {
      const cp =
        ((b0 & 0x07) << 18) |
        (((bytes[i + 1] as number) & 0x3f) << 12) |
        (((bytes[i + 2] as number) & 0x3f) << 6) |
        ((bytes[i + 3] as number) & 0x3f);
      out += String.fromCodePoint(cp);
    }
    i += length === 0 ? 1 : length;
  }
  return out;
}

/** True when the bytes are ASCII only (then byte offsets and string offsets coincide). */
export function isAscii(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b >= 0x80) return false;
  return true;
}
