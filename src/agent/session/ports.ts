/**
 * What the session lock needs from the operating system. Adapters: LogindSessions
 * (src/agent/platform/linux/logind-sessions.ts); the Windows plan (platform/windows/wts-session-plan.ts)
 * is not runnable here. Adapters hold no policy: they report sessions and carry out one command each.
 */
import type { Localized } from '../../shared/i18n';
import type { Result } from '../../shared/result';
import type { OsSessionFacts } from './model';

/** Why the session list could not be read. */
export interface SessionSourceFailure {
  /** `tool-missing`: loginctl/query.exe absent; `no-service`: logind not running; `failed`: anything else. */
  readonly reason: 'tool-missing' | 'no-service' | 'failed';
  readonly detail: string;
  readonly text: Localized;
}

/**
 * A hint from the OS's event stream. Hints only ever make the agent look again or lock, never
 * unlock: a forged hint (any local process may emit D-Bus signals) can do no harm.
 */
export type SessionHint =
  /** logind PrepareForSleep(true) / (false). */
  | { readonly kind: 'sleep'; readonly phase: 'suspending' | 'resumed' }
  /** Something about a session changed (lock or idle hint, new or removed session): poll now. */
  | { readonly kind: 'changed'; readonly sessionId: string | null }
  /** Someone asked the OS to unlock a session (logind `Unlock` signal, e.g. `loginctl unlock-session`). */
  | { readonly kind: 'unlock-requested'; readonly sessionId: string }
  /** The event stream stopped (it is restarted); polling carries on. */
  | { readonly kind: 'watch-failed'; readonly detail: string };

/** Port: the OS's list of login sessions. */
export interface SessionSource {
  /** Every session now. Never rejects for an expected failure. */
  list(): Promise<Result<OsSessionFacts[], SessionSourceFailure>>;
  /**
   * Starts following the OS's session events; returns a function that stops. Sources without an
   * event stream return a no-op (the service polls anyway).
   */
  watch(listener: (hint: SessionHint) => void): () => void;
}

/** Outcome of one OS command. */
export type SessionControlOutcome = { readonly ok: true } | { readonly ok: false; readonly detail: string };

/** Port: the two things the agent does to an OS session. Never rejects for an expected failure. */
export interface SessionControl {
  /** Shows the OS lock screen of this session (logind `lock-session`, Windows `tsdiscon`). */
  lock(sessionId: string): Promise<SessionControlOutcome>;
  /** Ends the session and its processes (logind `terminate-session`, Windows `logoff`). */
  terminate(sessionId: string): Promise<SessionControlOutcome>;
}
