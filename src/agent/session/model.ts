/**
 * The vocabulary of the session lock (issue #5 item 2 "Lock enforcement"): one record per OS login
 * session, the events that move it, and the actions the agent takes. The tray only shows this
 * state; the agent keeps it (reference/mfa.md §8 "an overlay is not a lock").
 *
 * Durations are measured on a monotonic clock (milliseconds, injected): every `…Ms` instant in a
 * {@link SessionRecord} is a monotonic reading, never wall time (mfa.md §9.5). Wall time appears
 * only in the published {@link SessionState} (ISO strings), converted at the edge.
 */
import type { AuditEventInput } from '../audit';
import type { LockReason } from '../../shared/protocol/agent-ipc';
import type { MfaPolicy } from '../../shared/policy/schema';

export type { LockReason, SessionState } from '../../shared/protocol/agent-ipc';

/**
 * One OS login session as the OS reports it (logind on Linux, WTS on Windows). Adapters fill it;
 * the module never asks the OS itself.
 */
export interface OsSessionFacts {
  /** logind session id (`2`, `c1`) or WTS session id (`1`); matches the IPC `sessionId` pattern. */
  readonly id: string;
  readonly uid: number;
  readonly user: string;
  /** `seat0`, or null for sessions without a seat (ssh, RDP). */
  readonly seat: string | null;
  /** `tty2`, `pts/0`, or null. */
  readonly tty: string | null;
  /**
   * logind `Class`: `user` sessions are subject to MFA; `greeter` (the display manager's login
   * screen), `lock-screen`, `background` and `manager` are not (nobody works in them).
   */
  readonly sessionClass: string;
  /**
   * logind `Type`: `x11`, `wayland`, `mir` (graphical: a tray is expected), `tty`, `unspecified`;
   * `windows` for a WTS desktop session (console or RDP).
   */
  readonly type: string;
  readonly remote: boolean;
  /** The foreground session of its seat. */
  readonly active: boolean;
  /** logind `State`: `online`, `active` or `closing` (logged out, processes still running). */
  readonly osState: string;
  /** The OS says the screen of this session is locked (logind `LockedHint`); null: the OS cannot tell. */
  readonly osLocked: boolean | null;
  /** How long the session has been idle (ms) as the OS sees it; 0: not idle; null: unknown. */
  readonly idleForMs: number | null;
  /** Process id of the session leader, for the audit; null if unknown. */
  readonly leaderPid: number | null;
}

/** True for sessions the MFA lock applies to: class `user` and not closing. */
export function isMfaSubject(facts: OsSessionFacts): boolean {
  return facts.sessionClass === 'user' && facts.osState !== 'closing';
}

/** True when a tray app is expected to run in the session (graphical session types). */
export function expectsTray(facts: OsSessionFacts): boolean {
  return facts.type === 'x11' || facts.type === 'wayland' || facts.type === 'mir' || facts.type === 'windows';
}

/** The part of `spec.mfa` the lock uses. */
export type SessionPolicy = Pick<MfaPolicy, 'gracePeriodSeconds' | 'idleLockSeconds' | 'unlockPeriodSeconds'>;

/**
 * Agent-side timing of the lock (not in the policy document). See docs in {@link defaultSessionSettings}.
 */
export interface SessionSettings {
  /**
   * A session that has not completed MFA this long after login (or this long after its tray app
   * went missing) is terminated (s). 0: never terminate; the session only stays locked.
   */
  readonly loginDeadlineSeconds: number;
  /** How often the tray app is asked to send a heartbeat (ms). */
  readonly trayHeartbeatIntervalMs: number;
  /** A tray app silent for longer than this is missing: lock + tamper event (ms). */
  readonly trayGraceMs: number;
  /** After login, the tray app has this long to send its first heartbeat (ms): desktops start slowly. */
  readonly trayStartGraceMs: number;
  /** While the OS lock is enforced but the OS still shows the session unlocked, ask again this often (ms). */
  readonly relockRetryMs: number;
}

/**
 * Defaults: 5 minutes to complete MFA after login (the policy's `gracePeriodSeconds` is a different
 * thing: how long an unlock survives a screen lock; 0 there would end every session at once), a
 * heartbeat every 5 s, missing after 15 s (three beats), 60 s for the tray to start.
 */
export const defaultSessionSettings: SessionSettings = {
  loginDeadlineSeconds: 300,
  trayHeartbeatIntervalMs: 5_000,
  trayGraceMs: 15_000,
  trayStartGraceMs: 60_000,
  relockRetryMs: 5_000,
};

/**
 * How the agent wants the OS lock:
 * - `none`: the tray's lock window covers the desktop; the OS session may be unlocked.
 * - `requested`: the agent asked the OS to lock once (idle, manual, suspend). When the person
 *   unlocks the OS screen, the tray's lock window takes over and asks for the code.
 * - `enforced`: no tray covers the desktop (the tray app is missing). The OS session must stay
 *   locked; an OS unlock is undone at once and audited.
 */
export type OsLockDemand = 'none' | 'requested' | 'enforced';

/** Why a session will be terminated if it is still locked at its deadline. */
export type DeadlineCause = 'login' | 'tray-missing';

/** The agent's state of one OS session. Immutable; {@link decideSession} returns a new one. */
export interface SessionRecord {
  readonly facts: OsSessionFacts;
  readonly state: 'locked' | 'unlocked';
  /** Why it is locked; null while unlocked. */
  readonly reason: LockReason | null;
  /** Monotonic ms when the current unlock ends; null while locked. */
  readonly unlockedUntilMs: number | null;
  /** Monotonic ms at which a still-locked session is terminated; null: no deadline. */
  readonly deadline: { readonly atMs: number; readonly cause: DeadlineCause } | null;
  /** A code was accepted at least once in this session. */
  readonly verified: boolean;
  /** The OS lock state last observed (`LockedHint`). */
  readonly osLocked: boolean | null;
  readonly osLock: OsLockDemand;
  /** Monotonic ms of the last lock-os-session action; null if none. */
  readonly lastLockRequestMs: number | null;
  /** Unlocked while the OS screen is locked: when the screen lock began (grace of `gracePeriodSeconds`). */
  readonly screenLockedAtMs: number | null;
  readonly tray: {
    /** Monotonic ms of the last heartbeat; null: never. */
    readonly lastSeenMs: number | null;
    readonly pid: number | null;
    /** The tray was declared missing and has not come back. */
    readonly missing: boolean;
  };
  readonly appearedAtMs: number;
  readonly terminateRequested: boolean;
  /** `session.os-lock-ineffective` was audited since the OS last showed the session locked. */
  readonly lockIneffectiveReported: boolean;
}

/** Something that happened to one session. */
export type SessionEvent =
  /** The OS reports a new session. `atStart`: it existed when the agent started (no deadline). */
  | { readonly kind: 'appeared'; readonly facts: OsSessionFacts; readonly atStart: boolean }
  /** A fresh reading of the session's OS facts (every poll). */
  | { readonly kind: 'observed'; readonly facts: OsSessionFacts }
  /** The session is gone (logged out). */
  | { readonly kind: 'vanished' }
  /** The machine is about to sleep, or has resumed (logind PrepareForSleep, or a clock gap). */
  | { readonly kind: 'sleep'; readonly phase: 'suspending' | 'resumed'; readonly detectedBy: 'logind' | 'clock-gap' }
  /** The MFA core accepted a code for this session. */
  | { readonly kind: 'unlock-granted' }
  /** Lock now: the tray menu (`manual`) or an administrator (`admin`). */
  | { readonly kind: 'lock-requested'; readonly reason: 'manual' | 'admin' }
  /** The tray app in this session is alive. */
  | { readonly kind: 'heartbeat'; readonly trayPid: number }
  /** The connection of the tray app that sent the last heartbeat closed: the tray is gone now. */
  | { readonly kind: 'tray-disconnected'; readonly trayPid: number }
  /** Time passed: check expiries and deadlines. */
  | { readonly kind: 'tick' };

/** Why the agent asks the OS to lock a session (in the audit record). */
export type OsLockWhy = 'idle' | 'manual' | 'admin' | 'suspend' | 'tray-missing' | 'os-unlocked-while-locked' | 'retry';

/** What the shell must do. */
export type SessionAction =
  | { readonly kind: 'lock-os-session'; readonly sessionId: string; readonly why: OsLockWhy }
  | { readonly kind: 'terminate-session'; readonly sessionId: string; readonly why: 'login-deadline' | 'tray-missing-deadline' }
  | { readonly kind: 'audit'; readonly event: AuditEventInput };

/** Inputs of a decision besides the record and the event. */
export interface SessionContext {
  /** Monotonic now (ms). */
  readonly nowMs: number;
  /** The MFA policy in force; undefined: none (fail closed: locked `no-policy`). */
  readonly policy: SessionPolicy | undefined;
  readonly settings: SessionSettings;
}

/** Result of {@link decideSession}. */
export interface SessionDecision {
  /** The new record; undefined when the session is gone (or not subject to MFA). */
  readonly record: SessionRecord | undefined;
  readonly actions: readonly SessionAction[];
  /** True when what the tray sees (state, reason, unlock end, deadline) changed. */
  readonly changed: boolean;
  /** For `unlock-granted`: refused because no policy is in force. */
  readonly refused?: 'no-policy';
}

/** Audit event types of this module. */
export const sessionAuditTypes = {
  appeared: 'session.appeared',
  ended: 'session.ended',
  locked: 'session.locked',
  unlocked: 'session.unlocked',
  unlockSurvivedScreenLock: 'session.unlock-survived-screen-lock',
  osLockRequested: 'session.os-lock-requested',
  osUnlockedWhileLocked: 'session.os-unlocked-while-locked',
  osLockIneffective: 'session.os-lock-ineffective',
  trayMissing: 'session.tray-missing',
  trayReturned: 'session.tray-returned',
  trayRestarted: 'session.tray-restarted',
  terminated: 'session.terminated',
  controlFailed: 'session.control-failed',
  sourceFailed: 'session.source-failed',
  sourceRecovered: 'session.source-recovered',
  watchFailed: 'session.watch-failed',
  unlockSignal: 'session.unlock-signal',
} as const;
