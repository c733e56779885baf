import type { EmergencyCodeRecord, TokenRecord, VerificationState } from './model';

/**
 * Port: TOTP secrets at rest. Linux adapter: one file per user under a root-only folder,
 * AES-256-GCM with a key stored apart (another root-only file), never logged. Implemented in
 * platform/node.
 */
export interface SecretStore {
  get(user: string): Promise<TokenRecord | null>;
  put(record: TokenRecord): Promise<void>;
  remove(user: string): Promise<boolean>;
  /** Users with a token. */
  list(): Promise<string[]>;
}

/** Port: per-user verification state (replay step, failures, lockout), written atomically. */
export interface VerificationStateStore {
  get(user: string): Promise<VerificationState | null>;
  put(state: VerificationState): Promise<void>;
}

/** Port: emergency codes (hashes only). */
export interface EmergencyCodeStore {
  list(user: string): Promise<EmergencyCodeRecord[]>;
  put(record: EmergencyCodeRecord): Promise<void>;
  replaceAll(user: string, records: readonly EmergencyCodeRecord[]): Promise<void>;
}
