import type { Clock } from '../../shared/clock';
import { msg, type Localized } from '../../shared/i18n';
import { err, ok, type Result } from '../../shared/result';
import type { PolicyDiagnostic } from '../../shared/policy/diagnostic';
import type { ZonePolicy } from '../../shared/policy';
import type { AuditSink } from '../audit';
import type { TrustStore } from './keys';
import { emptyPolicyState, findAccepted, parsePolicyState, recordAccepted, serializePolicyState, type PolicyState } from './policy-state';
import type { PolicyStateStore } from './ports';
import type { BundleRejection } from './rejection';
import { authenticatePolicyBundle, decideRollback, decideValidityWindow, verifyPolicyBundle, type VerifiedPolicy } from './verify-bundle';

/**
 * The policy manager: the one place that decides which zone policy the agent enforces.
 *
 * - A new bundle is applied only if it verifies completely (verify-bundle.ts); then the rollback
 *   record and the bundle bytes are persisted *before* the policy takes effect, so a crash never
 *   leaves a policy in force that a restart would not restore.
 * - Any rejection leaves the policy in force unchanged and is audited (`policy.rejected`).
 * - At start-up the last good bundle is verified again against the current trust store. If it has
 *   expired meanwhile it stays in force (posture finding `policy-expired`): dropping it would leave
 *   the terminal with less protection than an old policy gives. If it no longer verifies (key
 *   removed from the trust store, state file damaged) no policy is in force: every control then
 *   applies its default deny.
 */

/** The policy in force, with where it came from. */
export interface ActivePolicy {
  readonly policy: ZonePolicy;
  readonly policyText: string;
  readonly id: string;
  readonly version: number;
  readonly keyId: string;
  readonly keyLabel: string;
  readonly payloadSha256: string;
  readonly warnings: readonly PolicyDiagnostic[];
  /** Where the bundle was loaded from. */
  readonly source: string;
  /** When it was first applied (ms since the epoch). */
  readonly appliedAtMs: number;
}

/** Codes of the policy module's posture findings (shown by the tray and sent to the collector). */
export type PolicyFindingCode = 'policy-missing' | 'policy-expired' | 'policy-not-yet-valid' | 'policy-state-unreadable' | 'last-good-rejected';

/** Something about the policy that an operator should look at. */
export interface PolicyFinding {
  readonly code: PolicyFindingCode;
  readonly severity: 'warning' | 'alert';
  readonly message: Localized;
}

/**
 * none: no policy in force (every control applies default deny). active: in force and within its
 * validity window. expired / not-yet-valid: in force, but outside its window (see module doc).
 */
export type PolicyManagerState = 'none' | 'active' | 'expired' | 'not-yet-valid';

/** A summary of the manager's state for status displays and posture. */
export interface PolicyStatus {
  readonly state: PolicyManagerState;
  readonly active:
    | {
        readonly id: string;
        readonly version: number;
        readonly issuer: string;
        readonly notBefore: string;
        readonly notAfter: string;
        readonly keyId: string;
        readonly keyLabel: string;
        readonly payloadSha256: string;
        readonly source: string;
        readonly appliedAtMs: number;
      }
    | undefined;
  readonly findings: readonly PolicyFinding[];
  /** The most recent refused bundle since start-up. */
  readonly lastRejection: { readonly code: string; readonly message: Localized; readonly source: string; readonly atMs: number } | undefined;
}

/** The policy manager's operations. Calls are serialized: one load at a time. */
export interface PolicyManager {
  /** Loads the persisted state and re-verifies the last good bundle. Call once at start-up. */
  restoreLastGood(): Promise<PolicyStatus>;
  /**
   * Verifies and, if good, applies a bundle. On rejection the policy in force is unchanged and
   * the rejection is returned. Rejects (throws) only for broken infrastructure: the state could
   * not be saved (then nothing changed) or the audit sink failed (after the change).
   */
  loadFromBytes(bytes: Uint8Array, source: string): Promise<Result<ActivePolicy, BundleRejection>>;
  /** The policy in force, if any. */
  current(): ActivePolicy | undefined;
  /** State, findings and the last rejection, evaluated at the clock's current time. */
  status(): PolicyStatus;
}

/** Dependencies of the policy manager. */
export interface PolicyManagerDeps {
  readonly trust: TrustStore;
  readonly state: PolicyStateStore;
  readonly audit: AuditSink;
  readonly clock: Clock;
}

function toActive(verified: VerifiedPolicy, source: string, appliedAtMs: number): ActivePolicy {
  return {
    policy: verified.policy,
    policyText: verified.policyText,
    id: verified.policy.metadata.id,
    version: verified.policy.metadata.version,
    keyId: verified.keyId,
    keyLabel: verified.keyLabel,
    payloadSha256: verified.payloadSha256,
    warnings: verified.warnings,
    source,
    appliedAtMs,
  };
}

function rejectionAuditData(rejected: BundleRejection, source: string): Record<string, unknown> {
  const { details } = rejected;
  const keyId = details.keyId ?? details.keyIds?.[0];
  return {
    source,
    code: rejected.code,
    message: rejected.message.en,
    ...(keyId === undefined ? {} : { keyId }),
    ...(details.policyId === undefined ? {} : { policyId: details.policyId }),
    ...(details.version === undefined ? {} : { version: details.version }),
    ...(details.lastAcceptedVersion === undefined ? {} : { lastAcceptedVersion: details.lastAcceptedVersion }),
    ...(details.payloadSha256 === undefined ? {} : { payloadSha256: details.payloadSha256 }),
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

/** Creates the policy manager. Nothing is read until `restoreLastGood` or `loadFromBytes`. */
export function createPolicyManager(deps: PolicyManagerDeps): PolicyManager {
  const { trust, state: store, audit, clock } = deps;
  let persisted: PolicyState | undefined;
  let active: ActivePolicy | undefined;
  let lastRejection: PolicyStatus['lastRejection'];
  const stickyFindings = new Map<PolicyFindingCode, PolicyFinding>();
  let queue: Promise<unknown> = Promise.resolve();

  /** Runs `task` after every earlier call has settled, so rollback checks never interleave. */
  const serialized = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  };

  const loadState = async (): Promise<PolicyState> => {
    if (persisted !== undefined) return persisted;
    const bytes = await store.read();
    if (bytes === undefined) {
      persisted = emptyPolicyState;
      return persisted;
    }
    const parsed = parsePolicyState(bytes);
    if (parsed.ok) {
      persisted = parsed.value;
      return persisted;
    }
    // Unreadable state: rollback records are lost. Start empty, but say so loudly; the next
    // accepted bundle rewrites the file.
    stickyFindings.set('policy-state-unreadable', {
      code: 'policy-state-unreadable',
      severity: 'alert',
      message: msg(
        `ポリシーの状態ファイル ${store.location} を読めません: ${parsed.error.ja}。ロールバック防止の記録が失われています。最新のポリシーを配布し直してください`,
        `the policy state file ${store.location} is unreadable: ${parsed.error.en}. Rollback records are lost; deploy the latest policy again`,
      ),
    });
    await audit.append({ type: 'policy.state-unreadable', severity: 'alert', data: { location: store.location, message: parsed.error.en } });
    persisted = emptyPolicyState;
    return persisted;
  };

  const status = (): PolicyStatus => {
    const findings: PolicyFinding[] = [...stickyFindings.values()];
    let state: PolicyManagerState = 'none';
    if (active === undefined) {
      findings.unshift({
        code: 'policy-missing',
        severity: 'alert',
        message: msg(
          '適用中のポリシーがありません。ポリシーで制御する操作はすべて拒否されます（既定で拒否）。署名済みバンドルを配布してください',
          'no policy is in force; everything the policy controls is blocked (default deny). Deploy a signed bundle',
        ),
      });
    } else {
      const window = decideValidityWindow(activeAsVerified(active), clock.nowMs());
      state = window === undefined ? 'active' : window.code === 'expired' ? 'expired' : 'not-yet-valid';
      if (window !== undefined) {
        findings.unshift({
          code: window.code === 'expired' ? 'policy-expired' : 'policy-not-yet-valid',
          severity: 'warning',
          message: msg(
            `${window.message.ja}。新しいポリシーが届くまで、この版を適用し続けます`,
            `${window.message.en}. This version stays in force until a new policy arrives`,
          ),
        });
      }
    }
    const meta = active?.policy.metadata;
    return {
      state,
      active:
        active === undefined || meta === undefined
          ? undefined
          : {
              id: active.id,
              version: active.version,
              issuer: meta.issuer,
              notBefore: meta.notBefore,
              notAfter: meta.notAfter,
              keyId: active.keyId,
              keyLabel: active.keyLabel,
              payloadSha256: active.payloadSha256,
              source: active.source,
              appliedAtMs: active.appliedAtMs,
            },
      findings,
      lastRejection,
    };
  };

  /**
   * Signature, policy and rollback checks of the persisted bundle, without the validity window:
   * an expired last-good policy stays in force (module doc). The rollback check catches a state
   * file whose bundle is older than its own version record (tampered or mixed up).
   */
  const reverifyLastGood = (bundle: Uint8Array, state: PolicyState): Result<VerifiedPolicy, BundleRejection> => {
    const authenticated = authenticatePolicyBundle(bundle, trust);
    if (!authenticated.ok) return authenticated;
    const rollback = decideRollback(authenticated.value, { lastAccepted: (id) => findAccepted(state, id) });
    return rollback === undefined ? authenticated : err(rollback);
  };

  const restoreLastGood = async (): Promise<PolicyStatus> => {
    const state = await loadState();
    const lastGood = state.lastGood;
    if (lastGood === undefined) {
      await audit.append({ type: 'policy.missing', severity: 'warning', data: { location: store.location } });
      return status();
    }
    const restored = reverifyLastGood(lastGood.bundle, state);
    if (!restored.ok) {
      active = undefined;
      stickyFindings.set('last-good-rejected', {
        code: 'last-good-rejected',
        severity: 'alert',
        message: msg(
          `前回適用したポリシー（${lastGood.source}）を再検証できないため、適用していません: ${restored.error.message.ja}`,
          `the last applied policy (${lastGood.source}) no longer verifies, so it is not in force: ${restored.error.message.en}`,
        ),
      });
      await audit.append({ type: 'policy.restore-failed', severity: 'alert', data: rejectionAuditData(restored.error, lastGood.source) });
      return status();
    }
    active = toActive(restored.value, lastGood.source, lastGood.appliedAtMs);
    const now = status();
    await audit.append({
      type: 'policy.restored',
      severity: now.state === 'active' ? 'info' : 'warning',
      data: { source: lastGood.source, state: now.state, policyId: active.id, version: active.version, keyId: active.keyId, payloadSha256: active.payloadSha256 },
    });
    return now;
  };

  const loadFromBytes = async (bytes: Uint8Array, source: string): Promise<Result<ActivePolicy, BundleRejection>> => {
    const state = await loadState();
    const nowMs = clock.nowMs();
    const verified = verifyPolicyBundle(bytes, trust, { nowMs, lastAccepted: (id) => findAccepted(state, id) });
    if (!verified.ok) {
      lastRejection = { code: verified.error.code, message: verified.error.message, source, atMs: nowMs };
      await audit.append({ type: 'policy.rejected', severity: 'warning', data: rejectionAuditData(verified.error, source) });
      return err(verified.error);
    }
    const value = verified.value;
    const { id, version } = value.policy.metadata;
    if (active !== undefined && active.id === id && active.payloadSha256 === value.payloadSha256 && state.lastGood !== undefined && sameBytes(state.lastGood.bundle, bytes)) {
      await audit.append({ type: 'policy.unchanged', severity: 'info', data: { source, policyId: id, version, payloadSha256: value.payloadSha256 } });
      return ok(active);
    }
    const appliedAtMs = active !== undefined && active.payloadSha256 === value.payloadSha256 ? active.appliedAtMs : nowMs;
    const next = recordAccepted(state, { id, version, payloadSha256: value.payloadSha256, acceptedAtMs: nowMs }, { bundle: new Uint8Array(bytes), source, appliedAtMs });
    // Persist first: a policy in force must be one that a restart restores.
    await store.write(serializePolicyState(next));
    persisted = next;
    active = toActive(value, source, appliedAtMs);
    stickyFindings.delete('last-good-rejected');
    stickyFindings.delete('policy-state-unreadable');
    const meta = value.policy.metadata;
    await audit.append({
      type: 'policy.applied',
      severity: 'notice',
      data: {
        source,
        policyId: id,
        version,
        issuer: meta.issuer,
        notBefore: meta.notBefore,
        notAfter: meta.notAfter,
        keyId: value.keyId,
        payloadSha256: value.payloadSha256,
        warnings: value.warnings.length,
        unknownKeyIds: value.unknownKeyIds,
      },
    });
    return ok(active);
  };

  return {
    restoreLastGood: () => serialized(restoreLastGood),
    loadFromBytes: (bytes, source) => serialized(() => loadFromBytes(bytes, source)),
    current: () => active,
    status,
  };
}

function activeAsVerified(active: ActivePolicy): VerifiedPolicy {
  return {
    policy: active.policy,
    policyText: active.policyText,
    keyId: active.keyId,
    keyLabel: active.keyLabel,
    payloadSha256: active.payloadSha256,
    warnings: active.warnings,
    unknownKeyIds: [],
  };
}
