import { randomBytes } from 'node:crypto';
import { generateURI, ScureBase32Plugin } from 'otplib';
import { toString as renderQrCode } from 'qrcode';
import type { TotpAlgorithm } from './model';

/** Bytes of an enrolled secret: 160 bits (RFC 4226 §4 R6 recommends 160). */
export const enrollmentSecretBytes = 20;
/** How long a begun enrollment waits for its confirming code (10 minutes). */
export const enrollmentTtlMs = 10 * 60 * 1000;
/** Issuer shown by authenticator apps. */
export const enrollmentIssuer = 'mynumber-guard';
/** Wrong confirmation codes before a pending enrollment is dropped (its QR code is then useless). */
export const maxEnrollmentConfirmFailures = 5;

/** TOTP parameters a new token gets (policy `spec.mfa.totp`). */
export interface TotpParameters {
  readonly algorithm: TotpAlgorithm;
  readonly digits: 6 | 8;
  readonly periodSeconds: number;
}

/** A fresh random secret from the OS CSPRNG. */
export function createEnrollmentSecret(): Uint8Array {
  return new Uint8Array(randomBytes(enrollmentSecretBytes));
}

/** Base32 (RFC 4648, no padding) as authenticator apps expect it. */
export function encodeBase32(secret: Uint8Array): string {
  return new ScureBase32Plugin().encode(secret, { padding: false });
}

/**
 * The `otpauth://totp/…` URI (Key URI format): issuer "mynumber-guard", label `<user>@<host>`;
 * only non-default parameters are added (otplib 13). It carries the secret: show it once, never log it.
 */
export function buildOtpauthUri(options: { readonly user: string; readonly hostName: string; readonly secret: Uint8Array; readonly params: TotpParameters }): string {
  const { params } = options;
  return generateURI({
    issuer: enrollmentIssuer,
    label: `${options.user}@${options.hostName}`,
    secret: encodeBase32(options.secret),
    algorithm: params.algorithm.toLowerCase() as 'sha1' | 'sha256' | 'sha512',
    digits: params.digits,
    period: params.periodSeconds,
  });
}

/** The QR code of `uri` as an SVG document (for the tray's enrollment screen) and as terminal text (for `mng`). */
export async function renderEnrollmentQr(uri: string): Promise<{ readonly svg: string; readonly terminal: string }> {
  // Error correction M (15 %): a 20-byte secret URI fits comfortably and screens are clean.
  const [svg, terminal] = await Promise.all([
    renderQrCode(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }),
    renderQrCode(uri, { type: 'terminal', errorCorrectionLevel: 'M', small: true }),
  ]);
  return { svg, terminal };
}

/** An enrollment waiting for its confirming code; kept in memory only (the secret never touches disk before confirmation). */
export interface PendingEnrollment {
  readonly id: string;
  readonly user: string;
  readonly secret: Uint8Array;
  readonly params: TotpParameters;
  readonly expiresAtMs: number;
  failures: number;
}

/** Pending enrollments by id, with expiry. */
export interface PendingEnrollments {
  add(user: string, secret: Uint8Array, params: TotpParameters, nowMs: number): PendingEnrollment;
  /** The enrollment if it exists and has not expired; expired ones are dropped. */
  find(id: string, nowMs: number): { readonly found: true; readonly enrollment: PendingEnrollment } | { readonly found: false; readonly reason: 'not-found' | 'expired' };
  remove(id: string): void;
  /** Drops every pending enrollment of `user` (a new one replaces older ones; a reset cancels them). */
  removeUser(user: string): void;
}

/** Creates the in-memory registry of pending enrollments. Ids are 128-bit random hex. */
export function createPendingEnrollments(): PendingEnrollments {
  const pending = new Map<string, PendingEnrollment>();
  const removeUser = (user: string): void => {
    for (const [id, enrollment] of pending) if (enrollment.user === user) pending.delete(id);
  };
  return {
    add: (user, secret, params, nowMs) => {
      for (const [id, enrollment] of pending) if (enrollment.expiresAtMs <= nowMs) pending.delete(id);
      removeUser(user);
      const enrollment: PendingEnrollment = { id: randomBytes(16).toString('hex'), user, secret, params, expiresAtMs: nowMs + enrollmentTtlMs, failures: 0 };
      pending.set(enrollment.id, enrollment);
      return enrollment;
    },
    find: (id, nowMs) => {
      const enrollment = pending.get(id);
      if (enrollment === undefined) return { found: false, reason: 'not-found' };
      if (enrollment.expiresAtMs <= nowMs) {
        pending.delete(id);
        return { found: false, reason: 'expired' };
      }
      return { found: true, enrollment };
    },
    remove: (id) => {
      pending.delete(id);
    },
    removeUser,
  };
}
