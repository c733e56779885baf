/**
 * The tray app's main-process logic, without Electron: follows the agent (session state,
 * notifications), keeps the tray icon, the lock windows and the other windows in step with the
 * view, answers the renderer through the IPC gate, and reports "alive" to the agent. index.ts wires
 * it to the real facade and agent client.
 */
import { pick, type Lang } from '../shared/i18n';
import type { Notification, SessionState } from '../shared/protocol/agent-ipc';
import { trayPushChannels, type TrayBridge, type TrayView, type UnlockReply } from '../shared/protocol/tray-bridge';
import type { AgentConnection } from './agent-connection';
import { createAuxWindows, type AuxWindows } from './aux-windows';
import type { ElectronFacade } from './facade';
import { registerIpcGate, type GateRefusal, type TrayHandlers } from './ipc-gate';
import { createLockWindowManager, type LockWindowManager } from './lock-window-manager';
import { aboutText, windowTitles } from './main-messages';
import { createTrayController, type TrayController, type TrayMenuAction } from './tray-controller';
import { denyEverything } from './window-factory';
import { decideTrayIcon, deriveTrayView, isLockRequired, selectSession, unlockCodeForCallFailure } from './tray-view';

/** Timers, injected so tests drive time. */
export interface Timers {
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** How long a violation notification keeps the tray icon red (ms). */
export const violationHoldMs = 60_000;
/** Heartbeat interval until the agent says otherwise (ms). */
export const defaultHeartbeatMs = 5_000;

/** What the tray app needs. */
export interface TrayAppOptions {
  readonly facade: ElectronFacade;
  readonly agent: AgentConnection;
  readonly preloadPath: string;
  /** Our OS session (XDG_SESSION_ID), or null to take the first session the agent lists for us. */
  readonly sessionId: string | null;
  readonly trayPid: number;
  readonly lang: Lang;
  readonly version: string;
  readonly nowMs: () => number;
  readonly timers: Timers;
  /** Unexpected errors (bugs, broken infrastructure). */
  readonly reportError: (where: string, error: unknown) => void;
  /** Refused renderer messages (for the log; never with their contents). */
  readonly onRefused?: (channel: string, refusal: GateRefusal) => void;
}

/** The running tray app. */
export interface TrayApp {
  readonly view: TrayView;
  readonly tray: TrayController;
  readonly lockWindows: LockWindowManager;
  readonly auxWindows: AuxWindows;
  /** Re-reads the session from the agent. */
  refresh(): Promise<void>;
  /** The handlers behind the gate, for tests that bypass Electron's IPC. */
  readonly handlers: TrayHandlers;
  stop(): void;
}

type EnrollmentBegin = Awaited<ReturnType<TrayBridge['beginEnrollment']>>;

/** Starts the tray app: tray icon, lock windows (prepared hidden), gate, agent subscription. */
export function startTrayApp(options: TrayAppOptions): TrayApp {
  const { facade, agent, timers } = options;
  let lang: Lang = options.lang;
  let session: SessionState | null = null;
  let violationUntilMs = 0;
  let heartbeat: unknown = null;
  let stopped = false;

  // Electron security checklist #5, #12–#14 for every web contents, before any window exists.
  facade.hardenSession(denyEverything);
  let view = deriveTrayView({ agentConnected: false, session: null, lang });
  const lockWindows = createLockWindowManager({
    facade,
    preloadPath: options.preloadPath,
    title: () => pick(windowTitles.lock, lang),
    onLoadError: (error) => options.reportError('lock-window-load', error),
  });
  const auxWindows = createAuxWindows({
    facade,
    preloadPath: options.preloadPath,
    title: (kind) => pick(windowTitles[kind], lang),
    onLoadError: (error) => options.reportError('window-load', error),
  });

  const onMenu = (action: TrayMenuAction): void => {
    switch (action) {
      case 'status':
        auxWindows.open('status');
        return;
      case 'enroll':
        auxWindows.open('enrollment');
        return;
      case 'lock-now':
        lockNow().catch((error: unknown) => options.reportError('lock-now', error));
        return;
      case 'about': {
        const text = aboutText(options.version);
        facade.showAbout({ title: pick(text.title, lang), detail: pick(text.detail, lang) });
        return;
      }
    }
  };
  const tray = createTrayController(facade, onMenu, lang);

  const broadcast = (channel: string, payload: unknown): void => {
    lockWindows.broadcast(channel, payload);
    auxWindows.broadcast(channel, payload);
  };

  const applyView = (): void => {
    view = deriveTrayView({ agentConnected: agent.state === 'connected', session, lang });
    // Show the lock before anything else: it is the one thing with a time budget (300 ms).
    if (isLockRequired(view)) lockWindows.show();
    else lockWindows.hide();
    tray.update(decideTrayIcon(view, violationUntilMs, options.nowMs()), view);
    broadcast(trayPushChannels.view, view);
  };

  const takeSession = (next: SessionState | null): void => {
    session = next;
    applyView();
  };

  const scheduleHeartbeat = (delayMs: number): void => {
    if (heartbeat !== null) timers.clearTimeout(heartbeat);
    heartbeat = timers.setTimeout(() => {
      heartbeat = null;
      sendHeartbeat().catch((error: unknown) => options.reportError('heartbeat', error));
    }, delayMs);
  };

  const sendHeartbeat = async (): Promise<void> => {
    if (stopped) return;
    if (session === null || agent.state !== 'connected') {
      scheduleHeartbeat(defaultHeartbeatMs);
      return;
    }
    const outcome = await agent.call('session.heartbeat', { sessionId: session.sessionId, trayPid: options.trayPid });
    scheduleHeartbeat(outcome.ok ? outcome.result.intervalMs : defaultHeartbeatMs);
  };

  const refresh = async (): Promise<void> => {
    if (agent.state !== 'connected') {
      takeSession(null);
      return;
    }
    const subscribed = await agent.call('events.subscribe', {});
    const listed = await agent.call('session.list', {});
    if (!subscribed.ok || !listed.ok) {
      takeSession(null);
      return;
    }
    takeSession(selectSession(listed.result.sessions, options.sessionId));
    if (heartbeat === null) await sendHeartbeat();
  };

  const onNotification = (notification: Notification): void => {
    violationUntilMs = options.nowMs() + violationHoldMs;
    facade.notify({ title: pick(notification.title, lang), body: pick(notification.body, lang) });
    broadcast(trayPushChannels.notification, notification);
    applyView();
  };

  const lockNow = async (): Promise<TrayView> => {
    if (session === null || agent.state !== 'connected') return view;
    const outcome = await agent.call('session.lock', { sessionId: session.sessionId });
    if (outcome.ok) takeSession(outcome.result.session);
    return view;
  };

  const unlock = async (code: string): Promise<UnlockReply> => {
    if (agent.state !== 'connected') return { code: 'agent-unreachable', view };
    if (session === null) return { code: 'no-session', view };
    const outcome = await agent.call('session.unlock', { sessionId: session.sessionId, code });
    if (!outcome.ok) {
      const reply = { code: unlockCodeForCallFailure(outcome.code), view };
      // The agent may have locked us out or dropped the session: re-read for the next screen.
      refresh().catch((error: unknown) => options.reportError('refresh', error));
      return reply;
    }
    if (outcome.result.session !== null) takeSession(outcome.result.session);
    return { code: outcome.result.code, view };
  };

  const beginEnrollment = async (): Promise<EnrollmentBegin> => {
    if (agent.state !== 'connected') return { ok: false, code: 'agent-unreachable' };
    const outcome = await agent.call('mfa.enrollment.begin', {});
    // The QR (the secret in picture form) passes through; main keeps no reference to it.
    if (!outcome.ok) return { ok: false, code: outcome.code };
    return { ok: true, enrollmentId: outcome.result.enrollmentId, qrSvg: outcome.result.qrSvg, expiresAt: outcome.result.expiresAt };
  };

  const confirmEnrollment = async (enrollmentId: string, code: string): Promise<{ code: string }> => {
    if (agent.state !== 'connected') return { code: 'agent-unreachable' };
    const outcome = await agent.call('mfa.enrollment.confirm', { enrollmentId, code });
    if (!outcome.ok) return { code: outcome.code };
    if (outcome.result.code === 'enrolled') {
      refresh().catch((error: unknown) => options.reportError('refresh', error));
    }
    return { code: outcome.result.code };
  };

  const handlers: TrayHandlers = {
    'tray:view': async () => view,
    'tray:unlock': async ({ code }) => unlock(code),
    'tray:lock-now': async () => lockNow(),
    'tray:enrollment-begin': async () => beginEnrollment(),
    'tray:enrollment-confirm': async ({ enrollmentId, code }) => confirmEnrollment(enrollmentId, code),
    'tray:set-lang': async (input) => {
      lang = input.lang;
      applyView();
      return view;
    },
  };

  const unregister = registerIpcGate(
    {
      ipc: facade.ipc,
      isOwnWindow: (windowId) => lockWindows.owns(windowId) || auxWindows.owns(windowId),
      onRefused: options.onRefused,
      onHandlerError: (channel, error) => options.reportError(`ipc ${channel}`, error),
    },
    handlers,
  );

  const offEvent = agent.onEvent((event) => {
    if (event.event === 'notification') {
      onNotification(event.data);
    } else if (options.sessionId === null ? session === null || event.data.sessionId === session.sessionId : event.data.sessionId === options.sessionId) {
      takeSession(event.data);
    }
  });
  const offState = agent.onStateChange(() => {
    refresh().catch((error: unknown) => options.reportError('refresh', error));
  });

  // Fail closed from the first frame: lock windows up until the agent says we are unlocked.
  lockWindows.syncDisplays();
  applyView();
  refresh().catch((error: unknown) => options.reportError('refresh', error));

  return {
    get view() {
      return view;
    },
    tray,
    lockWindows,
    auxWindows,
    refresh,
    handlers,
    stop() {
      stopped = true;
      if (heartbeat !== null) timers.clearTimeout(heartbeat);
      offEvent();
      offState();
      unregister();
      lockWindows.destroyAll();
      auxWindows.destroyAll();
      tray.destroy();
    },
  };
}
