/**
 * The MFA vocabulary (issue #5 item 1): TOTP tokens per user, their verification state, and the
 * lockout. Secrets live only in the agent (SecretStore); nothing here is ever sent to the tray.
 */

/** HMAC algorithm of a token (RFC 6238 §1.2). Apps support SHA1 only in practice (mfa.md §1.4). */
export type TotpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

/** Where a token came from. */
export type TokenSource = 'enrolled' | 'pskc';

/**
 * One user's TOTP token, as stored (encrypted at rest by the SecretStore adapter).
 * Invariants: 16 ≤ secret.length ≤ 64 bytes (RFC 4226 R6; 20 for enrolled tokens), digits 6 or 8.
 */
export interface TokenRecord {
  /** OS user name the token unlocks. */
  readonly user: string;
  readonly secret: Uint8Array;
  readonly algorithm: TotpAlgorithm;
  readonly digits: 6 | 8;
  readonly periodSeconds: number;
  /** Initial drift in steps from a PSKC `TimeDrift` (0 for enrolled tokens). */
  readonly driftSteps: number;
  readonly source: TokenSource;
  /** Hardware token serial (PSKC `DeviceInfo/SerialNo`), when known. */
  readonly serial: string | null;
  /** ISO 8601. */
  readonly createdAt: string;
}

/** Per-user verification state, persisted so replay protection and lockout survive restarts (RFC 4226 §7.3). */
export interface VerificationState {
  readonly user: string;
  /** Last accepted TOTP time step (RFC 6238 §5.2: a code is never accepted twice); null before the first. */
  readonly lastAcceptedStep: number | null;
  /** Consecutive failures since the last success or admin reset. */
  readonly failures: number;
  /** Lockout: no attempt is accepted before this time (ms since the epoch); 0 = none. */
  readonly lockedUntilMs: number;
  /** Only an administrator can lift the lockout. */
  readonly adminResetRequired: boolean;
}

/** A single-use emergency code (lost token), stored only as a salted hash. */
export interface EmergencyCodeRecord {
  readonly user: string;
  /** scrypt(code, salt) hex; the code itself is shown once to the administrator. */
  readonly hash: string;
  readonly salt: string;
  readonly issuedAt: string;
  readonly expiresAt: string;
  /** Set when used: a code works once. */
  readonly usedAt: string | null;
}
