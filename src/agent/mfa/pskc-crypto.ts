import { createDecipheriv, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';

/**
 * The cryptography of RFC 6030 §6: AES-128-CBC values (IV ‖ ciphertext, PKCS#7), PBKDF2 key
 * derivation and HMAC-SHA1 value MACs. Pure functions over bytes (node:crypto only).
 */

/** AES-128 key length in bytes (RFC 6030 §6.1: aes128-cbc is mandatory to implement). */
export const aes128KeyBytes = 16;
const blockBytes = 16;

/** Algorithm URIs used by RFC 6030 files. */
export const pskcAlgorithmUris = {
  aes128Cbc: 'http://www.w3.org/2001/04/xmlenc#aes128-cbc',
  hmacSha1: 'http://www.w3.org/2000/09/xmldsig#hmac-sha1',
  pbkdf2: 'http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#pbkdf2',
} as const;

/**
 * Decodes strict base64 after removing white space (values are often wrapped over lines, as in
 * RFC 6030 Figure 7). Null for anything that is not base64.
 */
export function decodeBase64(text: string): Uint8Array | null {
  const compact = text.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return null;
  return new Uint8Array(Buffer.from(compact, 'base64'));
}

/**
 * Decrypts an xmlenc aes128-cbc CipherValue: the first 16 bytes are the IV, the rest the
 * ciphertext with PKCS#7 padding. Null when the length is impossible or the padding is wrong
 * (almost always a wrong key).
 */
export function decryptAes128Cbc(key: Uint8Array, ivAndCiphertext: Uint8Array): Uint8Array | null {
  if (key.length !== aes128KeyBytes) return null;
  if (ivAndCiphertext.length < 2 * blockBytes || ivAndCiphertext.length % blockBytes !== 0) return null;
  const iv = ivAndCiphertext.subarray(0, blockBytes);
  const ciphertext = ivAndCiphertext.subarray(blockBytes);
  try {
    const decipher = createDecipheriv('aes-128-cbc', key, iv);
    return new Uint8Array(Buffer.concat([decipher.update(ciphertext), decipher.final()]));
  } catch (_badPadding) {
    // OpenSSL reports a wrong PKCS#7 padding as "bad decrypt": an expected outcome (wrong key).
    return null;
  }
}

/** PBKDF2-HMAC-SHA1 (RFC 8018 §5.2) as used by RFC 6030 §6.2. */
export function derivePbkdf2Sha1(passphrase: string, salt: Uint8Array, iterations: number, keyBytes: number): Uint8Array {
  return new Uint8Array(pbkdf2Sync(Buffer.from(passphrase, 'utf8'), salt, iterations, keyBytes, 'sha1'));
}

/**
 * Checks a ValueMAC: HMAC-SHA1(macKey, IV ‖ ciphertext) (RFC 6030 §6.1.1), compared in constant
 * time so a forged file learns nothing from timing.
 */
export function isValueMacValid(macKey: Uint8Array, ivAndCiphertext: Uint8Array, valueMac: Uint8Array): boolean {
  const expected = createHmac('sha1', macKey).update(ivAndCiphertext).digest();
  // The length of a MAC is public (20 bytes for SHA-1); only the content is compared in constant time.
  if (valueMac.length !== expected.length) return false;
  return timingSafeEqual(expected, valueMac);
}
