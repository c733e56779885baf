import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../shared/clock';
import type { Notification } from '../shared/protocol/agent-ipc';
import { trayChannels, trayPushChannels, type TrayView } from '../shared/protocol/tray-bridge';
import { appPageUrl } from './app-protocol';
import { createFakeAgentConnection, type FakeAgentConnection } from './fake-agent-connection';
import { createFakeElectronFacade, fakeDisplay, type FakeElectronFacade, type FakeWindow } from './fake-electron-facade';
import type { IpcSender } from './facade';
import type { GateReply } from './ipc-gate';
import { renderTrayIcon } from './tray-icons';
import { startTrayApp, violationHoldMs, type Timers, type TrayApp } from './tray-app';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
  await new Promise((resolve) => setImmediate(resolve));
};

/** Timers that never fire on their own (tests do not need the heartbeat to run). */
function manualTimers(): Timers & { pending: (() => void)[] } {
  const pending: (() => void)[] = [];
  return {
    pending,
    setTimeout: (callback) => {
      pending.push(callback);
      return pending.length;
    },
    clearTimeout: () => undefined,
  };
}

interface Rig {
  facade: FakeElectronFacade;
  agent: FakeAgentConnection;
  app: TrayApp;
  clock: ReturnType<typeof createFixedClock>;
  lockWindows(): FakeWindow[];
  sender(window?: FakeWindow): IpcSender;
  call(channel: string, input: unknown, sender?: IpcSender): Promise<GateReply>;
}

async function rig(options: { displays?: ReturnType<typeof fakeDisplay>[]; enrolled?: boolean } = {}): Promise<Rig> {
  const clock = createFixedClock(Date.parse('2026-04-01T09:00:00Z'));
  const facade = createFakeElectronFacade(options.displays);
  const agent = createFakeAgentConnection({ nowMs: clock.nowMs, validCodes: ['246810', '135790'], maxFailures: 3, lockoutMs: 30_000, enrolled: options.enrolled ?? true });
  const app = startTrayApp({
    facade,
    agent,
    preloadPath: '/opt/mng/resources/app.asar/dist/electron/preload.js',
    sessionId: null,
    trayPid: 4242,
    lang: 'ja',
    version: '0.1.0',
    nowMs: clock.nowMs,
    timers: manualTimers(),
    reportError: (where, error) => {
      throw new Error(`unexpected error in ${where}: ${String(error)}`);
    },
  });
  await flush();
  const lockWindows = (): FakeWindow[] => facade.liveWindows().filter((window) => window.options.kind === 'lock');
  const sender = (window?: FakeWindow): IpcSender => ({ frameUrl: appPageUrl('lock'), isMainFrame: true, windowId: (window ?? lockWindows()[0]!).id });
  return {
    facade,
    agent,
    app,
    clock,
    lockWindows,
    sender,
    call: async (channel, input, from) => (await facade.invoke(channel, from ?? sender(), input)) as GateReply,
  };
}

const valueOf = <T>(reply: GateReply): T => {
  if (!reply.ok) throw new Error(`refused: ${reply.code}`);
  return reply.value as T;
};

describe('tray app: lock windows', () => {
  it('covers every display with a full-screen, top-most, visible lock window while locked', async () => {
    const r = await rig({ displays: [fakeDisplay(1, 0, true), fakeDisplay(2, 1920)] });
    const windows = r.lockWindows();
    expect(windows).toHaveLength(2);
    expect(windows.map((w) => w.bounds.x).sort()).toEqual([0, 1920]);
    for (const window of windows) {
      expect(window.visible).toBe(true);
      expect(window.topMost).toBe(true);
      expect(window.options).toMatchObject({ fullscreen: true, alwaysOnTop: true, closable: false });
      expect(window.loadedUrls).toEqual(['mng://tray/index.html#lock']);
    }
    expect(r.app.view.state).toBe('locked');
  });

  it('refuses to close a lock window; only quitting ends it', async () => {
    const r = await rig();
    const [window] = r.lockWindows();
    expect(window!.requestClose()).toBe(false);
    expect(window!.destroyed).toBe(false);
    await r.call('tray:unlock', { code: '246810' });
    expect(window!.requestClose()).toBe(false);
    r.app.stop();
    expect(window!.destroyed).toBe(true);
  });

  it('never leaves DevTools open on a lock window', async () => {
    const r = await rig();
    const [window] = r.lockWindows();
    window!.openDevtools();
    expect(window!.devtoolsOpen).toBe(false);
    expect(window!.options.webPreferences.devTools).toBe(false);
  });

  it('follows displays: a new display gets a window at once, a removed one loses it, a moved one is resized', async () => {
    const r = await rig({ displays: [fakeDisplay(1, 0, true)] });
    r.facade.setDisplays([fakeDisplay(1, 0, true), fakeDisplay(7, 1920)]);
    expect(r.lockWindows()).toHaveLength(2);
    const added = r.lockWindows().find((w) => w.bounds.x === 1920)!;
    expect(added.visible).toBe(true);
    r.facade.setDisplays([{ ...fakeDisplay(1, 0, true), bounds: { x: 0, y: 0, width: 2560, height: 1440 } }]);
    expect(r.lockWindows()).toHaveLength(1);
    expect(added.destroyed).toBe(true);
    expect(r.lockWindows()[0]!.bounds.width).toBe(2560);
    expect([...r.app.lockWindows.windowsByDisplay().keys()]).toEqual([1]);
  });

  it('makes a lock window again when one dies while locked', async () => {
    const r = await rig();
    const [first] = r.lockWindows();
    first!.crash();
    const now = r.lockWindows();
    expect(now).toHaveLength(1);
    expect(now[0]!.id).not.toBe(first!.id);
    expect(now[0]!.visible).toBe(true);
  });

  it('hides the lock windows on unlock and shows them again on the next lock, with the view pushed', async () => {
    const r = await rig();
    const reply = valueOf<{ code: string; view: TrayView }>(await r.call('tray:unlock', { code: '246810' }));
    expect(reply.code).toBe('unlocked');
    expect(reply.view.state).toBe('unlocked');
    expect(r.lockWindows().every((w) => !w.visible)).toBe(true);
    r.agent.lock('idle');
    const window = r.lockWindows()[0]!;
    expect(window.visible).toBe(true);
    const lastView = window.sent.filter((m) => m.channel === trayPushChannels.view).at(-1)?.payload as TrayView;
    expect(lastView).toMatchObject({ state: 'locked', reason: 'idle' });
  });
});

describe('tray app: tray icon and menu', () => {
  it('shows locked, unlocked, violation and agent-unreachable', async () => {
    const r = await rig();
    const tray = r.facade.trays[0]!;
    expect(r.app.tray.icon).toBe('locked');
    expect(tray.image).toEqual(renderTrayIcon('locked'));
    expect(tray.toolTip).toContain('ロック中');
    await r.call('tray:unlock', { code: '246810' });
    expect(r.app.tray.icon).toBe('unlocked');
    const notification: Notification = {
      id: 1,
      at: '2026-04-01T09:01:00Z',
      kind: 'usb-blocked',
      title: { ja: 'USB 機器をブロックしました', en: 'USB device blocked' },
      body: { ja: '許可されていない USB メモリです。', en: 'This USB stick is not allowed.' },
    };
    r.agent.notify(notification);
    expect(r.app.tray.icon).toBe('violation');
    expect(r.facade.notifications).toEqual([{ title: 'USB 機器をブロックしました', body: '許可されていない USB メモリです。' }]);
    r.clock.advanceMs(violationHoldMs + 1);
    r.agent.lock('manual');
    expect(r.app.tray.icon).toBe('locked');
    r.agent.setLinkState('disconnected');
    await flush();
    expect(r.app.tray.icon).toBe('agent-unreachable');
    expect(tray.toolTip).toContain('エージェントに接続できません');
  });

  it('offers "lock now" only while unlocked, and it locks', async () => {
    const r = await rig();
    const tray = r.facade.trays[0]!;
    const lockNow = (): { enabled: boolean } | undefined =>
      tray.menu.find((item): item is Extract<typeof item, { type: 'item' }> => item.type === 'item' && item.id === 'lock-now');
    expect(lockNow()?.enabled).toBe(false);
    await r.call('tray:unlock', { code: '246810' });
    expect(lockNow()?.enabled).toBe(true);
    tray.click('lock-now');
    await flush();
    expect(r.agent.session.state).toBe('locked');
    expect(r.lockWindows()[0]!.visible).toBe(true);
  });

  it('opens the status window and the about panel from the menu; enrollment only when not enrolled', async () => {
    const r = await rig({ enrolled: false });
    const tray = r.facade.trays[0]!;
    expect(tray.menu.map((item) => (item.type === 'item' ? item.id : '-'))).toEqual(['status', 'lock-now', 'enroll', '-', 'about']);
    tray.click('status');
    tray.click('enroll');
    tray.click('about');
    await flush();
    const kinds = r.facade.liveWindows().map((w) => w.options.kind);
    expect(kinds).toContain('status');
    expect(kinds).toContain('enrollment');
    expect(r.facade.abouts[0]!.detail).toContain('0.1.0');
  });
});

describe('tray app: the ipc gate', () => {
  it('registers exactly the bridge channels', async () => {
    const r = await rig();
    expect([...r.facade.ipcChannels].sort()).toEqual(Object.keys(trayChannels).sort());
  });

  it.each([
    ['a page from another origin', { frameUrl: 'https://evil.example/', isMainFrame: true }],
    ['a file:// page', { frameUrl: 'file:///opt/mng/index.html', isMainFrame: true }],
    ['a subframe of our page', { frameUrl: 'mng://tray/index.html', isMainFrame: false }],
    ['a destroyed frame', { frameUrl: null, isMainFrame: true }],
  ])('refuses %s', async (_name, partial) => {
    const r = await rig();
    const reply = await r.call('tray:unlock', { code: '246810' }, { ...r.sender(), ...partial });
    expect(reply).toEqual({ ok: false, code: 'forbidden-sender' });
    expect(r.agent.calls.some((c) => c.method === 'session.unlock')).toBe(false);
  });

  it('refuses a window it did not create, even showing our URL', async () => {
    const r = await rig();
    const reply = await r.call('tray:view', {}, { frameUrl: appPageUrl('lock'), isMainFrame: true, windowId: 999 });
    expect(reply).toEqual({ ok: false, code: 'forbidden-sender' });
  });

  it.each([
    ['tray:unlock', { code: 123456 }],
    ['tray:unlock', { code: '1'.repeat(65) }],
    ['tray:unlock', { code: '246810', extra: true }],
    ['tray:unlock', null],
    ['tray:set-lang', { lang: 'fr' }],
    ['tray:enrollment-confirm', { enrollmentId: 'short', code: '123456' }],
    ['tray:view', { sneaky: 1 }],
  ])('refuses bad input on %s: %j', async (channel, input) => {
    const r = await rig();
    expect(await r.call(channel, input)).toEqual({ ok: false, code: 'bad-input' });
    expect(r.agent.calls.some((c) => c.method === 'session.unlock')).toBe(false);
  });

  it('answers a trusted sender with the view', async () => {
    const r = await rig();
    const view = valueOf<TrayView>(await r.call('tray:view', {}));
    expect(view).toMatchObject({ agent: 'connected', state: 'locked', user: 'staff01', lang: 'ja' });
  });
});

describe('tray app: unlock, lockout, agent unreachable, enrollment', () => {
  it('words the agent verdicts: wrong code, replay, lockout with time left', async () => {
    const r = await rig();
    expect(valueOf<{ code: string }>(await r.call('tray:unlock', { code: '000000' })).code).toBe('wrong-code');
    expect(valueOf<{ code: string }>(await r.call('tray:unlock', { code: '12ab' })).code).toBe('malformed');
    await r.call('tray:unlock', { code: '246810' });
    r.agent.lock('idle');
    expect(valueOf<{ code: string }>(await r.call('tray:unlock', { code: '246810' })).code).toBe('replayed');
    // The successful unlock reset the counter: three failures from here.
    await r.call('tray:unlock', { code: '000001' });
    await r.call('tray:unlock', { code: '000002' });
    const reply = valueOf<{ code: string; view: TrayView }>(await r.call('tray:unlock', { code: '000003' }));
    expect(reply.code).toBe('locked-out');
    expect(reply.view.lockout).toMatchObject({ failures: 3, maxFailures: 3, retryAfterMs: 30_000 });
    expect(r.lockWindows()[0]!.visible).toBe(true);
  });

  it('keeps the lock and says so when the agent is unreachable', async () => {
    const r = await rig();
    r.agent.setLinkState('disconnected');
    await flush();
    const reply = valueOf<{ code: string; view: TrayView }>(await r.call('tray:unlock', { code: '246810' }));
    expect(reply.code).toBe('agent-unreachable');
    expect(reply.view).toMatchObject({ agent: 'unreachable', state: 'unknown' });
    expect(r.lockWindows()[0]!.visible).toBe(true);
    r.agent.setLinkState('connected');
    await flush();
    expect(r.app.view.agent).toBe('connected');
  });

  it('passes the QR through without keeping it, and enrolls with a correct code', async () => {
    const r = await rig({ enrolled: false });
    const begin = valueOf<{ ok: true; enrollmentId: string; qrSvg: string }>(await r.call('tray:enrollment-begin', {}));
    expect(begin.qrSvg).toMatch(/^<svg/);
    expect(valueOf<{ code: string }>(await r.call('tray:enrollment-confirm', { enrollmentId: begin.enrollmentId, code: '999999' })).code).toBe('wrong-code');
    expect(valueOf<{ code: string }>(await r.call('tray:enrollment-confirm', { enrollmentId: begin.enrollmentId, code: '135790' })).code).toBe('enrolled');
    await flush();
    expect(r.app.view.enrolled).toBe(true);
    expect(JSON.stringify(r.app.view)).not.toContain('<svg');
  });

  it('switches language for the tray and the screens', async () => {
    const r = await rig();
    const view = valueOf<TrayView>(await r.call('tray:set-lang', { lang: 'en' }));
    expect(view.lang).toBe('en');
    expect(r.facade.trays[0]!.toolTip).toBe('mynumber-guard: locked (enter your code)');
  });

  it('reports alive to the agent with its pid', async () => {
    const r = await rig();
    expect(r.agent.calls).toContainEqual({ method: 'session.heartbeat', params: { sessionId: 'c1', trayPid: 4242 } });
  });

  it('hardens the session before any window exists', async () => {
    const r = await rig();
    expect(r.facade.sessionRules?.allowPermission('media', 'mng://tray')).toBe(false);
    expect(r.facade.sessionRules?.allowNavigation('https://example.org')).toBe(false);
  });
});
