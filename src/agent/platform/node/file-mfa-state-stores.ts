import path from 'node:path';
import { z } from 'zod';
import type { Clock } from '../../../shared/clock';
import type { EmergencyCodeRecord, VerificationState } from '../../mfa/model';
import type { EmergencyCodeStore, VerificationStateStore } from '../../mfa/ports';
import { writeFileAtomically } from './file-policy-state-store';
import { corruptStoreFile, ensureOwnerOnlyDirectory, listDirectory, mfaUserFileName, moveAsideIfBroken, parseJsonStoreFile, parseMfaUserFileName, readFileIfExists } from './mfa-store-files';

/** Suffix of a user's verification state file. */
export const stateFileSuffix = '.state.json';
/** Suffix of a user's emergency code file. */
export const emergencyFileSuffix = '.emergency.json';
const maxStoreFileBytes = 64 * 1024;

const stateSchema = z.strictObject({
  format: z.literal('mynumber-guard.mfa-state/v1'),
  user: z.string().min(1).max(256),
  lastAcceptedStep: z.number().int().min(0).nullable(),
  failures: z.number().int().min(0),
  lockedUntilMs: z.number().int().min(0),
  adminResetRequired: z.boolean(),
});

const isoTime = z.string().min(1).max(40).refine((value) => Number.isFinite(Date.parse(value)), 'not a time');
const emergencySchema = z.strictObject({
  format: z.literal('mynumber-guard.mfa-emergency/v1'),
  user: z.string().min(1).max(256),
  codes: z
    .array(
      z.strictObject({
        hash: z.string().regex(/^[0-9a-f]{64}$/),
        salt: z.string().regex(/^[0-9a-f]{32}$/),
        issuedAt: isoTime,
        expiresAt: isoTime,
        usedAt: isoTime.nullable(),
      }),
    )
    .max(100),
});

/** Options of the JSON MFA stores. */
export interface FileMfaStoreOptions {
  /** Folder of the per-user files (created 0700; refused when open to group or others). */
  readonly dir: string;
  /** Check POSIX modes (default true). */
  readonly enforceModes?: boolean;
  /** Time for naming a broken file that is moved aside (default: the wall clock). */
  readonly clock?: Clock;
}

function encode(value: unknown): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
}

function isValidBytes(schema: z.ZodType, user: string): (bytes: Buffer) => boolean {
  return (bytes) => {
    try {
      const parsed = schema.safeParse(JSON.parse(bytes.toString('utf8')));
      return parsed.success && (parsed.data as { user: string }).user === user;
    } catch {
      // JSON.parse reports a broken document by throwing: that is the answer "not valid".
      return false;
    }
  };
}

/**
 * VerificationStateStore on the local file system: `<dir>/<hex of the user>.state.json`, parsed with
 * zod on read (a broken file is an `AGENT_E_MFA_STORE_CORRUPT` error and is kept: it is moved aside
 * to `<file>.corrupt-<ms>` only when a new state replaces it). Writes are atomic and fsynced, so
 * the failure counter survives a crash and a restart (RFC 4226 §7.3).
 */
export function createFileVerificationStateStore(options: FileMfaStoreOptions): VerificationStateStore & { readonly dir: string } {
  const dir = path.resolve(options.dir);
  const enforceModes = options.enforceModes ?? true;
  const nowMs = (): number => (options.clock ?? { nowMs: () => Date.now() }).nowMs();
  const fileOf = (user: string): string => path.join(dir, mfaUserFileName(user, stateFileSuffix));
  return {
    dir,
    get: async (user) => {
      const file = fileOf(user);
      const bytes = await readFileIfExists(file, maxStoreFileBytes);
      if (bytes === undefined) return null;
      const data = parseJsonStoreFile(file, bytes, stateSchema);
      if (data.user !== user) throw corruptStoreFile(file, `written for another user (${JSON.stringify(data.user)})`);
      return { user: data.user, lastAcceptedStep: data.lastAcceptedStep, failures: data.failures, lockedUntilMs: data.lockedUntilMs, adminResetRequired: data.adminResetRequired } satisfies VerificationState;
    },
    put: async (state) => {
      const file = fileOf(state.user);
      await ensureOwnerOnlyDirectory(dir, enforceModes);
      await moveAsideIfBroken(file, maxStoreFileBytes, isValidBytes(stateSchema, state.user), nowMs());
      await writeFileAtomically(
        file,
        encode({
          format: 'mynumber-guard.mfa-state/v1',
          user: state.user,
          lastAcceptedStep: state.lastAcceptedStep,
          failures: state.failures,
          lockedUntilMs: state.lockedUntilMs,
          adminResetRequired: state.adminResetRequired,
        }),
      );
    },
    list: async () =>
      (await listDirectory(dir))
        .map((name) => parseMfaUserFileName(name, stateFileSuffix))
        .filter((user): user is string => user !== undefined)
        .sort(),
  };
}

/**
 * EmergencyCodeStore on the local file system: `<dir>/<hex of the user>.emergency.json` with the
 * user's code records (scrypt hashes and salts only; the codes themselves are never stored).
 */
export function createFileEmergencyCodeStore(options: FileMfaStoreOptions): EmergencyCodeStore & { readonly dir: string } {
  const dir = path.resolve(options.dir);
  const enforceModes = options.enforceModes ?? true;
  const nowMs = (): number => (options.clock ?? { nowMs: () => Date.now() }).nowMs();
  const fileOf = (user: string): string => path.join(dir, mfaUserFileName(user, emergencyFileSuffix));

  const list = async (user: string): Promise<EmergencyCodeRecord[]> => {
    const file = fileOf(user);
    const bytes = await readFileIfExists(file, maxStoreFileBytes);
    if (bytes === undefined) return [];
    const data = parseJsonStoreFile(file, bytes, emergencySchema);
    if (data.user !== user) throw corruptStoreFile(file, `written for another user (${JSON.stringify(data.user)})`);
    return data.codes.map((code) => ({ user, ...code }));
  };
  const replaceAll = async (user: string, records: readonly EmergencyCodeRecord[]): Promise<void> => {
    const file = fileOf(user);
    await ensureOwnerOnlyDirectory(dir, enforceModes);
    await moveAsideIfBroken(file, maxStoreFileBytes, isValidBytes(emergencySchema, user), nowMs());
    const codes = records.map((record) => ({ hash: record.hash, salt: record.salt, issuedAt: record.issuedAt, expiresAt: record.expiresAt, usedAt: record.usedAt }));
    await writeFileAtomically(file, encode({ format: 'mynumber-guard.mfa-emergency/v1', user, codes }));
  };
  return {
    dir,
    list,
    put: async (record) => replaceAll(record.user, [...(await list(record.user)), record]),
    replaceAll,
  };
}
