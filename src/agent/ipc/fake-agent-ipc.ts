/**
 * In-memory stand-ins for the gate's ports and handlers, for the gate's tests, the agent-client
 * tests and the socket e2e test. The handlers behave like the real MFA / session modules in what
 * the gate cares about (authorization calls, lockout counting, result shapes); they hold no real
 * TOTP: the correct code is fixed.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../shared/clock';
import type { MethodResult, SessionState } from '../../shared/protocol/agent-ipc';
import { ipcFailure, type AgentIpcHandlers } from './model';
import type { SessionDirectory, TokenIssuer } from './ports';

/** A TokenIssuer that keeps tokens in memory; `tokenOf` lets a test act as the user. */
export interface MemoryTokenIssuer extends TokenIssuer {
  /** The current token of `uid`, or undefined. */
  tokenOf(uid: number): string | undefined;
}

/** Tokens in memory; same comparison as the file adapter (SHA-256 digests compared in constant time). */
export function createMemoryTokenIssuer(): MemoryTokenIssuer {
  const tokens = new Map<number, string>();
  return {
    tokenOf: (uid) => tokens.get(uid),
    issue: async (uid) => {
      tokens.set(uid, randomBytes(32).toString('hex'));
    },
    verify: async (uid, token) => tokensEqual(tokens.get(uid), token),
    revoke: async (uid) => {
      tokens.delete(uid);
    },
  };
}

/**
 * Compares a presented token with the expected one in time independent of where they differ
 * (digests of equal length). No expected token still costs one comparison.
 */
export function tokensEqual(expected: string | undefined, presented: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
  const same = timingSafeEqual(digest(expected ?? ''), digest(presented));
  return expected !== undefined && same;
}

/** One fake OS session. */
export interface FakeSession {
  readonly sessionId: string;
  readonly uid: number;
  readonly user: string;
}

/** Options of {@link createFakeAgentIpc}. */
export interface FakeAgentIpcOptions {
  readonly sessions: readonly FakeSession[];
  readonly clock: Clock;
  /** The one code that unlocks (default `123456`). */
  readonly correctCode?: string;
  /** Failures before the lockout (default 5). */
  readonly maxFailures?: number;
  /** Replace single handlers (e.g. one that forgets to authorize). */
  readonly overrides?: Partial<AgentIpcHandlers>;
}

/** Fake handlers plus their directory and counters. */
export interface FakeAgentIpc {
  readonly handlers: AgentIpcHandlers;
  readonly directory: SessionDirectory;
  /** Unlock attempts that reached the handler (after the gate's checks), per user. */
  attempts(user: string): number;
  /** Current failures counted towards the lockout, per user. */
  failures(user: string): number;
  state(sessionId: string): SessionState | undefined;
}

/** Creates fake handlers over `sessions`. Every handler authorizes before it acts, like the real ones must. */
export function createFakeAgentIpc(options: FakeAgentIpcOptions): FakeAgentIpc {
  const correctCode = options.correctCode ?? '123456';
  const maxFailures = options.maxFailures ?? 5;
  const sessions = new Map(options.sessions.map((s) => [s.sessionId, { ...s, locked: true, unlockedUntilMs: 0 }]));
  const attempts = new Map<string, number>();
  const failures = new Map<string, number>();
  const enrolled = new Set<string>();
  const enrollments = new Map<string, { user: string; expiresMs: number }>();
  const iso = (ms: number): string => new Date(ms).toISOString();

  const lockout = (user: string) => {
    const count = failures.get(user) ?? 0;
    return { failures: count, maxFailures, retryAfterMs: 0, adminResetRequired: count >= maxFailures };
  };
  const view = (sessionId: string): SessionState | undefined => {
    const s = sessions.get(sessionId);
    if (s === undefined) return undefined;
    return {
      sessionId: s.sessionId,
      user: s.user,
      state: s.locked ? 'locked' : 'unlocked',
      reason: s.locked ? 'login' : null,
      unlockedUntil: s.locked ? null : iso(s.unlockedUntilMs),
      graceEndsAt: null,
      enrolled: enrolled.has(s.user) || s.user !== 'unenrolled',
      lockout: lockout(s.user),
    };
  };
  const userOf = (uid: number): string | undefined => [...sessions.values()].find((s) => s.uid === uid)?.user;

  const handlers: AgentIpcHandlers = {
    'session.list': async (_params, context) => {
      context.authorizeSelf();
      const mine = [...sessions.values()].filter((s) => context.admin || s.uid === context.uid);
      return { sessions: mine.map((s) => view(s.sessionId)).filter((s): s is SessionState => s !== undefined) };
    },
    'session.unlock': async ({ sessionId, code }, context) => {
      if (!(await context.authorizeSession(sessionId))) return ipcFailure('forbidden');
      const s = sessions.get(sessionId);
      if (s === undefined) return { code: 'no-session', session: null };
      attempts.set(s.user, (attempts.get(s.user) ?? 0) + 1);
      const typed = code.replace(/\s+/g, '');
      if (!/^\d{6}$/.test(typed)) return { code: 'malformed', session: view(sessionId) ?? null };
      if ((failures.get(s.user) ?? 0) >= maxFailures) return { code: 'locked-out', session: view(sessionId) ?? null };
      if (typed !== correctCode) {
        failures.set(s.user, (failures.get(s.user) ?? 0) + 1);
        return { code: 'wrong-code', session: view(sessionId) ?? null };
      }
      failures.set(s.user, 0);
      s.locked = false;
      s.unlockedUntilMs = options.clock.nowMs() + 3_600_000;
      return { code: 'unlocked', session: view(sessionId) ?? null };
    },
    'session.lock': async ({ sessionId }, context) => {
      if (!(await context.authorizeSession(sessionId))) return ipcFailure('forbidden');
      const s = sessions.get(sessionId);
      if (s === undefined) return ipcFailure('not-found');
      s.locked = true;
      const session = view(sessionId);
      return session === undefined ? ipcFailure('not-found') : { session };
    },
    'session.heartbeat': async ({ sessionId }, context) => {
      if (!(await context.authorizeSession(sessionId))) return ipcFailure('forbidden');
      return { intervalMs: 5000 };
    },
    'mfa.enrollment.begin': async (_params, context) => {
      context.authorizeSelf();
      const user = userOf(context.uid) ?? `uid-${context.uid}`;
      const enrollmentId = randomBytes(8).toString('hex');
      const expiresMs = options.clock.nowMs() + 300_000;
      enrollments.set(enrollmentId, { user, expiresMs });
      return { enrollmentId, qrSvg: '<svg xmlns="http://www.w3.org/2000/svg"/>', expiresAt: iso(expiresMs) };
    },
    'mfa.enrollment.confirm': async ({ enrollmentId, code }, context) => {
      context.authorizeSelf();
      const pending = enrollments.get(enrollmentId);
      // Another user's enrollment id is as unknown as a made-up one.
      if (pending === undefined || pending.user !== (userOf(context.uid) ?? `uid-${context.uid}`)) return { code: 'not-found' };
      if (pending.expiresMs < options.clock.nowMs()) return { code: 'expired' };
      if (code !== correctCode) return { code: 'wrong-code' };
      enrolled.add(pending.user);
      enrollments.delete(enrollmentId);
      return { code: 'enrolled' };
    },
    'admin.mfa.status': async (_params, context) => {
      if (!context.authorizeAdmin()) return ipcFailure('forbidden');
      const users = [...new Set([...sessions.values()].map((s) => s.user))].sort();
      const result: MethodResult<'admin.mfa.status'> = { users: users.map((user) => ({ user, enrolled: true, source: 'enrolled', lockout: lockout(user) })) };
      return result;
    },
    'admin.mfa.reset': async ({ user }, context) => {
      if (!context.authorizeAdmin()) return ipcFailure('forbidden');
      failures.set(user, 0);
      return { done: true };
    },
    'admin.mfa.emergency-code': async (_params, context) => {
      if (!context.authorizeAdmin()) return ipcFailure('forbidden');
      return { code: 'EMRG-1234-5678', expiresAt: iso(options.clock.nowMs() + 900_000) };
    },
    ...options.overrides,
  };

  return {
    handlers,
    directory: { ownerOf: async (sessionId) => sessions.get(sessionId)?.uid ?? null },
    attempts: (user) => attempts.get(user) ?? 0,
    failures: (user) => failures.get(user) ?? 0,
    state: view,
  };
}
