/**
 * The shell of the session lock (issue #5 item 2): polls the OS's sessions every second, follows its
 * events, feeds everything through {@link decideSession} and carries out the actions (OS lock,
 * terminate, audit, publish). The IPC handlers call grantUnlock / lockNow / heartbeat; the IPC gate
 * asks `owner(sessionId)` so a user can act only on their own sessions.
 */
import type { Clock } from '../../shared/clock';
import type { MfaPolicy } from '../../shared/policy/schema';
import type { SessionState } from '../../shared/protocol/agent-ipc';
import { err, ok, type Result } from '../../shared/result';
import type { AuditEventInput, AuditSink } from '../audit';
import { decideSession } from './decide-session';
import { defaultSessionSettings, isMfaSubject, sessionAuditTypes, type SessionAction, type SessionEvent, type SessionRecord, type SessionSettings } from './model';
import type { SessionControl, SessionHint, SessionSource } from './ports';
import { describeSessionState, type MfaUserView } from './session-state';

/** Dependencies of {@link createSessionService}; wired by the composition root. */
export interface SessionServiceDeps {
  readonly sessions: SessionSource;
  readonly control: SessionControl;
  readonly audit: AuditSink;
  /** Wall clock: only for the ISO times the tray shows and clock-gap (suspend) detection. */
  readonly clock: Clock;
  /** Monotonic milliseconds (Linux: CLOCK_MONOTONIC, e.g. `performance.now()`); every duration uses it. */
  readonly monotonicMs: () => number;
  /** The MFA policy in force now; undefined: none (sessions stay locked `no-policy`). */
  readonly policy: () => MfaPolicy | undefined;
  /** Enrollment and lockout of a user, from the MFA core (synchronous: the core keeps them in memory). */
  readonly mfaView: (user: string) => MfaUserView;
  /** Called whenever the tray's view of a session changes (IPC pushes `session.state`). */
  readonly onState?: (state: SessionState) => void;
  /** Agent-side timings; defaults {@link defaultSessionSettings}. */
  readonly settings?: Partial<SessionSettings>;
  /** Poll interval (ms). Default 1,000. */
  readonly pollIntervalMs?: number;
  /**
   * Wall time running ahead of monotonic time by more than this between two polls means the
   * machine slept (CLOCK_MONOTONIC stops in suspend): every session locks `resume` even when the
   * PrepareForSleep signal was missed. Default 30,000 ms. A wall-clock step forward (NTP) of the
   * same size locks too: fail closed.
   */
  readonly sleepGapMs?: number;
  /** Repeats `callback` every `intervalMs`; returns a function that stops. Default setInterval. */
  readonly every?: (callback: () => void, intervalMs: number) => () => void;
  /** Unexpected failures (audit sink broken, a bug in a listener). */
  readonly onError?: (error: unknown) => void;
}

/** Why a request about a session was refused. */
export type SessionRequestFailure = 'no-session' | 'no-policy';

/** The session lock as the rest of the agent sees it. */
export interface SessionService {
  /** Reads the sessions once (locking every one), starts following events and polling. */
  start(): Promise<void>;
  stop(): void;
  /** Polls now; resolves when the poll's decisions are applied (not when their commands finish). */
  refresh(): Promise<void>;
  /** The MFA core accepted a code for this session: unlock it for `unlockPeriodSeconds`. */
  grantUnlock(sessionId: string): Result<SessionState, SessionRequestFailure>;
  /** Locks now (tray menu: `manual`; administrator: `admin`) and asks the OS to lock the screen. */
  lockNow(sessionId: string, reason: 'manual' | 'admin'): Result<SessionState, 'no-session'>;
  /** The tray app of this session is alive; the result tells it how often to call again. */
  heartbeat(sessionId: string, trayPid: number): Result<{ intervalMs: number }, 'no-session'>;
  /** The connection of the tray that sent this session's heartbeats closed: treat the tray as gone now. */
  trayDisconnected(sessionId: string, trayPid: number): void;
  /** States of all sessions subject to MFA, or only those of `uid`. */
  list(uid?: number): SessionState[];
  /** The uid owning a session (the IPC gate's SessionDirectory); undefined if unknown. */
  owner(sessionId: string): number | undefined;
  state(sessionId: string): SessionState | undefined;
  /** True while the OS session list could be read at the last poll. */
  healthy(): boolean;
  /** Resolves when every action queued so far (audit appends, OS commands) has finished. */
  whenIdle(): Promise<void>;
}

const defaultEvery = (callback: () => void, intervalMs: number): (() => void) => {
  const handle = setInterval(callback, intervalMs);
  return () => clearInterval(handle);
};

/** Creates the session lock service. Nothing runs until start(). */
export function createSessionService(deps: SessionServiceDeps): SessionService {
  const settings: SessionSettings = { ...defaultSessionSettings, ...deps.settings };
  const pollIntervalMs = deps.pollIntervalMs ?? 1_000;
  const sleepGapMs = deps.sleepGapMs ?? 30_000;
  const every = deps.every ?? defaultEvery;
  const reportError = deps.onError ?? (() => undefined);
  const records = new Map<string, SessionRecord>();
  let started = false;
  let stopPoll: (() => void) | undefined;
  let stopWatch: (() => void) | undefined;
  let sourceOk = true;
  let lastReading: { wallMs: number; monoMs: number } | undefined;
  let polling: Promise<void> = Promise.resolve();
  // Audit appends and OS commands run in order, one at a time, off the caller's path.
  let actionChain: Promise<void> = Promise.resolve();

  const context = () => {
    const policy = deps.policy();
    return {
      nowMs: deps.monotonicMs(),
      policy: policy === undefined ? undefined : { gracePeriodSeconds: policy.gracePeriodSeconds, idleLockSeconds: policy.idleLockSeconds, unlockPeriodSeconds: policy.unlockPeriodSeconds },
      settings,
    };
  };

  function enqueue(work: () => Promise<void>): void {
    actionChain = actionChain.then(work).catch((error: unknown) => reportError(error));
  }

  function writeAudit(event: AuditEventInput): void {
    enqueue(async () => {
      await deps.audit.append(event);
    });
  }

  function carryOut(action: SessionAction): void {
    if (action.kind === 'audit') {
      writeAudit(action.event);
      return;
    }
    const { sessionId } = action;
    const record = records.get(sessionId);
    enqueue(async () => {
      const outcome = action.kind === 'lock-os-session' ? await deps.control.lock(sessionId) : await deps.control.terminate(sessionId);
      if (!outcome.ok) {
        await deps.audit.append({
          type: sessionAuditTypes.controlFailed,
          severity: 'warning',
          data: { sessionId, uid: record?.facts.uid ?? null, user: record?.facts.user ?? null, action: action.kind, why: action.why, detail: outcome.detail },
        });
      }
    });
  }

  function describe(record: SessionRecord): SessionState {
    return describeSessionState(record, deps.clock.nowMs(), deps.monotonicMs(), deps.mfaView(record.facts.user));
  }

  /** Decides one event for one session and applies the result. Returns the new record. */
  function apply(sessionId: string, event: SessionEvent): { record: SessionRecord | undefined; refused?: 'no-policy' } {
    const decision = decideSession(records.get(sessionId), event, context());
    if (decision.record === undefined) records.delete(sessionId);
    else records.set(sessionId, decision.record);
    for (const action of decision.actions) carryOut(action);
    if (decision.changed && decision.record !== undefined && deps.onState !== undefined) {
      try {
        deps.onState(describe(decision.record));
      } catch (error) {
        reportError(error);
      }
    }
    return decision.refused === undefined ? { record: decision.record } : { record: decision.record, refused: decision.refused };
  }

  function applyAll(event: SessionEvent): void {
    for (const id of [...records.keys()]) apply(id, event);
  }

  async function poll(): Promise<void> {
    const listed = await deps.sessions.list();
    const wallMs = deps.clock.nowMs();
    const monoMs = deps.monotonicMs();
    if (lastReading !== undefined && wallMs - lastReading.wallMs - (monoMs - lastReading.monoMs) > sleepGapMs) {
      applyAll({ kind: 'sleep', phase: 'resumed', detectedBy: 'clock-gap' });
    }
    lastReading = { wallMs, monoMs };
    if (!listed.ok) {
      if (sourceOk) {
        sourceOk = false;
        writeAudit({ type: sessionAuditTypes.sourceFailed, severity: 'warning', data: { reason: listed.error.reason, detail: listed.error.detail } });
      }
      // Without a fresh list the timers still run: expiries and deadlines are not postponed.
      applyAll({ kind: 'tick' });
      return;
    }
    if (!sourceOk) {
      sourceOk = true;
      writeAudit({ type: sessionAuditTypes.sourceRecovered, severity: 'notice', data: {} });
    }
    const seen = new Set<string>();
    for (const facts of listed.value) {
      if (!isMfaSubject(facts) || seen.has(facts.id)) continue;
      seen.add(facts.id);
      const known = records.get(facts.id);
      if (known !== undefined && known.facts.uid !== facts.uid) {
        // An id reused for another user is a different session.
        apply(facts.id, { kind: 'vanished' });
      }
      if (records.has(facts.id)) apply(facts.id, { kind: 'observed', facts });
      else apply(facts.id, { kind: 'appeared', facts, atStart: !started });
    }
    for (const id of [...records.keys()]) {
      if (!seen.has(id)) apply(id, { kind: 'vanished' });
    }
  }

  function refresh(): Promise<void> {
    // Polls run one after another; a failing poll does not stop the next.
    polling = polling.then(poll).catch((error: unknown) => reportError(error));
    return polling;
  }

  function onHint(hint: SessionHint): void {
    switch (hint.kind) {
      case 'sleep':
        applyAll({ kind: 'sleep', phase: hint.phase, detectedBy: 'logind' });
        break;
      case 'unlock-requested': {
        const record = records.get(hint.sessionId);
        if (record !== undefined && record.state === 'locked') {
          writeAudit({ type: sessionAuditTypes.unlockSignal, severity: 'warning', data: { sessionId: hint.sessionId, uid: record.facts.uid, user: record.facts.user, reason: record.reason } });
        }
        void refresh();
        break;
      }
      case 'changed':
        void refresh();
        break;
      case 'watch-failed':
        writeAudit({ type: sessionAuditTypes.watchFailed, severity: 'warning', data: { detail: hint.detail } });
        break;
    }
  }

  return {
    async start() {
      if (stopPoll !== undefined) return;
      stopWatch = deps.sessions.watch(onHint);
      await refresh();
      started = true;
      stopPoll = every(() => void refresh(), pollIntervalMs);
    },
    stop() {
      stopPoll?.();
      stopWatch?.();
      stopPoll = undefined;
      stopWatch = undefined;
    },
    refresh,
    grantUnlock(sessionId) {
      if (!records.has(sessionId)) return err('no-session');
      const { record, refused } = apply(sessionId, { kind: 'unlock-granted' });
      if (refused !== undefined) return err(refused);
      return record === undefined ? err('no-session') : ok(describe(record));
    },
    lockNow(sessionId, reason) {
      if (!records.has(sessionId)) return err('no-session');
      const { record } = apply(sessionId, { kind: 'lock-requested', reason });
      return record === undefined ? err('no-session') : ok(describe(record));
    },
    heartbeat(sessionId, trayPid) {
      if (!records.has(sessionId)) {
        // A tray that starts right after login may be faster than the next poll.
        void refresh();
        return err('no-session');
      }
      apply(sessionId, { kind: 'heartbeat', trayPid });
      return ok({ intervalMs: settings.trayHeartbeatIntervalMs });
    },
    trayDisconnected(sessionId, trayPid) {
      if (records.has(sessionId)) apply(sessionId, { kind: 'tray-disconnected', trayPid });
    },
    list(uid) {
      return [...records.values()].filter((record) => uid === undefined || record.facts.uid === uid).map(describe);
    },
    owner(sessionId) {
      return records.get(sessionId)?.facts.uid;
    },
    state(sessionId) {
      const record = records.get(sessionId);
      return record === undefined ? undefined : describe(record);
    },
    healthy: () => sourceOk,
    async whenIdle() {
      await polling;
      let seen: Promise<void> | undefined;
      while (seen !== actionChain) {
        seen = actionChain;
        await seen;
      }
    },
  };
}
