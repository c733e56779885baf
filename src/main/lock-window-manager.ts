/**
 * The lock windows: one full-screen, always-on-top, non-closable window without DevTools on every
 * display (issue #5 item 4). The windows are made and loaded ahead of time and only shown when a
 * lock comes, so a lock is visible well inside the 300 ms budget. Displays that come and go are
 * followed; a lock window that disappears while locked is made again (fail closed).
 *
 * The overlay is not the lock: the agent keeps the session locked at the OS level (mfa.md §8).
 */
import type { DisplayInfo, ElectronFacade, WindowHandle } from './facade';
import { createSecureWindow, loadWindowScreen } from './window-factory';

/** What the manager needs. */
export interface LockWindowManagerOptions {
  readonly facade: ElectronFacade;
  readonly preloadPath: string;
  /** The window title in the current language. */
  readonly title: () => string;
  /** A page that failed to load (reported by the caller; the window stays, blank but covering). */
  readonly onLoadError: (error: unknown) => void;
}

/** Lock windows across displays. */
export interface LockWindowManager {
  /** Makes sure every display has a lock window (hidden unless shown). */
  syncDisplays(): void;
  /** Shows and raises every lock window; focuses the one on the primary display. */
  show(): void;
  hide(): void;
  readonly shown: boolean;
  /** True when `windowId` is one of the lock windows. */
  owns(windowId: number): boolean;
  /** Sends a push message to every lock window. */
  broadcast(channel: string, payload: unknown): void;
  /** Lets the windows close and destroys them (app quit). */
  destroyAll(): void;
  /** Display id → window id, for tests and diagnostics. */
  windowsByDisplay(): ReadonlyMap<number, number>;
}

/** Creates the manager; call {@link LockWindowManager.syncDisplays} once the app is ready. */
export function createLockWindowManager(options: LockWindowManagerOptions): LockWindowManager {
  const { facade } = options;
  const windows = new Map<number, WindowHandle>();
  let shown = false;
  let quitting = false;

  const showOne = (window: WindowHandle, focus: boolean): void => {
    window.setTopMost();
    window.show();
    if (focus) window.focus();
  };

  const create = (display: DisplayInfo): WindowHandle => {
    const window = createSecureWindow(facade, { kind: 'lock', bounds: display.bounds, title: options.title() }, options.preloadPath);
    // Not closable while it exists: only destroyAll() (quit) ends a lock window.
    window.onCloseRequest(() => quitting);
    window.onClosed(() => {
      if (windows.get(display.id) === window) windows.delete(display.id);
      // A lock window gone while locked (crash, killed renderer): cover the display again.
      if (!quitting && shown) sync();
    });
    windows.set(display.id, window);
    loadWindowScreen(window, 'lock').catch(options.onLoadError);
    return window;
  };

  const sync = (): void => {
    if (quitting) return;
    const displays = facade.screen.getAllDisplays();
    const present = new Set(displays.map((display) => display.id));
    for (const [displayId, window] of [...windows]) {
      if (!present.has(displayId)) {
        windows.delete(displayId);
        window.destroy();
      }
    }
    for (const display of displays) {
      const existing = windows.get(display.id);
      if (existing === undefined || existing.isDestroyed()) {
        const window = create(display);
        if (shown) showOne(window, display.primary);
      } else {
        existing.setBounds(display.bounds);
      }
    }
  };

  facade.screen.onDisplaysChanged(sync);

  return {
    syncDisplays: sync,
    show() {
      shown = true;
      sync();
      const displays = facade.screen.getAllDisplays();
      for (const display of displays) {
        const window = windows.get(display.id);
        if (window !== undefined) showOne(window, display.primary);
      }
    },
    hide() {
      shown = false;
      for (const window of windows.values()) window.hide();
    },
    get shown() {
      return shown;
    },
    owns(windowId) {
      for (const window of windows.values()) if (window.id === windowId) return true;
      return false;
    },
    broadcast(channel, payload) {
      for (const window of windows.values()) if (!window.isDestroyed()) window.send(channel, payload);
    },
    destroyAll() {
      quitting = true;
      for (const window of windows.values()) window.destroy();
      windows.clear();
    },
    windowsByDisplay() {
      return new Map([...windows].map(([displayId, window]) => [displayId, window.id]));
    },
  };
}
