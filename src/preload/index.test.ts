import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { TrayBridge } from '../shared/protocol/tray-bridge';

// The sandboxed preload, with electron's contextBridge and ipcRenderer replaced by recorders.
const exposed = new Map<string, unknown>();
const invoke = vi.fn<(channel: string, input: unknown) => Promise<unknown>>();
const listeners = new Map<string, ((event: unknown, payload: unknown) => void)[]>();
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
  ipcRenderer: {
    invoke: (channel: string, input: unknown) => invoke(channel, input),
    on: (channel: string, listener: (event: unknown, payload: unknown) => void) => listeners.set(channel, [...(listeners.get(channel) ?? []), listener]),
    removeListener: (channel: string, listener: (event: unknown, payload: unknown) => void) =>
      listeners.set(channel, (listeners.get(channel) ?? []).filter((l) => l !== listener)),
  },
}));

describe('preload bridge', () => {
  let bridge: TrayBridge;
  beforeEach(async () => {
    await import('./index');
    bridge = exposed.get('mngTray') as TrayBridge;
    invoke.mockReset();
  });

  it('exposes one global with the named methods of TrayBridge and nothing else', () => {
    expect([...exposed.keys()]).toEqual(['mngTray']);
    expect(Object.keys(bridge).sort()).toEqual(['beginEnrollment', 'confirmEnrollment', 'lockNow', 'onNotification', 'onView', 'setLang', 'unlock', 'view']);
    expect(Object.values(bridge).every((value) => typeof value === 'function')).toBe(true);
  });

  it('maps each method to its gate channel and unwraps the reply', async () => {
    invoke.mockResolvedValue({ ok: true, value: { code: 'unlocked' } });
    await expect(bridge.unlock('246810')).resolves.toEqual({ code: 'unlocked' });
    await bridge.confirmEnrollment('enroll-0001', '123456');
    await bridge.setLang('en');
    expect(invoke.mock.calls).toEqual([
      ['tray:unlock', { code: '246810' }],
      ['tray:enrollment-confirm', { enrollmentId: 'enroll-0001', code: '123456' }],
      ['tray:set-lang', { lang: 'en' }],
    ]);
  });

  it('turns a gate refusal or a malformed reply into a rejected promise with the code', async () => {
    invoke.mockResolvedValueOnce({ ok: false, code: 'forbidden-sender' });
    await expect(bridge.view()).rejects.toThrow('mngTray tray:view: forbidden-sender');
    invoke.mockResolvedValueOnce('nonsense');
    await expect(bridge.lockNow()).rejects.toThrow('malformed reply');
  });

  it('delivers pushes to listeners until they unsubscribe, without the IPC event', () => {
    const seen: unknown[] = [];
    const off = bridge.onView((view) => seen.push(view));
    for (const listener of listeners.get('tray:view-changed') ?? []) listener({ sender: 'ipc event' }, { state: 'locked' });
    off();
    for (const listener of listeners.get('tray:view-changed') ?? []) listener({}, { state: 'unlocked' });
    expect(seen).toEqual([{ state: 'locked' }]);
  });
});
