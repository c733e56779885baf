/**
 * The sandboxed preload (STYLE.md §7): exposes the named methods of {@link TrayBridge} on
 * `window.mngTray` and nothing else. No raw ipcRenderer, no generic "send"; every method maps to
 * one gate channel of the main process, which checks the sender and parses the input again.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { trayBridgeGlobal, trayPushChannels, TrayBridge, TrayChannel, TrayView } from '../shared/protocol/tray-bridge';

// The contract's names, linked by type only: a rename in tray-bridge.ts fails the typecheck here,
// and the preload bundle stays free of zod (main parses; the preload only forwards).
const bridgeGlobal: typeof trayBridgeGlobal = 'mngTray';
const pushChannels: typeof trayPushChannels = { view: 'tray:view-changed', notification: 'tray:notification' };

/**
 * Unwraps the gate's reply envelope (src/main/ipc-gate.ts GateReply): the value, or a rejected
 * promise carrying the refusal code. Nothing crosses the process boundary as an exception.
 */
async function invoke(channel: TrayChannel, input: Readonly<Record<string, unknown>>): Promise<unknown> {
  const reply: unknown = await ipcRenderer.invoke(channel, input);
  if (typeof reply === 'object' && reply !== null && 'ok' in reply) {
    if (reply.ok === true && 'value' in reply) return reply.value;
    if (reply.ok === false && 'code' in reply) throw new Error(`mngTray ${channel}: ${String(reply.code)}`);
  }
  throw new Error(`mngTray ${channel}: malformed reply`);
}

/** Subscribes to one push channel; returns the unsubscribe function. */
function subscribe<T>(channel: string, listener: (payload: T) => void): () => void {
  const handler = (_event: IpcRendererEvent, payload: T): void => listener(payload);
  ipcRenderer.on(channel, handler);
  return () => {
    ipcRenderer.removeListener(channel, handler);
  };
}

// Values come from main, which built them from schema-parsed agent frames; the casts only restate
// the bridge contract.
const bridge: TrayBridge = {
  view: async () => (await invoke('tray:view', {})) as TrayView,
  unlock: async (code) => (await invoke('tray:unlock', { code })) as Awaited<ReturnType<TrayBridge['unlock']>>,
  lockNow: async () => (await invoke('tray:lock-now', {})) as TrayView,
  beginEnrollment: async () => (await invoke('tray:enrollment-begin', {})) as Awaited<ReturnType<TrayBridge['beginEnrollment']>>,
  confirmEnrollment: async (enrollmentId, code) =>
    (await invoke('tray:enrollment-confirm', { enrollmentId, code })) as Awaited<ReturnType<TrayBridge['confirmEnrollment']>>,
  setLang: async (lang) => (await invoke('tray:set-lang', { lang })) as TrayView,
  onView: (listener) => subscribe(pushChannels.view, listener),
  onNotification: (listener) => subscribe(pushChannels.notification, listener),
};

contextBridge.exposeInMainWorld(bridgeGlobal, bridge);
