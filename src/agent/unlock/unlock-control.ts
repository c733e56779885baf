/**
 * The `mfa` control as the agent runtime drives it (issue #5): the session lock, the local IPC
 * server the tray apps connect to, per-user tokens, and notifications to the trays. In monitor
 * mode the OS sessions are never locked or ended (the would-be actions are only audited).
 */
import { msg } from '../../shared/i18n';
import type { Notification, SessionState } from '../../shared/protocol/agent-ipc';
import type { AuditSink } from '../audit';
import type { IpcGate, IpcServer, TokenIssuer } from '../ipc';
import type { AgentControl, ControlStatus } from '../posture';
import type { SessionControl, SessionService } from '../session';

/** Wraps the OS session control so monitor mode changes nothing and says what it would have done. */
export function monitorOnlySessionControl(audit: AuditSink): SessionControl {
  const would = async (action: string, sessionId: string) => {
    await audit.append({ type: 'session.monitor-only', severity: 'info', data: { action, sessionId } });
    return { ok: true } as const;
  };
  return { lock: (id) => would('lock', id), terminate: (id) => would('terminate', id) };
}

/** What the control needs; the session service is built with `onState` pointing at {@link UnlockControl.sessionStateChanged}. */
export interface UnlockControlDeps {
  readonly sessions: SessionService;
  readonly gate: IpcGate;
  readonly server: IpcServer;
  readonly tokens: TokenIssuer;
  readonly mode: 'monitor' | 'enforce';
  readonly implementsClauses: () => readonly string[];
  readonly hasPolicy: () => boolean;
  /** Refreshes the MFA view of a user (enrolled, lockout) for the session lock. */
  readonly refreshView: (user: string) => Promise<unknown>;
  readonly reportError: (error: unknown) => void;
  /** The agent's own uid (0 on a terminal): its token is issued at start, for `mng`. */
  readonly selfUid: number;
  /** Copies `mng`'s MFA administration journal into the audit log (at start and every refresh). */
  readonly ingestAdminJournal?: () => Promise<unknown>;
}

/** The control plus the hooks the composition root connects. */
export interface UnlockControl extends AgentControl {
  /** The session service's `onState`: push to trays, issue the owner's token, learn the user's MFA view. */
  sessionStateChanged(state: SessionState): void;
  /** Sends a notification to every session owner's trays. */
  notify(notification: Notification): void;
}

/** Creates the control. */
export function createUnlockControl(deps: UnlockControlDeps): UnlockControl {
  const issued = new Set<number>();
  const viewed = new Set<string>();
  let listenError: string | undefined;
  let listening = false;

  const issueFor = (uid: number): void => {
    if (issued.has(uid)) return;
    issued.add(uid);
    deps.tokens.issue(uid).catch((error: unknown) => {
      issued.delete(uid);
      deps.reportError(error);
    });
  };

  const control: UnlockControl = {
    name: 'mfa',
    async start() {
      await deps.tokens.issue(deps.selfUid);
      issued.add(deps.selfUid);
      await deps.ingestAdminJournal?.().catch(deps.reportError);
      await deps.sessions.start();
      for (const state of deps.sessions.list()) control.sessionStateChanged(state);
      try {
        await deps.server.listen();
        listening = true;
      } catch (error) {
        listenError = error instanceof Error ? error.message : String(error);
        throw error;
      }
    },
    async policyChanged() {
      await deps.sessions.refresh();
    },
    async refresh() {
      await deps.ingestAdminJournal?.().catch(deps.reportError);
      await deps.sessions.refresh();
      for (const user of viewed) await deps.refreshView(user).catch(deps.reportError);
    },
    sessionStateChanged(state) {
      const uid = deps.sessions.owner(state.sessionId);
      if (uid !== undefined) issueFor(uid);
      if (!viewed.has(state.user)) {
        viewed.add(state.user);
        // The first state of a user is published with a placeholder view; publish again once known.
        void deps
          .refreshView(state.user)
          .then(() => {
            const fresh = deps.sessions.state(state.sessionId);
            if (fresh !== undefined) return deps.gate.publishSessionState(fresh);
            return 0;
          })
          .catch(deps.reportError);
      }
      deps.gate.publishSessionState(state).catch(deps.reportError);
    },
    notify(notification) {
      const owners = new Set<number>([0]);
      for (const state of deps.sessions.list()) {
        const uid = deps.sessions.owner(state.sessionId);
        if (uid !== undefined) owners.add(uid);
      }
      for (const uid of owners) deps.gate.publishNotification(uid, notification);
    },
    status(): ControlStatus {
      const base = { control: 'mfa' as const, implements: deps.implementsClauses() };
      if (listenError !== undefined) return { ...base, state: 'failed', summary: msg(`トレイとの接続口を開けません: ${listenError}`, `cannot open the socket for the tray: ${listenError}`) };
      const sessions = deps.sessions.list();
      const locked = sessions.filter((s) => s.state === 'locked').length;
      const lockedOut = sessions.filter((s) => s.lockout.adminResetRequired || s.lockout.retryAfterMs > 0).length;
      const problems: string[][] = [];
      if (!deps.sessions.healthy()) problems.push(['ログインセッションを読めません（logind）', 'cannot read the login sessions (logind)']);
      if (!deps.hasPolicy()) problems.push(['ポリシーがないため、すべてのセッションをロックしたままにします', 'no policy: every session stays locked']);
      const monitor = deps.mode === 'monitor' ? msg('（監視のみ: OS のロックはしない）', ' (monitor only: the OS session is never locked)') : msg('', '');
      const summary = msg(
        `セッション ${sessions.length} 件: ロック中 ${locked}、解除中 ${sessions.length - locked}、ロックアウト ${lockedOut}${monitor.ja}${problems.map((p) => `。${p[0] ?? ''}`).join('')}`,
        `${sessions.length} session(s): ${locked} locked, ${sessions.length - locked} unlocked, ${lockedOut} locked out${monitor.en}${problems.map((p) => `; ${p[1] ?? ''}`).join('')}`,
      );
      const state = problems.length > 0 || !listening ? 'degraded' : deps.mode === 'enforce' ? 'enforced' : 'monitored';
      return { ...base, state, summary };
    },
    details() {
      return {
        socket: deps.server.location,
        connections: deps.server.connectionCount,
        sessionSource: deps.sessions.healthy() ? 'ok' : 'unreadable',
        sessions: deps.sessions.list(),
      };
    },
    async stop() {
      deps.sessions.stop();
      deps.gate.closeAll();
      await deps.server.close();
    },
  };
  return control;
}
