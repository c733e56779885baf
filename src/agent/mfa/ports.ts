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
  /** Users with a stored state (for status); optional so minimal fakes need not implement it. */
  list?(): Promise<string[]>;
}

/** Port: emergency codes (hashes only). */
export interface EmergencyCodeStore {
  list(user: string): Promise<EmergencyCodeRecord[]>;
  put(record: EmergencyCodeRecord): Promise<void>;
  replaceAll(user: string, records: readonly EmergencyCodeRecord[]): Promise<void>;
}

/** Port: the pam_oath usersfile (Linux logon), read and updated atomically. */
export interface PamOathUsersfileAccess {
  /** The file's text, or null when there is none (pam_oath not set up: nothing to share). */
  read(): Promise<string | null>;
  /** Read-modify-write; `change` returns the new text or null to leave the file alone. */
  update(change: (current: string | null) => string | null): Promise<unknown>;
}

/**
 * Port: the journal `mng` writes its MFA administration to (`<state-dir>/mfa/admin-events.jsonl`),
 * read by the agent from a remembered byte offset so each line reaches the audit log once.
 */
export interface AdminJournalSource {
  /** Bytes from `offset` (at most a bounded chunk) and the file's size; null when there is no journal. */
  readFrom(offset: number): Promise<{ readonly bytes: Uint8Array; readonly sizeBytes: number } | null>;
  loadOffset(): Promise<number>;
  saveOffset(offset: number): Promise<void>;
}
