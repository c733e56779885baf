import { randomBytes, randomInt, scryptSync, timingSafeEqual } from 'node:crypto';
import type { EmergencyCodeRecord } from './model';
import { emergencyCodeDigits, formatEmergencyCode } from './normalize-code';

/**
 * Emergency codes for a lost token (mfa.md §7): issued by an administrator, 10 random digits shown
 * once as `12345-67890`, stored only as scrypt(code, salt), short-lived, single-use.
 */

/** `spec.mfa.emergencyCode` of the policy. */
export interface EmergencyCodePolicy {
  readonly enabled: boolean;
  readonly ttlSeconds: number;
}

/** Most codes a user may hold unused at once; issuing more drops the oldest. */
export const maxActiveEmergencyCodes = 5;

// scrypt cost: N = 2^14, r = 8, p = 1 (Node's defaults, ≈ 16 MiB, tens of ms): 10^10 codes × that
// cost makes an offline search of a stolen hash file slow, and the lockout limits online guesses.
const scryptKeyBytes = 32;
const scryptOptions = { N: 16_384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/**
 * scrypt(code, salt) as hex. `code` is the 10 ASCII digits without the hyphen; `saltHex` 32 hex chars.
 * Runs on the calling thread on purpose: on libuv's pool each worker thread keeps its own malloc
 * arena, and an agent that checked a few codes kept ~16 MiB per thread for good (measured: RSS
 * 77 → 156 MiB after 30 emergency unlocks). Calls are rare (only users holding an issued code, at
 * most `maxFailures` wrong ones before the lockout), and one takes tens of milliseconds.
 */
export function hashEmergencyCode(code: string, saltHex: string): Promise<string> {
  try {
    return Promise.resolve(scryptSync(code, Buffer.from(saltHex, 'hex'), scryptKeyBytes, scryptOptions).toString('hex'));
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/** A newly issued code: `display` is shown once to the administrator, `record` is what is stored. */
export interface IssuedEmergencyCode {
  readonly display: string;
  readonly record: EmergencyCodeRecord;
}

/** Issues a code for `user` valid `ttlSeconds` from `nowMs`. */
export async function issueEmergencyCode(user: string, nowMs: number, ttlSeconds: number): Promise<IssuedEmergencyCode> {
  // randomInt is uniform (rejection sampling) over [0, 10^10).
  const digits = String(randomInt(0, 10 ** emergencyCodeDigits)).padStart(emergencyCodeDigits, '0');
  const salt = randomBytes(16).toString('hex');
  const hash = await hashEmergencyCode(digits, salt);
  return {
    display: formatEmergencyCode(digits),
    record: { user, hash, salt, issuedAt: new Date(nowMs).toISOString(), expiresAt: new Date(nowMs + ttlSeconds * 1000).toISOString(), usedAt: null },
  };
}

/** True while a record may still be used: not used and not expired. */
export function isEmergencyCodeActive(record: EmergencyCodeRecord, nowMs: number): boolean {
  return record.usedAt === null && Date.parse(record.expiresAt) > nowMs;
}

/** The records to keep when `issued` is added: active ones only (used and expired are dropped; the audit log has them), at most {@link maxActiveEmergencyCodes}. */
export function decideRecordsAfterIssue(records: readonly EmergencyCodeRecord[], issued: EmergencyCodeRecord, nowMs: number): EmergencyCodeRecord[] {
  const active = records.filter((record) => isEmergencyCodeActive(record, nowMs));
  return [...active, issued].slice(-maxActiveEmergencyCodes);
}

/** Result of checking a typed emergency code against a user's records. */
export type EmergencyMatch =
  | { readonly matched: true; readonly records: EmergencyCodeRecord[]; readonly used: EmergencyCodeRecord }
  | { readonly matched: false; readonly reason: 'no-active-code' | 'no-match' | 'expired' | 'already-used' };

/**
 * Checks `code` (10 ASCII digits) against every stored record in constant time per record. On a
 * match the record is marked used (`records` is the list to store back), so a code works once.
 * A match with a used or expired record is reported as such and changes nothing.
 */
export async function matchEmergencyCode(records: readonly EmergencyCodeRecord[], code: string, nowMs: number): Promise<EmergencyMatch> {
  if (records.length === 0) return { matched: false, reason: 'no-active-code' };
  let stale: 'expired' | 'already-used' | undefined;
  for (let index = 0; index < records.length; index += 1) {
    const record = records[index]!;
    const expected = Buffer.from(record.hash, 'hex');
    const actual = Buffer.from(await hashEmergencyCode(code, record.salt), 'hex');
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) continue;
    if (record.usedAt !== null) {
      stale = 'already-used';
      continue;
    }
    if (Date.parse(record.expiresAt) <= nowMs) {
      stale = 'expired';
      continue;
    }
    const used = { ...record, usedAt: new Date(nowMs).toISOString() };
    return { matched: true, used, records: records.map((other, i) => (i === index ? used : other)) };
  }
  if (stale !== undefined) return { matched: false, reason: stale };
  return { matched: false, reason: records.some((record) => isEmergencyCodeActive(record, nowMs)) ? 'no-match' : 'no-active-code' };
}
