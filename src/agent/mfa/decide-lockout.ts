import type { LockoutView } from '../../shared/protocol/agent-ipc';
import type { VerificationState } from './model';

/** `spec.mfa.lockout` of the policy. */
export interface LockoutPolicy {
  /** Consecutive failures that trigger one lockout (≥ 1). */
  readonly maxFailures: number;
  /** Wait of the 1st, 2nd, … lockout in seconds (increasing). */
  readonly delaySeconds: readonly number[];
  /** After the last delay, stay locked until an administrator resets. */
  readonly lockUntilAdminReset: boolean;
}

/**
 * Wait used when the policy lists no delays and no admin reset: RFC 4226 §7.3 requires throttling,
 * so an empty list never means "no lockout" (fail closed, STYLE.md §1.3).
 */
export const fallbackLockoutDelaySeconds = 60;

/** Whether an attempt may be verified now. */
export type AttemptGate =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterMs: number; readonly adminResetRequired: boolean };

/** The state of a user nobody has seen yet. */
export function initialVerificationState(user: string): VerificationState {
  return { user, lastAcceptedStep: null, failures: 0, lockedUntilMs: 0, adminResetRequired: false };
}

/**
 * May `state`'s user try a code at `nowMs`? No while an admin reset is required or before
 * `lockedUntilMs`. RFC 4226 §7.3: the lockout holds across sessions because the state is persisted.
 */
export function decideAttempt(state: VerificationState, nowMs: number): AttemptGate {
  if (state.adminResetRequired) return { allowed: false, retryAfterMs: 0, adminResetRequired: true };
  if (nowMs < state.lockedUntilMs) return { allowed: false, retryAfterMs: Math.ceil(state.lockedUntilMs - nowMs), adminResetRequired: false };
  return { allowed: true };
}

/** The next state after a failed (guessing) attempt, and whether it started a lockout. */
export interface FailureDecision {
  readonly state: VerificationState;
  /** True when this failure locked the user out (a delay began or an admin reset became required). */
  readonly lockedOut: boolean;
  /** Which lockout this is (1 = first); 0 when none began. */
  readonly lockoutNumber: number;
}

/**
 * Counts one failure. Every `maxFailures`-th consecutive failure starts lockout number
 * k = failures / maxFailures, lasting `delaySeconds[k-1]`; once the delays are used up the user is
 * locked until an admin reset (`lockUntilAdminReset`) or the last delay repeats.
 */
export function decideAfterFailure(state: VerificationState, policy: LockoutPolicy, nowMs: number): FailureDecision {
  const failures = state.failures + 1;
  const maxFailures = Math.max(1, Math.floor(policy.maxFailures));
  if (failures % maxFailures !== 0) return { state: { ...state, failures }, lockedOut: false, lockoutNumber: 0 };
  const lockoutNumber = failures / maxFailures;
  const delays = policy.delaySeconds;
  if (lockoutNumber > delays.length && policy.lockUntilAdminReset) {
    return { state: { ...state, failures, lockedUntilMs: 0, adminResetRequired: true }, lockedOut: true, lockoutNumber };
  }
  const delaySeconds = delays[Math.min(lockoutNumber, delays.length) - 1] ?? fallbackLockoutDelaySeconds;
  return { state: { ...state, failures, lockedUntilMs: nowMs + delaySeconds * 1000, adminResetRequired: false }, lockedOut: true, lockoutNumber };
}

/** The state after an accepted code: failures and lockout cleared, the accepted step kept for replay. */
export function decideAfterSuccess(state: VerificationState, acceptedStep: number | null): VerificationState {
  return { ...state, failures: 0, lockedUntilMs: 0, adminResetRequired: false, lastAcceptedStep: acceptedStep ?? state.lastAcceptedStep };
}

/** The state after an administrator reset: lockout cleared; the replay step is kept (a code still works once). */
export function decideAfterAdminReset(state: VerificationState, options: { readonly enrollment: boolean }): VerificationState {
  return { ...state, failures: 0, lockedUntilMs: 0, adminResetRequired: false, lastAcceptedStep: options.enrollment ? null : state.lastAcceptedStep };
}

/**
 * The lockout as the UI shows it. `failures` counts within the current round (0 … maxFailures):
 * a user who is locked out sees maxFailures of maxFailures; after a delay ends the round restarts.
 * Without a policy (`undefined`) nothing can unlock: the view says an administrator is needed.
 */
export function decideLockoutView(state: VerificationState, policy: LockoutPolicy | undefined, nowMs: number): LockoutView {
  if (policy === undefined) return { failures: state.failures, maxFailures: Math.max(1, state.failures), retryAfterMs: 0, adminResetRequired: true };
  const maxFailures = Math.max(1, Math.floor(policy.maxFailures));
  const gate = decideAttempt(state, nowMs);
  if (!gate.allowed) return { failures: maxFailures, maxFailures, retryAfterMs: gate.retryAfterMs, adminResetRequired: gate.adminResetRequired };
  return { failures: state.failures % maxFailures, maxFailures, retryAfterMs: 0, adminResetRequired: false };
}
