/**
 * The agent's answers to the tray app and `mng` over the local IPC gate (issue #5): each method of
 * the protocol is served from the MFA core (codes, enrollment, lockout) and the session lock
 * (state, grant, lock now, heartbeat). Every handler authorizes first (the gate refuses a result
 * that was not authorized). Secrets never leave: the tray gets verdict codes and states; the only
 * secret-bearing answer is the one-time enrollment QR, shown once.
 */
import type { AgentMethod, LockoutView, SessionState } from '../../shared/protocol/agent-ipc';
import { ipcFailure, type AgentIpcHandlers } from '../ipc';
import type { MfaService } from '../mfa';
import type { MfaUserView, SessionService } from '../session';

/** What the handlers need. */
export interface UnlockHandlerDeps {
  readonly mfa: MfaService;
  readonly sessions: SessionService;
  /** OS user name of a uid (enrollment from the tray is for the caller's own user). */
  readonly userName: (uid: number) => Promise<string | undefined>;
  /** Whether users may enroll themselves from the tray (agent setting `trayEnrollment`). */
  readonly trayEnrollment: boolean;
  /** The MFA view of a user changed (after an attempt, enrollment or reset): refresh caches, publish. */
  readonly viewChanged: (user: string) => Promise<void>;
}

/** Enrollment ids handed to a uid: a confirm from another uid is `not-found`. */
type EnrollmentOwners = Map<string, number>;

/** The handlers, plus the hook the gate calls when a connection ends. */
export type UnlockHandlers = AgentIpcHandlers & {
  /** A connection ended: a tray whose connection carried a session's heartbeats is gone at once. */
  connectionClosed(connectionId: number): void;
};

/** Creates the handlers for every method the gate does not answer itself. */
export function createUnlockHandlers(deps: UnlockHandlerDeps): UnlockHandlers {
  const enrollmentOwners: EnrollmentOwners = new Map();
  // Which connection carries which session's tray heartbeats (the latest tray wins).
  const trayConnections = new Map<number, Map<string, number>>();
  const sessionOf = (sessionId: string): SessionState | undefined => deps.sessions.state(sessionId);

  const handlers: UnlockHandlers = {
    connectionClosed(connectionId) {
      const sessions = trayConnections.get(connectionId);
      trayConnections.delete(connectionId);
      for (const [sessionId, trayPid] of sessions ?? []) deps.sessions.trayDisconnected(sessionId, trayPid);
    },
    'session.list': (_params, ctx) => {
      ctx.authorizeSelf();
      return Promise.resolve({ sessions: deps.sessions.list(ctx.admin ? undefined : ctx.uid) });
    },
    'session.unlock': async (params, ctx) => {
      if (!(await ctx.authorizeSession(params.sessionId))) return ipcFailure('forbidden');
      const session = sessionOf(params.sessionId);
      if (session === undefined) return { code: 'no-session', session: null };
      if (session.state === 'unlocked') return { code: 'not-locked', session };
      const outcome = await deps.mfa.attempt(session.user, params.code);
      await deps.viewChanged(session.user);
      if (outcome.code === 'unlocked' || outcome.code === 'emergency-accepted') {
        const granted = deps.sessions.grantUnlock(params.sessionId);
        // A grant refused here means the policy vanished or the session ended between the check and
        // now: the code is spent, the session stays locked.
        if (!granted.ok) return { code: granted.error === 'no-session' ? 'no-session' : 'locked-out', session: sessionOf(params.sessionId) ?? null };
        return { code: outcome.code, session: granted.value };
      }
      return { code: outcome.code, session: sessionOf(params.sessionId) ?? null };
    },
    'session.lock': async (params, ctx) => {
      if (!(await ctx.authorizeSession(params.sessionId))) return ipcFailure('forbidden');
      const locked = deps.sessions.lockNow(params.sessionId, ctx.admin && deps.sessions.owner(params.sessionId) !== ctx.uid ? 'admin' : 'manual');
      return locked.ok ? { session: locked.value } : ipcFailure('not-found');
    },
    'session.heartbeat': async (params, ctx) => {
      if (!(await ctx.authorizeSession(params.sessionId))) return ipcFailure('forbidden');
      const beat = deps.sessions.heartbeat(params.sessionId, params.trayPid);
      if (!beat.ok) return ipcFailure('not-found');
      const sessions = trayConnections.get(ctx.connectionId) ?? new Map<string, number>();
      sessions.set(params.sessionId, params.trayPid);
      trayConnections.set(ctx.connectionId, sessions);
      return beat.value;
    },
    'mfa.enrollment.begin': async (_params, ctx) => {
      ctx.authorizeSelf();
      if (!deps.trayEnrollment) return ipcFailure('forbidden');
      const user = await deps.userName(ctx.uid);
      if (user === undefined) return ipcFailure('not-found');
      const started = await deps.mfa.beginEnrollment(user);
      if (!started.ok) return ipcFailure('forbidden');
      enrollmentOwners.set(started.value.enrollmentId, ctx.uid);
      return { enrollmentId: started.value.enrollmentId, qrSvg: started.value.qrSvg, expiresAt: started.value.expiresAt };
    },
    'mfa.enrollment.confirm': async (params, ctx) => {
      ctx.authorizeSelf();
      if (enrollmentOwners.get(params.enrollmentId) !== ctx.uid) return { code: 'not-found' };
      const confirmed = await deps.mfa.confirmEnrollment(params.enrollmentId, params.code);
      if (confirmed.code === 'enrolled' || confirmed.code === 'expired' || confirmed.code === 'not-found') enrollmentOwners.delete(params.enrollmentId);
      if (confirmed.user !== undefined) await deps.viewChanged(confirmed.user);
      return { code: confirmed.code };
    },
    'admin.mfa.status': async (_params, ctx) => {
      if (!ctx.authorizeAdmin()) return ipcFailure('forbidden');
      return { users: (await deps.mfa.status()).users.map((u) => ({ user: u.user, enrolled: u.enrolled, source: u.source, lockout: u.lockout })) };
    },
    'admin.mfa.reset': async (params, ctx) => {
      if (!ctx.authorizeAdmin()) return ipcFailure('forbidden');
      await deps.mfa.reset(params.user, { enrollment: params.enrollment });
      await deps.viewChanged(params.user);
      return { done: true };
    },
    'admin.mfa.emergency-code': async (params, ctx) => {
      if (!ctx.authorizeAdmin()) return ipcFailure('forbidden');
      const issued = await deps.mfa.issueEmergencyCode(params.user);
      return issued.ok ? { code: issued.value.code, expiresAt: issued.value.expiresAt } : ipcFailure('forbidden');
    },
  };
  return handlers;
}

/** Methods served here (all but `events.subscribe`, which the gate answers). */
export const unlockMethods: readonly Exclude<AgentMethod, 'events.subscribe'>[] = [
  'session.list',
  'session.unlock',
  'session.lock',
  'session.heartbeat',
  'mfa.enrollment.begin',
  'mfa.enrollment.confirm',
  'admin.mfa.status',
  'admin.mfa.reset',
  'admin.mfa.emergency-code',
];

/**
 * Keeps each user's MFA view (enrolled, lockout) in memory for the session lock, which reads it
 * synchronously. Refreshed from the MFA core whenever it may have changed; a user never seen reads
 * as not enrolled with no failures until the first refresh lands.
 */
export function createMfaViewCache(deps: { readonly mfa: MfaService; readonly maxFailures: () => number }): {
  view(user: string): MfaUserView;
  refresh(user: string): Promise<MfaUserView>;
  known(): string[];
} {
  const views = new Map<string, MfaUserView>();
  return {
    view(user) {
      return views.get(user) ?? { enrolled: false, lockout: emptyLockout(deps.maxFailures()) };
    },
    async refresh(user) {
      const [enrolled, lockout] = await Promise.all([deps.mfa.isEnrolled(user), deps.mfa.lockoutView(user)]);
      const view = { enrolled, lockout };
      views.set(user, view);
      return view;
    },
    known: () => [...views.keys()],
  };
}

function emptyLockout(maxFailures: number): LockoutView {
  return { failures: 0, maxFailures: Math.max(1, maxFailures), retryAfterMs: 0, adminResetRequired: false };
}
