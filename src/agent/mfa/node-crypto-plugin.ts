import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AlgorithmUnsupportedError, type CryptoPlugin, type HashAlgorithm } from 'otplib';

// HMAC through node:crypto (OpenSSL) instead of otplib's default pure-JS noble plugin: mfa.md §1.1
// recommends node:crypto for Node, and `@otplib/plugin-crypto-node` is not a dependency, so the
// three methods of the plugin contract are implemented here.
const algorithms: Readonly<Record<string, HashAlgorithm>> = { sha1: 'sha1', sha256: 'sha256', sha512: 'sha512' };

function normalize(algorithm: string): HashAlgorithm {
  // The contract: ignore case and an optional '-' or '_' before the size ('SHA-1' = 'sha1').
  const name = algorithms[algorithm.toLowerCase().replace(/^sha[-_]/, 'sha')];
  if (name === undefined) throw new AlgorithmUnsupportedError(algorithm, { supported: Object.values(algorithms), plugin: 'mng-node' });
  return name;
}

/** otplib CryptoPlugin over node:crypto (sync HMAC-SHA1/256/512, CSPRNG, constant-time compare). */
export const nodeCryptoPlugin: CryptoPlugin = {
  name: 'mng-node',
  algorithms: Object.values(algorithms),
  hmac: (algorithm, key, data) => new Uint8Array(createHmac(normalize(algorithm), key).update(data).digest()),
  randomBytes: (length) => new Uint8Array(randomBytes(length)),
  constantTimeEqual: (a, b) => {
    const left = typeof a === 'string' ? Buffer.from(a, 'utf8') : Buffer.from(a);
    const right = typeof b === 'string' ? Buffer.from(b, 'utf8') : Buffer.from(b);
    return left.length === right.length && timingSafeEqual(left, right);
  },
};
