/**
 * The tray's view of a session (src/shared/protocol/agent-ipc.ts `SessionState`), made from the
 * agent's record. Pure. Monotonic instants become wall time here and nowhere else.
 */
import type { LockoutView, SessionState } from '../../shared/protocol/agent-ipc';
import type { SessionRecord } from './model';

/** What the MFA core says about a user (the composition root wires it). */
export interface MfaUserView {
  readonly enrolled: boolean;
  readonly lockout: LockoutView;
}

/** A view for users the MFA core cannot describe: not enrolled, no failures. */
export function unknownMfaView(maxFailures: number): MfaUserView {
  return { enrolled: false, lockout: { failures: 0, maxFailures: Math.max(1, maxFailures), retryAfterMs: 0, adminResetRequired: false } };
}

/**
 * Converts a record to the protocol shape. `wallNowMs` and `monoNowMs` are read at the same
 * moment; an instant `t` (monotonic) is shown as `wallNowMs + (t - monoNowMs)`.
 */
export function describeSessionState(record: SessionRecord, wallNowMs: number, monoNowMs: number, mfa: MfaUserView): SessionState {
  const toIso = (monoMs: number): string => new Date(Math.round(wallNowMs + (monoMs - monoNowMs))).toISOString();
  return {
    sessionId: record.facts.id,
    user: record.facts.user,
    state: record.state,
    reason: record.state === 'locked' ? record.reason : null,
    unlockedUntil: record.state === 'unlocked' && record.unlockedUntilMs !== null ? toIso(record.unlockedUntilMs) : null,
    graceEndsAt: record.state === 'locked' && record.deadline !== null ? toIso(record.deadline.atMs) : null,
    enrolled: mfa.enrolled,
    lockout: { ...mfa.lockout },
  };
}
