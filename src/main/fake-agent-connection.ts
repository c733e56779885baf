/**
 * A small in-memory agent for tests of the tray app (main-process logic and the renderer harness):
 * one session, a set of valid codes, replay refusal, a failure counter with a lockout delay, and
 * one-time enrollment. It speaks the shared protocol's method and event shapes (parsed with the
 * shared schemas, so it cannot drift from them) and stands in until the renderer harness runs
 * against the real agent over a real socket.
 */
import { agentMethods, type AgentMethod, type EventFrame, type MethodParams, type MethodResult, type Notification, type SessionState } from '../shared/protocol/agent-ipc';
import type { AgentCallOutcome, AgentConnection, AgentLinkState } from './agent-connection';

/** Options of the fake agent. */
export interface FakeAgentOptions {
  readonly nowMs: () => number;
  readonly user?: string;
  readonly sessionId?: string;
  /** Codes the "token" shows; each is accepted once. */
  readonly validCodes?: readonly string[];
  readonly maxFailures?: number;
  /** Lockout delay after reaching maxFailures (ms). */
  readonly lockoutMs?: number;
  readonly enrolled?: boolean;
  /** The enrollment QR the fake hands out. */
  readonly qrSvg?: string;
  readonly enrollmentTtlMs?: number;
}

/** The fake plus its controls. */
export interface FakeAgentConnection extends AgentConnection {
  readonly session: SessionState;
  /** Every call made, in order (method and params). */
  readonly calls: { method: AgentMethod; params: unknown }[];
  /** Changes the link state and tells the listeners (as a dropped or restored socket would). */
  setLinkState(state: AgentLinkState): void;
  /** Locks the session (as idle, resume, screen unlock… would) and pushes the event. */
  lock(reason: NonNullable<SessionState['reason']>): void;
  /** Pushes a notification event. */
  notify(notification: Notification): void;
  /** Adds a code the token now shows. */
  addValidCode(code: string): void;
}

/** Creates the fake agent; connected, one locked session. */
export function createFakeAgentConnection(options: FakeAgentOptions): FakeAgentConnection {
  const maxFailures = options.maxFailures ?? 5;
  const lockoutMs = options.lockoutMs ?? 60_000;
  const validCodes = new Set(options.validCodes ?? ['246810']);
  const usedCodes = new Set<string>();
  const eventListeners = new Set<(event: EventFrame) => void>();
  const stateListeners = new Set<(state: AgentLinkState) => void>();
  const calls: { method: AgentMethod; params: unknown }[] = [];
  const enrollments = new Map<string, number>();
  let linkState: AgentLinkState = 'connected';
  let failures = 0;
  let lockedUntilMs = 0;
  let enrollmentCount = 0;
  let session: SessionState = {
    sessionId: options.sessionId ?? 'c1',
    user: options.user ?? 'staff01',
    state: 'locked',
    reason: 'login',
    unlockedUntil: null,
    graceEndsAt: null,
    enrolled: options.enrolled ?? true,
    lockout: { failures: 0, maxFailures, retryAfterMs: 0, adminResetRequired: false },
  };

  const lockout = (): SessionState['lockout'] => ({
    failures,
    maxFailures,
    retryAfterMs: Math.max(0, lockedUntilMs - options.nowMs()),
    adminResetRequired: false,
  });
  const current = (): SessionState => ({ ...session, lockout: lockout() });
  const emit = (event: EventFrame): void => {
    for (const listener of eventListeners) listener(event);
  };
  const setSession = (next: SessionState): void => {
    session = next;
    emit({ v: 1, event: 'session.state', data: current() });
  };

  const unlock = (code: string): MethodResult<'session.unlock'>['code'] => {
    if (session.state === 'unlocked') return 'not-locked';
    if (!session.enrolled) return 'not-enrolled';
    if (options.nowMs() < lockedUntilMs) return 'locked-out';
    // Full-width digits and spaces, as a Japanese IME types them (the agent normalizes the same way).
    const normalized = code.replace(/[０-９]/g, (digit) => String.fromCharCode(digit.charCodeAt(0) - 0xfee0)).replace(/\s/g, '');
    if (!/^\d{6}$/.test(normalized)) return 'malformed';
    if (usedCodes.has(normalized)) return 'replayed';
    if (validCodes.has(normalized)) {
      usedCodes.add(normalized);
      validCodes.delete(normalized);
      failures = 0;
      session = { ...session, state: 'unlocked', reason: null, unlockedUntil: new Date(options.nowMs() + 8 * 3600_000).toISOString() };
      return 'unlocked';
    }
    failures += 1;
    if (failures >= maxFailures) {
      lockedUntilMs = options.nowMs() + lockoutMs;
      return 'locked-out';
    }
    return 'wrong-code';
  };

  const handle = (method: AgentMethod, params: unknown): unknown => {
    switch (method) {
      case 'session.list':
        return { sessions: [current()] };
      case 'events.subscribe':
        return { subscribed: true };
      case 'session.heartbeat':
        return { intervalMs: 5_000 };
      case 'session.lock':
        setSession({ ...session, state: 'locked', reason: 'manual', unlockedUntil: null });
        return { session: current() };
      case 'session.unlock': {
        const { code } = params as MethodParams<'session.unlock'>;
        const result = unlock(code);
        return { code: result, session: current() };
      }
      case 'mfa.enrollment.begin': {
        enrollmentCount += 1;
        const enrollmentId = `enroll-${String(enrollmentCount).padStart(4, '0')}`;
        const expiresMs = options.nowMs() + (options.enrollmentTtlMs ?? 300_000);
        enrollments.set(enrollmentId, expiresMs);
        return { enrollmentId, qrSvg: options.qrSvg ?? '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><path d="M0 0h2v2H0z"/></svg>', expiresAt: new Date(expiresMs).toISOString() };
      }
      case 'mfa.enrollment.confirm': {
        const { enrollmentId, code } = params as MethodParams<'mfa.enrollment.confirm'>;
        const expiresMs = enrollments.get(enrollmentId);
        if (expiresMs === undefined) return { code: 'not-found' };
        if (options.nowMs() > expiresMs) return { code: 'expired' };
        if (!/^\d{6}$/.test(code)) return { code: 'malformed' };
        if (!validCodes.has(code)) return { code: 'wrong-code' };
        validCodes.delete(code);
        usedCodes.add(code);
        enrollments.delete(enrollmentId);
        setSession({ ...session, enrolled: true });
        return { code: 'enrolled' };
      }
      case 'admin.mfa.status':
      case 'admin.mfa.reset':
      case 'admin.mfa.emergency-code':
        throw new Error(`fake agent: ${method} is admin-only and the tray never calls it`);
    }
  };

  return {
    get state() {
      return linkState;
    },
    get session() {
      return current();
    },
    calls,
    async call<M extends AgentMethod>(method: M, params: MethodParams<M>): Promise<AgentCallOutcome<M>> {
      calls.push({ method, params });
      if (linkState !== 'connected') return { ok: false, code: 'unreachable' };
      const definition = agentMethods[method];
      if (!definition.params.safeParse(params).success) return { ok: false, code: 'bad-params' };
      // The fake's answers pass the real result schema, so they look exactly like the agent's.
      const result = definition.result.parse(handle(method, params)) as MethodResult<M>;
      return { ok: true, result };
    },
    onEvent(listener) {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
    onStateChange(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
    setLinkState(state) {
      linkState = state;
      for (const listener of stateListeners) listener(state);
    },
    lock(reason) {
      setSession({ ...session, state: 'locked', reason, unlockedUntil: null });
    },
    notify(notification) {
      emit({ v: 1, event: 'notification', data: notification });
    },
    addValidCode(code) {
      validCodes.add(code);
    },
  };
}
