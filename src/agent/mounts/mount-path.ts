/**
 * Kernel path bytes ↔ the model. mountinfo escapes four bytes in paths with three octal digits
 * (fs/proc_namespace.c `show_mountinfo` → `seq_path_root`/`mangle` with " \t\n\\"): space `\040`,
 * tab `\011`, newline `\012`, backslash `\134`. Every other byte, including bytes that are not
 * UTF-8, is printed as it is.
 */
import { decodeRuleBytes, encodeRuleText } from '../../shared/usb-rules';
import type { MountPath } from './model';

const escapedBytes: ReadonlySet<number> = new Set([0x20, 0x09, 0x0a, 0x5c]);

/** Escapes bytes as the kernel prints them in mountinfo (the inverse of {@link unescapeMountinfoField}). */
export function escapeMountinfoField(bytes: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (const byte of bytes) {
    if (escapedBytes.has(byte)) out.push(0x5c, ...[...byte.toString(8).padStart(3, '0')].map((digit) => digit.charCodeAt(0)));
    else out.push(byte);
  }
  return Uint8Array.from(out);
}

const isOctal = (byte: number | undefined): boolean => byte !== undefined && byte >= 0x30 && byte <= 0x37;

/**
 * Undoes `\ooo` escapes (three octal digits, value ≤ 0377). A backslash not followed by three
 * octal digits is kept as it is: the kernel never prints one, and dropping it would change the path.
 */
export function unescapeMountinfoField(bytes: Uint8Array): Uint8Array {
  if (!bytes.includes(0x5c)) return bytes;
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i += 1) {
    const byte = bytes[i] as number;
    if (byte === 0x5c && isOctal(bytes[i + 1]) && isOctal(bytes[i + 2]) && isOctal(bytes[i + 3])) {
      const value = ((bytes[i + 1] as number) - 0x30) * 64 + ((bytes[i + 2] as number) - 0x30) * 8 + ((bytes[i + 3] as number) - 0x30);
      if (value <= 0xff) {
        out.push(value);
        i += 3;
        continue;
      }
    }
    out.push(byte);
  }
  return Uint8Array.from(out);
}

/**
 * One printable line for people and logs: `\\` for a backslash, `\n` `\t` for newline and tab,
 * `\xHH` for other control bytes and for bytes that are not valid UTF-8; other text as it is.
 */
export function displayPathText(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '\\') out += '\\\\';
    else if (char === '\n') out += '\\n';
    else if (char === '\t') out += '\\t';
    else if (code >= 0xdc80 && code <= 0xdcff) out += `\\x${(code - 0xdc00).toString(16).padStart(2, '0')}`;
    else if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += char;
  }
  return out;
}

/** The model's path from raw (already unescaped) bytes. */
export function makeMountPath(bytes: Uint8Array): MountPath {
  const text = decodeRuleBytes(bytes);
  return { bytes, text, display: displayPathText(text) };
}

/** The model's path from text in the lossless representation (tests, policy paths). */
export function mountPathFromText(text: string): MountPath {
  return makeMountPath(encodeRuleText(text));
}
