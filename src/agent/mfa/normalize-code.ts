/**
 * Normalizes a code as a person typed it (issue #5 item 1): Japanese IMEs in full-width mode give
 * `１２３４５６`, people copy codes with spaces (`123 456`) or type the hyphen printed on
 * emergency codes (`12345-67890`). Pure; never throws, whatever the input (1 MB strings included).
 */

/** Longest input looked at, in UTF-16 units; anything longer is malformed without being scanned. */
export const maxTypedCodeLength = 64;

/** Digits of an emergency code (shown as `12345-67890`). */
export const emergencyCodeDigits = 10;

/** A normalized code (ASCII digits only) or why the input is not one. */
export type NormalizedCode = { readonly ok: true; readonly code: string } | { readonly ok: false; readonly reason: 'malformed' };

const malformed: NormalizedCode = { ok: false, reason: 'malformed' };

// Spaces people type or paste: ASCII space, tab, no-break space, ideographic (full-width) space.
const spaceChars = new Set([' ', '\t', '\u00a0', '\u3000']);
// Hyphens an IME produces besides '-': full-width hyphen-minus, hyphen, non-breaking hyphen,
// figure dash, en dash, minus sign and the katakana prolonged sound mark (what '-' becomes in kana mode).
const hyphenChars = new Set(['-', '\uff0d', '\u2010', '\u2011', '\u2012', '\u2013', '\u2212', '\u30fc']);

/**
 * Turns typed input into ASCII digits: full-width digits (U+FF10–U+FF19) become ASCII, spaces
 * (ASCII, tab, U+00A0, U+3000) are dropped, and one hyphen is allowed only exactly in the middle of
 * the digits (`123-456`, `1234-5678`, `12345-67890`). Returns null for anything else (letters,
 * two hyphens, an off-centre hyphen, no digits, more than {@link maxTypedCodeLength} characters).
 */
export function cleanTypedCode(input: string): string | null {
  if (typeof input !== 'string' || input.length === 0 || input.length > maxTypedCodeLength) return null;
  let digits = '';
  let hyphenAt = -1;
  for (const char of input) {
    const unit = char.charCodeAt(0);
    if (unit >= 0x30 && unit <= 0x39) digits += char;
    else if (unit >= 0xff10 && unit <= 0xff19) digits += String.fromCharCode(unit - 0xff10 + 0x30);
    else if (spaceChars.has(char)) continue;
    else if (hyphenChars.has(char)) {
      if (hyphenAt !== -1) return null;
      hyphenAt = digits.length;
    } else return null;
  }
  if (digits.length === 0) return null;
  if (hyphenAt !== -1 && (digits.length % 2 !== 0 || hyphenAt !== digits.length / 2)) return null;
  return digits;
}

/** Normalizes a TOTP code of a token with `digits` digits (6 or 8): exactly that many digits after cleaning. */
export function normalizeCode(input: string, digits: number): NormalizedCode {
  const code = cleanTypedCode(input);
  return code !== null && code.length === digits ? { ok: true, code } : malformed;
}

/** Normalizes an emergency code: 10 digits after cleaning (`12345-67890`, `1234567890`, full-width…). */
export function normalizeEmergencyCode(input: string): NormalizedCode {
  return normalizeCode(input, emergencyCodeDigits);
}

/** Formats a 10-digit emergency code for display: `12345-67890`. */
export function formatEmergencyCode(digits: string): string {
  return `${digits.slice(0, 5)}-${digits.slice(5)}`;
}
