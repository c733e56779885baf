/**
 * The lock state machine of one OS session (issue #5 item 2). Pure: a record, an event and the
 * context in; the next record, the actions and whether the tray's view changed out. The shell
 * (session-service.ts) applies the actions.
 *
 * Rules (reference/mfa.md §8, §9.5):
 * - A session starts locked (`login`). Only `unlock-granted` unlocks it, for
 *   `unlockPeriodSeconds` on the monotonic clock; then it locks again (`expired`).
 * - Suspend or resume, idle beyond `idleLockSeconds`, and an OS screen lock (after
 *   `gracePeriodSeconds`, which is how long an unlock survives a screen lock; 0 = at once) lock it.
 *   After an OS screen lock the person unlocks the OS screen and is asked for the code again
 *   (`screen-unlock`).
 * - No policy in force: locked (`no-policy`); a code cannot unlock it (fail closed).
 * - While locked, the tray's lock window covers the desktop. If the tray app is missing (no
 *   heartbeat within the grace), nothing covers it: the session is locked (`tray-missing`, tamper
 *   event) and the OS lock is enforced: an OS unlock is undone at once and audited.
 * - A session that has not completed MFA `loginDeadlineSeconds` after login (or after its tray went
 *   missing) is terminated.
 */
import type { AuditEventInput, AuditSeverity } from '../audit';
import type { LockReason } from '../../shared/protocol/agent-ipc';
import {
  expectsTray,
  sessionAuditTypes,
  type OsLockWhy,
  type OsSessionFacts,
  type SessionAction,
  type SessionContext,
  type SessionDecision,
  type SessionEvent,
  type SessionRecord,
} from './model';

/** Decides one event for one session. `record` is undefined only for `appeared`. Never throws. */
export function decideSession(record: SessionRecord | undefined, event: SessionEvent, context: SessionContext): SessionDecision {
  if (event.kind === 'appeared') return appear(event.facts, event.atStart, context);
  if (record === undefined) return { record: undefined, actions: [], changed: false };
  const step = new Step(record, context);
  switch (event.kind) {
    case 'observed':
      step.observe(event.facts);
      break;
    case 'vanished':
      step.audit(sessionAuditTypes.ended, 'info', {});
      return { record: undefined, actions: step.actions, changed: true };
    case 'sleep':
      step.lock('resume', true);
      step.requestOsLock('suspend');
      step.auditData({ phase: event.phase, detectedBy: event.detectedBy });
      break;
    case 'unlock-granted':
      if (context.policy === undefined) {
        // Refused, but time still passed: the timers run as for a tick.
        step.tick();
        return { ...step.finish(), refused: 'no-policy' };
      }
      step.unlock(context.policy.unlockPeriodSeconds);
      break;
    case 'lock-requested':
      step.lock(event.reason, true);
      step.requestOsLock(event.reason);
      break;
    case 'heartbeat':
      step.heartbeat(event.trayPid);
      break;
    case 'tray-disconnected':
      step.trayDisconnected(event.trayPid);
      break;
    case 'tick':
      break;
  }
  // Time-based rules run after every event, so no event can leave an expired unlock standing.
  step.tick();
  return step.finish();
}

/** A new session: locked `login`, with a deadline unless it was already there when the agent started. */
function appear(facts: OsSessionFacts, atStart: boolean, context: SessionContext): SessionDecision {
  const { nowMs, settings } = context;
  const deadlineMs = settings.loginDeadlineSeconds * 1000;
  const record: SessionRecord = {
    facts,
    state: 'locked',
    reason: context.policy === undefined ? 'no-policy' : 'login',
    unlockedUntilMs: null,
    // A session found at agent start may be one whose person is away (agent upgrade): it is locked,
    // but terminating it would destroy work; a new login has no such excuse.
    deadline: !atStart && deadlineMs > 0 ? { atMs: nowMs + deadlineMs, cause: 'login' } : null,
    verified: false,
    osLocked: facts.osLocked,
    osLock: 'none',
    lastLockRequestMs: null,
    screenLockedAtMs: null,
    tray: { lastSeenMs: null, pid: null, missing: false },
    appearedAtMs: nowMs,
    terminateRequested: false,
    lockIneffectiveReported: false,
  };
  const step = new Step(record, context);
  step.audit(sessionAuditTypes.appeared, 'info', {
    seat: facts.seat,
    tty: facts.tty,
    type: facts.type,
    remote: facts.remote,
    leaderPid: facts.leaderPid,
    atStart,
  });
  step.audit(sessionAuditTypes.locked, 'notice', { reason: record.reason, deadlineSeconds: record.deadline === null ? null : settings.loginDeadlineSeconds });
  step.tick();
  const decision = step.finish();
  return { ...decision, changed: true };
}

/** One decision in progress: a mutable copy of the record and the actions so far. */
class Step {
  record: SessionRecord;
  readonly actions: SessionAction[] = [];
  private readonly before: SessionRecord;
  private readonly context: SessionContext;

  constructor(record: SessionRecord, context: SessionContext) {
    this.record = record;
    this.before = record;
    this.context = context;
  }

  private get now(): number {
    return this.context.nowMs;
  }

  audit(type: string, severity: AuditSeverity, data: Record<string, unknown>): void {
    const facts = this.record.facts;
    const event: AuditEventInput = { type, severity, data: { sessionId: facts.id, uid: facts.uid, user: facts.user, ...data } };
    this.actions.push({ kind: 'audit', event });
  }

  /** Adds fields to the last audit action (the one the event just caused). */
  auditData(data: Record<string, unknown>): void {
    for (let i = this.actions.length - 1; i >= 0; i -= 1) {
      const action = this.actions[i];
      if (action?.kind === 'audit' && action.event.type === sessionAuditTypes.locked) {
        this.actions[i] = { kind: 'audit', event: { ...action.event, data: { ...action.event.data, ...data } } };
        return;
      }
    }
  }

  /**
   * Locks the session. An unlocked session always locks; a locked one takes the new reason only
   * when `replaceReason` (the cause says something the person needs to know, e.g. the tray was
   * stopped). A locked session whose tray is missing gets the OS lock enforced.
   */
  lock(reason: LockReason, replaceReason: boolean): void {
    const current = this.record;
    if (current.state === 'unlocked') {
      this.record = { ...current, state: 'locked', reason, unlockedUntilMs: null, screenLockedAtMs: null };
      this.audit(sessionAuditTypes.locked, 'notice', { reason, from: 'unlocked' });
    } else if (replaceReason && current.reason !== reason) {
      this.record = { ...current, reason, screenLockedAtMs: null };
      this.audit(sessionAuditTypes.locked, 'notice', { reason, from: current.reason });
    }
    if (this.record.tray.missing && expectsTray(this.record.facts)) this.enforceOsLock('tray-missing');
  }

  unlock(unlockPeriodSeconds: number): void {
    const current = this.record;
    this.record = {
      ...current,
      state: 'unlocked',
      reason: null,
      unlockedUntilMs: this.now + unlockPeriodSeconds * 1000,
      verified: true,
      deadline: null,
      osLock: 'none',
      screenLockedAtMs: null,
      terminateRequested: false,
    };
    this.audit(sessionAuditTypes.unlocked, 'notice', { from: current.reason, unlockPeriodSeconds, trayMissing: current.tray.missing });
  }

  /** Asks the OS to lock once (idle, manual, suspend); a later OS unlock hands over to the tray. */
  requestOsLock(why: OsLockWhy): void {
    const current = this.record;
    if (current.osLock === 'enforced') return;
    this.record = { ...current, osLock: 'requested' };
    if (current.osLocked !== true) this.emitOsLock(why);
  }

  /** No tray covers the desktop: the OS session must stay locked. */
  private enforceOsLock(why: OsLockWhy): void {
    const current = this.record;
    if (current.osLock === 'enforced') return;
    this.record = { ...current, osLock: 'enforced' };
    if (current.osLocked !== true) this.emitOsLock(why);
  }

  private emitOsLock(why: OsLockWhy): void {
    this.record = { ...this.record, lastLockRequestMs: this.now };
    this.actions.push({ kind: 'lock-os-session', sessionId: this.record.facts.id, why });
    this.audit(sessionAuditTypes.osLockRequested, why === 'os-unlocked-while-locked' ? 'alert' : 'info', { why });
  }

  observe(facts: OsSessionFacts): void {
    const previous = this.record.osLocked;
    this.record = { ...this.record, facts, osLocked: facts.osLocked };
    const policy = this.context.policy;
    if (previous !== true && facts.osLocked === true) {
      // The OS screen locked: the lock took effect.
      this.record = { ...this.record, lockIneffectiveReported: false };
      if (this.record.state === 'unlocked') {
        const graceSeconds = policy?.gracePeriodSeconds ?? 0;
        if (graceSeconds === 0) this.lock('screen-unlock', false);
        else this.record = { ...this.record, screenLockedAtMs: this.now };
      }
    } else if (previous === true && facts.osLocked === false) {
      this.osUnlocked();
    }
    if (this.record.state === 'unlocked' && policy !== undefined && facts.idleForMs !== null && facts.idleForMs >= policy.idleLockSeconds * 1000) {
      this.lock('idle', false);
      this.auditData({ idleForMs: facts.idleForMs });
      this.requestOsLock('idle');
    }
  }

  /** The OS shows the session unlocked again. */
  private osUnlocked(): void {
    const current = this.record;
    if (current.state === 'unlocked') {
      if (current.screenLockedAtMs !== null) {
        this.record = { ...current, screenLockedAtMs: null };
        this.audit(sessionAuditTypes.unlockSurvivedScreenLock, 'info', { lockedForMs: this.now - current.screenLockedAtMs });
      }
      return;
    }
    if (current.osLock === 'enforced') {
      // Nothing covers the desktop: whoever unlocked it (the person at the OS lock screen, or
      // `loginctl unlock-session`) gets the OS lock back at once.
      this.audit(sessionAuditTypes.osUnlockedWhileLocked, 'alert', { reason: current.reason, trayMissing: current.tray.missing });
      this.emitOsLock('os-unlocked-while-locked');
    } else if (current.osLock === 'requested') {
      // The person passed the OS lock screen; the tray's lock window asks for the code now.
      this.record = { ...current, osLock: 'none' };
    }
  }

  heartbeat(trayPid: number): void {
    const current = this.record;
    if (current.tray.pid !== null && current.tray.pid !== trayPid) {
      this.audit(sessionAuditTypes.trayRestarted, 'warning', { previousPid: current.tray.pid, trayPid });
    }
    if (current.tray.missing) {
      this.audit(sessionAuditTypes.trayReturned, 'notice', { trayPid, state: current.state });
      // The tray covers the desktop again; the OS lock screen that is up stays until the person
      // passes it, then the tray asks for the code.
      this.record = {
        ...current,
        osLock: current.osLock === 'enforced' ? 'requested' : current.osLock,
        deadline: current.deadline?.cause === 'tray-missing' ? null : current.deadline,
      };
    }
    this.record = { ...this.record, tray: { lastSeenMs: this.now, pid: trayPid, missing: false } };
  }

  tick(): void {
    const { policy, settings } = this.context;
    const now = this.now;
    if (policy === undefined) this.lock('no-policy', true);
    let current = this.record;
    if (current.state === 'unlocked' && current.unlockedUntilMs !== null && now >= current.unlockedUntilMs) {
      this.lock('expired', false);
    }
    current = this.record;
    if (current.state === 'unlocked' && current.screenLockedAtMs !== null && policy !== undefined && now - current.screenLockedAtMs >= policy.gracePeriodSeconds * 1000) {
      this.lock('screen-unlock', false);
    }
    this.checkTray();
    current = this.record;
    if (current.osLock === 'enforced' && current.osLocked === false && (current.lastLockRequestMs === null || now - current.lastLockRequestMs >= settings.relockRetryMs)) {
      if (!current.lockIneffectiveReported) {
        this.audit(sessionAuditTypes.osLockIneffective, 'warning', { sinceMs: current.lastLockRequestMs === null ? null : now - current.lastLockRequestMs });
        this.record = { ...this.record, lockIneffectiveReported: true };
      }
      this.emitOsLock('retry');
    }
    current = this.record;
    // No policy: nobody can unlock, so the deadline waits (an administrator must be able to log in
    // and install a policy); everything else stays locked meanwhile.
    if (current.state === 'locked' && current.deadline !== null && !current.terminateRequested && policy !== undefined && now >= current.deadline.atMs) {
      const why = current.deadline.cause === 'login' ? 'login-deadline' : 'tray-missing-deadline';
      this.record = { ...current, terminateRequested: true };
      this.actions.push({ kind: 'terminate-session', sessionId: current.facts.id, why });
      this.audit(sessionAuditTypes.terminated, 'alert', { why, reason: current.reason, deadlineSeconds: settings.loginDeadlineSeconds });
    }
  }

  /**
   * The tray app's connection closed (killed, crashed, or quit): do not wait for the heartbeat
   * grace, which would leave the desktop uncovered for that long. Only the tray that sent the last
   * heartbeat counts: an old connection closing after a new tray took over changes nothing.
   */
  trayDisconnected(trayPid: number): void {
    const current = this.record;
    if (!expectsTray(current.facts) || current.tray.missing || current.tray.pid !== trayPid) return;
    this.trayGone('disconnected', this.now - (current.tray.lastSeenMs ?? current.appearedAtMs));
  }

  private checkTray(): void {
    const current = this.record;
    const { settings } = this.context;
    if (!expectsTray(current.facts) || current.tray.missing) return;
    const since = current.tray.lastSeenMs ?? current.appearedAtMs;
    const limitMs = current.tray.lastSeenMs === null ? settings.trayStartGraceMs : settings.trayGraceMs;
    if (this.now - since <= limitMs) return;
    this.trayGone('silent', this.now - since);
  }

  private trayGone(cause: 'silent' | 'disconnected', silentForMs: number): void {
    const current = this.record;
    const { settings } = this.context;
    // Tamper (mfa.md §8): the lock window is gone or never came up.
    this.record = { ...current, tray: { ...current.tray, missing: true } };
    this.audit(sessionAuditTypes.trayMissing, 'alert', { cause, trayPid: current.tray.pid, everSeen: current.tray.lastSeenMs !== null, silentForMs, state: current.state });
    const deadlineMs = settings.loginDeadlineSeconds * 1000;
    if (this.record.deadline === null && deadlineMs > 0) {
      this.record = { ...this.record, deadline: { atMs: this.now + deadlineMs, cause: 'tray-missing' } };
    }
    this.lock('tray-missing', true);
  }

  finish(): SessionDecision {
    const a = this.before;
    const b = this.record;
    const changed = a.state !== b.state || a.reason !== b.reason || a.unlockedUntilMs !== b.unlockedUntilMs || (a.deadline?.atMs ?? null) !== (b.deadline?.atMs ?? null);
    return { record: b, actions: this.actions, changed };
  }
}
