// Renderer harness for the tray app: the built renderer (dist/electron/renderer) is served over
// node:http with the app protocol's own decisions (decideAppAsset: same files, same CSP) and opened
// in Debian Chromium through playwright-core; `window.mngTray` is a test bridge injected before any
// page script, with the same unwrapping as src/preload/index.ts.
//
// The bridge is pluggable (TrayBridgeBackend). `createMainProcessBackend` runs the real main-process
// logic (startTrayApp: the IPC gate, views, lock windows) on a fake Electron facade, with any
// AgentConnection behind it: today the in-memory fake agent, later the real agent client on a real
// socket. Pushes the main process sends to "its" window reach the page.
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Lang } from '../../src/shared/i18n';
import { appOrigin, appPageUrl, decideAppAsset, type AppScreen } from '../../src/main/app-protocol';
import type { AgentConnection } from '../../src/main/agent-connection';
import { createFakeElectronFacade, type FakeElectronFacade, type FakeWindow } from '../../src/main/fake-electron-facade';
import { startTrayApp, type TrayApp } from '../../src/main/tray-app';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The built renderer (scripts/build-electron.mjs; the test global setup builds it). */
export const rendererDir = path.join(repoRoot, 'dist/electron/renderer');
/** Debian's Chromium (dev-environment.md §5); never `playwright install`. */
export const chromiumPath = '/usr/bin/chromium';

/** What the test bridge talks to. */
export interface TrayBridgeBackend {
  /** One bridge call; returns the gate's reply envelope ({ ok, value } | { ok: false, code }). */
  invoke(channel: string, input: unknown): Promise<unknown>;
  /** Push messages for the page (view changes, notifications). */
  onPush(listener: (channel: string, payload: unknown) => void): void;
}

/** The real main-process logic on a fake facade, playing one window of the given screen. */
export interface MainProcessBackend extends TrayBridgeBackend {
  readonly facade: FakeElectronFacade;
  readonly app: TrayApp;
  /** The fake window the page stands for. */
  window(): FakeWindow;
}

/**
 * Starts the tray app's main-process logic against `agent`; the page plays a window of `screen`.
 * `sessionId` is the tray's own OS session (XDG_SESSION_ID in the real app); null takes the first
 * session the agent lists for the caller.
 */
export function createMainProcessBackend(agent: AgentConnection, screen: AppScreen = 'lock', lang: Lang = 'ja', options: { readonly sessionId?: string | null } = {}): MainProcessBackend {
  const facade = createFakeElectronFacade();
  const app = startTrayApp({
    facade,
    agent,
    preloadPath: '/harness/preload.js',
    sessionId: options.sessionId ?? null,
    trayPid: process.pid,
    lang,
    version: '0.0.0-harness',
    nowMs: () => Date.now(),
    timers: { setTimeout: (callback, delayMs) => setTimeout(callback, delayMs), clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout) },
    reportError: (where, error) => process.stderr.write(`tray harness: ${where}: ${String(error)}\n`),
  });
  if (screen !== 'lock') app.auxWindows.open(screen);
  const window = (): FakeWindow => {
    const found = facade.liveWindows().find((candidate) => candidate.options.kind === screen);
    if (found === undefined) throw new Error(`tray harness: no live ${screen} window`);
    return found;
  };
  return {
    facade,
    app,
    window,
    invoke: (channel, input) =>
      facade.invoke(channel, { frameUrl: appPageUrl(screen), isMainFrame: true, windowId: window().id }, input),
    onPush: (listener) => facade.onSend((target, channel, payload) => {
      if (target === window()) listener(channel, payload);
    }),
  };
}

/** Serves the built renderer exactly as the app protocol would (same files, headers, 404s). */
export async function serveRenderer(): Promise<{ url: (screen: AppScreen) => string; close: () => Promise<void> }> {
  const server: Server = createServer((request, response) => {
    // A Chromium tab asks for a favicon; an Electron window does not. Answer it so the page's
    // console stays clean, and keep every other path to the app protocol's decisions.
    if (request.url === '/favicon.ico') {
      response.writeHead(204).end();
      return;
    }
    const decision = decideAppAsset(request.method ?? 'GET', `${appOrigin}${request.url ?? '/'}`);
    if (!decision.ok) {
      response.writeHead(decision.status).end();
      return;
    }
    readFile(path.join(rendererDir, decision.file)).then(
      (body) => response.writeHead(200, decision.headers).end(body),
      () => response.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (screen) => `http://127.0.0.1:${port}/index.html#${screen}`,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

/** Launches Debian Chromium headless (dev-environment.md §5 flags). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

declare global {
  interface Window {
    __mngTrayInvoke?: (channel: string, input: unknown) => Promise<unknown>;
    __mngTrayPush?: (channel: string, payload: unknown) => void;
  }
}

/**
 * Injects `window.mngTray` (before any page script) backed by `backend`. The bridge mirrors
 * src/preload/index.ts: named methods, the reply envelope unwrapped, push listeners with unsubscribe.
 */
export async function installTestBridge(page: Page, backend: TrayBridgeBackend): Promise<void> {
  await page.exposeFunction('__mngTrayInvoke', (channel: string, input: unknown) => backend.invoke(channel, input));
  backend.onPush((channel, payload) => {
    page.evaluate(([c, p]) => window.__mngTrayPush?.(c, p), [channel, payload] as const).catch((error: unknown) => {
      // A push racing a closing page is expected at the end of a test; anything else is reported.
      if (!page.isClosed()) process.stderr.write(`tray harness: push failed: ${String(error)}\n`);
    });
  });
  await page.addInitScript(() => {
    const listeners = new Map<string, Set<(payload: unknown) => void>>();
    const invoke = async (channel: string, input: unknown): Promise<unknown> => {
      const reply = (await window.__mngTrayInvoke!(channel, input)) as { ok: boolean; value?: unknown; code?: string };
      if (reply.ok) return reply.value;
      throw new Error(`mngTray ${channel}: ${String(reply.code)}`);
    };
    const subscribe = (channel: string, listener: (payload: unknown) => void): (() => void) => {
      const set = listeners.get(channel) ?? new Set();
      set.add(listener);
      listeners.set(channel, set);
      return () => {
        set.delete(listener);
      };
    };
    window.__mngTrayPush = (channel, payload) => {
      for (const listener of listeners.get(channel) ?? []) listener(payload);
    };
    const bridge = {
      view: () => invoke('tray:view', {}),
      unlock: (code: string) => invoke('tray:unlock', { code }),
      lockNow: () => invoke('tray:lock-now', {}),
      beginEnrollment: () => invoke('tray:enrollment-begin', {}),
      confirmEnrollment: (enrollmentId: string, code: string) => invoke('tray:enrollment-confirm', { enrollmentId, code }),
      setLang: (lang: string) => invoke('tray:set-lang', { lang }),
      onView: (listener: (payload: unknown) => void) => subscribe('tray:view-changed', listener),
      onNotification: (listener: (payload: unknown) => void) => subscribe('tray:notification', listener),
    };
    Object.defineProperty(window, 'mngTray', { value: Object.freeze(bridge), writable: false, configurable: false });
  });
}
