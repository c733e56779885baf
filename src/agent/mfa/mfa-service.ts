import type { Clock } from '../../shared/clock';
import type { MfaPolicy } from '../../shared/policy/schema';
import type { LockoutView, UnlockResultCode } from '../../shared/protocol/agent-ipc';
import { err, ok, type Result } from '../../shared/result';
import type { AuditEventInput, AuditSink } from '../audit';
import {
  decideAfterAdminReset,
  decideAfterFailure,
  decideAfterSuccess,
  decideAttempt,
  decideLockoutView,
  initialVerificationState,
} from './decide-lockout';
import { decideRecordsAfterIssue, issueEmergencyCode, matchEmergencyCode } from './emergency-codes';
import {
  buildOtpauthUri,
  createEnrollmentSecret,
  createPendingEnrollments,
  maxEnrollmentConfirmFailures,
  renderEnrollmentQr,
  type TotpParameters,
} from './enrollment';
import type { TokenRecord, VerificationState } from './model';
import { cleanTypedCode, emergencyCodeDigits } from './normalize-code';
import type { EmergencyCodeStore, SecretStore, VerificationStateStore } from './ports';
import { verifyTotp, type TotpVerdict } from './verify-totp';

/** What {@link createMfaService} needs. */
export interface MfaServiceDeps {
  readonly secrets: SecretStore;
  readonly states: VerificationStateStore;
  readonly emergency: EmergencyCodeStore;
  readonly audit: AuditSink;
  readonly clock: Clock;
  /** The MFA section of the policy in force; undefined when no policy is in force (then nothing unlocks). */
  readonly policy: () => MfaPolicy | undefined;
  /** Host name for the enrollment label `<user>@<host>`. */
  readonly hostName: string;
  /**
   * Another verifier of the same tokens (pam_oath at logon) whose replay state is shared: a code
   * it accepted is refused here, and a code accepted here is refused there. Optional.
   */
  readonly sharedReplay?: SharedReplayLedger;
}

/** Port: the replay state of another verifier of the same tokens (Linux: the pam_oath usersfile). */
export interface SharedReplayLedger {
  /** The last step the other verifier accepted for this user's token; null when none or unknown. */
  lastAcceptedStep(user: string, token: TokenRecord): Promise<number | null>;
  /** Tells the other verifier that `step` was accepted here. */
  recordAcceptedStep(user: string, token: TokenRecord, step: number): Promise<void>;
}

/** Answer to one unlock attempt. `retryAfterMs` is set while a delay runs. */
export interface AttemptOutcome {
  readonly code: Extract<UnlockResultCode, 'unlocked' | 'emergency-accepted' | 'wrong-code' | 'malformed' | 'replayed' | 'locked-out' | 'not-enrolled'>;
  readonly retryAfterMs?: number;
  readonly lockout: LockoutView;
}

/** A begun enrollment: the URI and QR carry the secret and are shown once. */
export interface EnrollmentStart {
  readonly enrollmentId: string;
  readonly uri: string;
  readonly qrSvg: string;
  /** The QR code as text for a terminal (`mng mfa enroll`). */
  readonly qrText: string;
  /** ISO 8601. */
  readonly expiresAt: string;
}

/** Why an enrollment cannot begin. */
export type EnrollmentRefusal = 'no-policy' | 'already-enrolled';

/** Outcome of confirming an enrollment (matches the IPC method `mfa.enrollment.confirm`). */
export type EnrollmentConfirmCode = 'enrolled' | 'wrong-code' | 'malformed' | 'expired' | 'not-found';

/** An issued emergency code, shown once (`12345-67890`). */
export interface IssuedCode {
  readonly code: string;
  readonly expiresAt: string;
}

/** One user in `status()`. */
export interface MfaUserStatus {
  readonly user: string;
  readonly enrolled: boolean;
  /** `enrolled`, `pskc`, or null without a token. */
  readonly source: string | null;
  readonly lockout: LockoutView;
}

/** The agent's MFA core (issue #5 item 1): verification, lockout, enrollment, emergency codes. */
export interface MfaService {
  /** Checks a typed code for `user`. Never throws for bad input; store failures are exceptions. */
  attempt(user: string, typedCode: string): Promise<AttemptOutcome>;
  lockoutView(user: string): Promise<LockoutView>;
  isEnrolled(user: string): Promise<boolean>;
  /** Starts an enrollment; refused without a policy and, unless `replace`, for a user who has a token. */
  beginEnrollment(user: string, options?: { readonly replace?: boolean }): Promise<Result<EnrollmentStart, EnrollmentRefusal>>;
  /** Completes an enrollment with a correct code; only then is the token stored. */
  confirmEnrollment(enrollmentId: string, typedCode: string): Promise<{ readonly code: EnrollmentConfirmCode; readonly user?: string }>;
  /** Administrator: clears the lockout; with `enrollment` also removes the token and pending enrollments. */
  reset(user: string, options: { readonly enrollment: boolean }): Promise<void>;
  /** Administrator: issues a single-use emergency code. */
  issueEmergencyCode(user: string): Promise<Result<IssuedCode, 'no-policy' | 'disabled'>>;
  /** Every user with a token or a stored state. */
  status(): Promise<{ readonly users: MfaUserStatus[] }>;
}

/** Audit event types written by the MFA service. */
export const mfaAuditTypes = {
  attempt: 'mfa.attempt',
  lockedOut: 'mfa.locked-out',
  emergencyUsed: 'mfa.emergency-used',
  emergencyIssued: 'mfa.emergency-issued',
  enrollmentBegun: 'mfa.enrollment-begun',
  enrolled: 'mfa.enrolled',
  reset: 'mfa.reset',
  clockRollback: 'mfa.clock-rollback',
  tokenInvalid: 'mfa.token-invalid',
  secretUnreadable: 'mfa.secret-unreadable',
} as const;

// Without a policy no code is checked: the view below tells the UI an administrator is needed.
const noPolicyLockout = (state: VerificationState): LockoutView => decideLockoutView(state, undefined, 0);

/**
 * Creates the MFA service. Attempts of one user run one at a time (a promise chain per user), so
 * the failure counter is exact under any load; state is re-read from the stores on every call, so
 * a reset written by `mng` is seen at once. Every attempt is audited with its result, time step and
 * drift, never the code or the secret.
 */
export function createMfaService(deps: MfaServiceDeps): MfaService {
  const { secrets, states, emergency, audit, clock } = deps;
  const pending = createPendingEnrollments();
  const queues = new Map<string, Promise<unknown>>();

  /** The shared ledger's step; its failure never blocks the agent's own check (logged as an alert). */
  async function sharedLastStep(user: string, token: TokenRecord): Promise<number | null> {
    if (deps.sharedReplay === undefined) return null;
    try {
      return await deps.sharedReplay.lastAcceptedStep(user, token);
    } catch (error) {
      await audit.append({ type: 'mfa.shared-replay-failed', severity: 'alert', data: { user, step: 'read', error: error instanceof Error ? error.message : String(error) } });
      return null;
    }
  }

  async function shareAcceptedStep(user: string, token: TokenRecord, step: number): Promise<void> {
    if (deps.sharedReplay === undefined) return;
    try {
      await deps.sharedReplay.recordAcceptedStep(user, token, step);
    } catch (error) {
      await audit.append({ type: 'mfa.shared-replay-failed', severity: 'alert', data: { user, step: 'write', error: error instanceof Error ? error.message : String(error) } });
    }
  }

  function serialized<T>(user: string, task: () => Promise<T>): Promise<T> {
    const previous = queues.get(user) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    queues.set(user, tail);
    void tail.then(() => {
      if (queues.get(user) === tail) queues.delete(user);
    });
    return run;
  }

  async function loadState(user: string): Promise<VerificationState> {
    return (await states.get(user)) ?? initialVerificationState(user);
  }

  async function append(event: AuditEventInput): Promise<void> {
    await audit.append(event);
  }

  async function loadToken(user: string): Promise<TokenRecord | null> {
    try {
      return await secrets.get(user);
    } catch (error) {
      // A secret that does not decrypt is tampering or a lost key: alert, then fail (no unlock).
      await append({ type: mfaAuditTypes.secretUnreadable, severity: 'alert', data: { user, error: (error as { code?: string }).code ?? 'unknown' } });
      throw error;
    }
  }

  async function attemptLocked(user: string, typedCode: string): Promise<AttemptOutcome> {
    const policy = deps.policy();
    const nowMs = clock.nowMs();
    const state = await loadState(user);
    const auditAttempt = (result: string, extra: Record<string, unknown> = {}): Promise<void> =>
      append({ type: mfaAuditTypes.attempt, severity: result === 'unlocked' || result === 'emergency-accepted' ? 'info' : 'notice', data: { user, result, ...extra } });

    if (policy === undefined) {
      // Fail closed (STYLE.md §1.3): without a policy nothing is checked and nothing unlocks.
      await auditAttempt('no-policy');
      return { code: 'locked-out', lockout: noPolicyLockout(state) };
    }
    const lockoutPolicy = policy.lockout;
    const view = (s: VerificationState): LockoutView => decideLockoutView(s, lockoutPolicy, nowMs);

    const gate = decideAttempt(state, nowMs);
    if (!gate.allowed) {
      // Refused before any code is looked at: no otplib call, no guess gained; audited all the same.
      await auditAttempt('locked-out', { retryAfterMs: gate.retryAfterMs, adminResetRequired: gate.adminResetRequired, failures: state.failures });
      return { code: 'locked-out', ...(gate.retryAfterMs > 0 ? { retryAfterMs: gate.retryAfterMs } : {}), lockout: view(state) };
    }

    const fail = async (code: 'wrong-code' | 'replayed', extra: Record<string, unknown>): Promise<AttemptOutcome> => {
      const decision = decideAfterFailure(state, lockoutPolicy, nowMs);
      await states.put(decision.state);
      await auditAttempt(code, { ...extra, failures: decision.state.failures });
      if (decision.lockedOut) {
        await append({
          type: mfaAuditTypes.lockedOut,
          severity: decision.state.adminResetRequired ? 'alert' : 'warning',
          data: {
            user,
            failures: decision.state.failures,
            lockoutNumber: decision.lockoutNumber,
            lockedUntil: decision.state.lockedUntilMs > 0 ? new Date(decision.state.lockedUntilMs).toISOString() : null,
            adminResetRequired: decision.state.adminResetRequired,
          },
        });
      }
      const after = decideAttempt(decision.state, nowMs);
      return { code, ...(!after.allowed && after.retryAfterMs > 0 ? { retryAfterMs: after.retryAfterMs } : {}), lockout: view(decision.state) };
    };

    const cleaned = cleanTypedCode(typedCode);
    if (cleaned === null) {
      // Not a guess at any code: reported, not counted.
      await auditAttempt('malformed', { length: typeof typedCode === 'string' ? typedCode.length : null });
      return { code: 'malformed', lockout: view(state) };
    }

    if (cleaned.length === emergencyCodeDigits && policy.emergencyCode.enabled) {
      const match = await matchEmergencyCode(await emergency.list(user), cleaned, nowMs);
      if (!match.matched) return fail('wrong-code', { kind: 'emergency', reason: match.reason });
      await emergency.replaceAll(user, match.records);
      const next = decideAfterSuccess(state, null);
      await states.put(next);
      await auditAttempt('emergency-accepted', { kind: 'emergency', issuedAt: match.used.issuedAt });
      await append({ type: mfaAuditTypes.emergencyUsed, severity: 'alert', data: { user, flag: 'collector', issuedAt: match.used.issuedAt, expiresAt: match.used.expiresAt } });
      return { code: 'emergency-accepted', lockout: view(next) };
    }

    const token = await loadToken(user);
    if (token === null) {
      await auditAttempt('not-enrolled');
      return { code: 'not-enrolled', lockout: view(state) };
    }
    // RFC 6238 §5.2 across verifiers: a code pam_oath accepted at logon is spent here too.
    const sharedStep = await sharedLastStep(user, token);
    const lastAcceptedStep = sharedStep === null ? state.lastAcceptedStep : Math.max(sharedStep, state.lastAcceptedStep ?? sharedStep);
    const verdict: TotpVerdict = verifyTotp({ token, typedCode: cleaned, nowMs, toleranceSteps: policy.totp.driftSteps, lastAcceptedStep });
    if (verdict.valid) {
      const next = decideAfterSuccess(state, verdict.timeStep);
      await states.put(next);
      await shareAcceptedStep(user, token, verdict.timeStep);
      await auditAttempt('unlocked', { step: verdict.timeStep, delta: verdict.delta });
      return { code: 'unlocked', lockout: view(next) };
    }
    const steps = { step: verdict.timeStep, delta: verdict.delta, currentStep: verdict.currentStep };
    switch (verdict.reason) {
      case 'malformed':
        await auditAttempt('malformed', { length: cleaned.length, digits: token.digits });
        return { code: 'malformed', lockout: view(state) };
      case 'wrong-code':
      case 'replayed':
        return fail(verdict.reason, steps);
      case 'clock-rollback': {
        // RFC 6238 §6: the verifier's clock went back. Not the user's fault, so not counted; refused
        // until time passes the last accepted step again, and alerted as a clock-integrity event.
        const waitSteps = (state.lastAcceptedStep ?? 0) - policy.totp.driftSteps - (verdict.currentStep ?? 0);
        const retryAfterMs = Math.max(0, waitSteps * token.periodSeconds * 1000);
        await auditAttempt('clock-rollback', steps);
        await append({ type: mfaAuditTypes.clockRollback, severity: 'alert', data: { user, lastAcceptedStep: state.lastAcceptedStep, currentStep: verdict.currentStep } });
        return { code: 'locked-out', ...(retryAfterMs > 0 ? { retryAfterMs } : {}), lockout: { ...view(state), retryAfterMs } };
      }
      case 'token-invalid':
        await auditAttempt('token-invalid', { detail: verdict.detail ?? null });
        await append({ type: mfaAuditTypes.tokenInvalid, severity: 'alert', data: { user, detail: verdict.detail ?? null } });
        return { code: 'locked-out', lockout: { ...view(state), adminResetRequired: true } };
    }
  }

  function totpParameters(policy: MfaPolicy): TotpParameters {
    return { algorithm: policy.totp.algorithm, digits: policy.totp.digits, periodSeconds: policy.totp.periodSeconds };
  }

  return {
    attempt: (user, typedCode) => serialized(user, () => attemptLocked(user, typedCode)),

    lockoutView: async (user) => {
      const policy = deps.policy();
      const state = await loadState(user);
      return policy === undefined ? noPolicyLockout(state) : decideLockoutView(state, policy.lockout, clock.nowMs());
    },

    isEnrolled: async (user) => (await secrets.list()).includes(user),

    beginEnrollment: async (user, options = {}) => {
      const policy = deps.policy();
      if (policy === undefined) return err('no-policy');
      if (options.replace !== true && (await secrets.list()).includes(user)) return err('already-enrolled');
      const nowMs = clock.nowMs();
      const params = totpParameters(policy);
      const enrollment = pending.add(user, createEnrollmentSecret(), params, nowMs);
      const uri = buildOtpauthUri({ user, hostName: deps.hostName, secret: enrollment.secret, params });
      const qr = await renderEnrollmentQr(uri);
      await append({ type: mfaAuditTypes.enrollmentBegun, severity: 'info', data: { user, expiresAt: new Date(enrollment.expiresAtMs).toISOString() } });
      return ok({ enrollmentId: enrollment.id, uri, qrSvg: qr.svg, qrText: qr.terminal, expiresAt: new Date(enrollment.expiresAtMs).toISOString() });
    },

    confirmEnrollment: async (enrollmentId, typedCode) => {
      const found = pending.find(enrollmentId, clock.nowMs());
      if (!found.found) return { code: found.reason };
      const { user } = found.enrollment;
      return serialized(user, async () => {
        const nowMs = clock.nowMs();
        const again = pending.find(enrollmentId, nowMs);
        if (!again.found) return { code: again.reason, user };
        const enrollment = again.enrollment;
        const token: TokenRecord = {
          user,
          secret: enrollment.secret,
          algorithm: enrollment.params.algorithm,
          digits: enrollment.params.digits,
          periodSeconds: enrollment.params.periodSeconds,
          driftSteps: 0,
          source: 'enrolled',
          serial: null,
          createdAt: new Date(nowMs).toISOString(),
        };
        const toleranceSteps = deps.policy()?.totp.driftSteps ?? 1;
        const verdict = verifyTotp({ token, typedCode, nowMs, toleranceSteps, lastAcceptedStep: null });
        if (!verdict.valid) {
          if (verdict.reason === 'malformed') return { code: 'malformed', user };
          enrollment.failures += 1;
          // A QR code photographed by someone else must not stay guessable: drop it after a few misses.
          if (enrollment.failures >= maxEnrollmentConfirmFailures) pending.remove(enrollmentId);
          await append({ type: mfaAuditTypes.attempt, severity: 'notice', data: { user, result: 'enrollment-wrong-code', failures: enrollment.failures } });
          return { code: 'wrong-code', user };
        }
        pending.remove(enrollmentId);
        await secrets.put(token);
        // The confirming code must not unlock a session afterwards (RFC 6238 §5.2).
        await states.put({ ...(await loadState(user)), lastAcceptedStep: verdict.timeStep });
        await append({
          type: mfaAuditTypes.enrolled,
          severity: 'notice',
          data: { user, source: 'enrolled', algorithm: token.algorithm, digits: token.digits, periodSeconds: token.periodSeconds, step: verdict.timeStep, delta: verdict.delta },
        });
        return { code: 'enrolled', user };
      });
    },

    reset: (user, options) =>
      serialized(user, async () => {
        const state = await loadState(user);
        await states.put(decideAfterAdminReset(state, options));
        let removed = false;
        if (options.enrollment) {
          pending.removeUser(user);
          removed = await secrets.remove(user);
        }
        await append({ type: mfaAuditTypes.reset, severity: 'notice', data: { user, enrollment: options.enrollment, tokenRemoved: removed, failures: state.failures, adminResetRequired: state.adminResetRequired } });
      }),

    issueEmergencyCode: (user) =>
      serialized(user, async () => {
        const policy = deps.policy();
        if (policy === undefined) return err('no-policy' as const);
        if (!policy.emergencyCode.enabled) return err('disabled' as const);
        const nowMs = clock.nowMs();
        const issued = await issueEmergencyCode(user, nowMs, policy.emergencyCode.ttlSeconds);
        await emergency.replaceAll(user, decideRecordsAfterIssue(await emergency.list(user), issued.record, nowMs));
        await append({ type: mfaAuditTypes.emergencyIssued, severity: 'notice', data: { user, expiresAt: issued.record.expiresAt } });
        return ok({ code: issued.display, expiresAt: issued.record.expiresAt });
      }),

    status: async () => {
      const policy = deps.policy();
      const nowMs = clock.nowMs();
      const enrolled = await secrets.list();
      const known = states.list === undefined ? [] : await states.list();
      const users = [...new Set([...enrolled, ...known])].sort();
      const result: MfaUserStatus[] = [];
      for (const user of users) {
        const state = await loadState(user);
        let source: string | null = null;
        if (enrolled.includes(user)) {
          // One unreadable secret must not hide everyone else's state: it shows as `unreadable` (and is alerted).
          source = await loadToken(user).then(
            (token) => token?.source ?? null,
            () => 'unreadable',
          );
        }
        result.push({
          user,
          enrolled: source !== null,
          source,
          lockout: policy === undefined ? noPolicyLockout(state) : decideLockoutView(state, policy.lockout, nowMs),
        });
      }
      return { users: result };
    },
  };
}
