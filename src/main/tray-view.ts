/**
 * Pure decisions of the tray app: which session is ours, what the screens show, which icon the
 * tray shows, how an agent answer becomes an unlock reply. Fail closed (STYLE.md §1.3): anything
 * but a confirmed unlock shows the lock screen.
 */
import type { Lang } from '../shared/i18n';
import type { IpcErrorCode, SessionState } from '../shared/protocol/agent-ipc';
import type { TrayView, UnlockReply } from '../shared/protocol/tray-bridge';
import type { TrayIconState } from './facade';

/**
 * The session this tray app stands for: the one with `preferredSessionId` (XDG_SESSION_ID on
 * Linux) when known, else the only or first one the agent lists for this user; null when none.
 */
export function selectSession(sessions: readonly SessionState[], preferredSessionId: string | null): SessionState | null {
  if (preferredSessionId !== null) {
    return sessions.find((session) => session.sessionId === preferredSessionId) ?? null;
  }
  return sessions[0] ?? null;
}

/** Inputs of {@link deriveTrayView}. */
export interface TrayViewInput {
  readonly agentConnected: boolean;
  readonly session: SessionState | null;
  readonly lang: Lang;
}

/**
 * The screen's view. Without the agent, or without a session, the state is `unknown` and the lock
 * screen stays up saying why.
 */
export function deriveTrayView(input: TrayViewInput): TrayView {
  const session = input.agentConnected ? input.session : null;
  return {
    agent: input.agentConnected ? 'connected' : 'unreachable',
    state: session === null ? 'unknown' : session.state,
    reason: session?.reason ?? null,
    user: session?.user ?? null,
    unlockedUntil: session?.unlockedUntil ?? null,
    graceEndsAt: session?.graceEndsAt ?? null,
    enrolled: session?.enrolled ?? false,
    lockout: session === null ? null : session.lockout,
    lang: input.lang,
  };
}

/** True when the lock windows must be up: everything except a confirmed unlock. */
export function isLockRequired(view: TrayView): boolean {
  return view.state !== 'unlocked';
}

/**
 * The tray icon. Order of importance: no agent (nothing is known), a recent violation, locked,
 * unlocked. `violationUntilMs` is when the last violation notification stops counting (epoch ms).
 */
export function decideTrayIcon(view: TrayView, violationUntilMs: number, nowMs: number): TrayIconState {
  if (view.agent === 'unreachable') return 'agent-unreachable';
  if (nowMs < violationUntilMs) return 'violation';
  return view.state === 'unlocked' ? 'unlocked' : 'locked';
}

/**
 * Unlock reply for a failed `session.unlock` call. `rate-limited` is the agent's lockout seen
 * from the IPC layer; a missing session is `no-session`; everything else means the agent did not
 * give a verdict, which the screen words as "agent unreachable" (the lock stays).
 */
export function unlockCodeForCallFailure(code: IpcErrorCode | 'unreachable'): UnlockReply['code'] {
  switch (code) {
    case 'rate-limited':
      return 'locked-out';
    case 'not-found':
    case 'forbidden':
      return 'no-session';
    default:
      return 'agent-unreachable';
  }
}
