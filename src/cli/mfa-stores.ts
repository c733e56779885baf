// Opens the agent's MFA stores from `mng` options, so every `mng mfa …` command (enroll, reset,
// status, emergency-code, import-pskc, pam install) works on the same files as the agent.
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../shared/clock';
import type { AuditEventInput, AuditRecordRef, AuditSink } from '../agent/audit';
import type { EmergencyCodeStore, SecretStore, VerificationStateStore } from '../agent/mfa';
import { createFileEmergencyCodeStore, createFileSecretStore, createFileVerificationStateStore } from '../agent/platform/node';

/** The agent's state folder unless `--state-dir` says otherwise. */
export const defaultMfaStateDir = '/var/lib/mynumber-guard';
/** The AES-256-GCM key of the MFA secrets unless `--key-file` says otherwise (kept apart from the state folder). */
export const defaultMfaKeyFile = '/etc/mynumber-guard/mfa.key';

/** The MFA stores and where they live. */
export interface MfaStores {
  /** `<stateDir>/mfa`. */
  readonly dir: string;
  readonly keyFile: string;
  readonly secrets: SecretStore;
  readonly states: VerificationStateStore;
  readonly emergency: EmergencyCodeStore;
}

/**
 * Opens the stores under `<stateDir>/mfa/` (`secrets/`, `state/`, `emergency/`, each 0700) with the
 * key in `keyFile`. Relative paths resolve against `cwd`. Nothing is created until something is written.
 */
export function openMfaStores(options: { readonly stateDir?: string; readonly keyFile?: string; readonly cwd?: string }): MfaStores {
  const cwd = options.cwd ?? process.cwd();
  const dir = path.resolve(cwd, options.stateDir ?? defaultMfaStateDir, 'mfa');
  const keyFile = path.resolve(cwd, options.keyFile ?? defaultMfaKeyFile);
  return {
    dir,
    keyFile,
    secrets: createFileSecretStore({ dir: path.join(dir, 'secrets'), keyFile }),
    states: createFileVerificationStateStore({ dir: path.join(dir, 'state') }),
    emergency: createFileEmergencyCodeStore({ dir: path.join(dir, 'emergency') }),
  };
}

/** Name of the journal of MFA administration done by `mng` (next to the stores). */
export const mfaAdminJournalName = 'admin-events.jsonl';

/**
 * The audit sink `mng` uses: the hash-chained audit log has one writer (the agent), so `mng`
 * appends its MFA events as JSON lines to `<stateDir>/mfa/admin-events.jsonl` (0600). Like the
 * audit log, it never holds a code or a secret.
 */
export function createMfaAdminJournal(options: { readonly dir: string; readonly clock: Clock; readonly host: string }): AuditSink & { readonly file: string } {
  const file = path.join(options.dir, mfaAdminJournalName);
  let seq = 0;
  return {
    file,
    append: async (event: AuditEventInput): Promise<AuditRecordRef> => {
      await mkdir(options.dir, { recursive: true, mode: 0o700 });
      const line = JSON.stringify({ time: new Date(options.clock.nowMs()).toISOString(), type: event.type, severity: event.severity, host: options.host, source: 'mng', data: event.data });
      await appendFile(file, `${line}\n`, { mode: 0o600 });
      seq += 1;
      return { seq, hash: '' };
    },
  };
}
