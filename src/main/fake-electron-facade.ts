/**
 * An in-memory Electron facade for tests of the main-process logic: windows, tray, ipcMain,
 * displays and notifications are recorded, and the events Electron would fire (close request,
 * navigation, window.open, DevTools, display changes, IPC from a given sender) can be fired by hand.
 */
import type {
  DesktopNotification,
  DisplayInfo,
  ElectronFacade,
  IconBitmap,
  IpcSender,
  MenuItemSpec,
  SessionRules,
  WindowHandle,
  WindowOptions,
} from './facade';

/** A recorded window. */
export interface FakeWindow extends WindowHandle {
  readonly options: WindowOptions;
  readonly loadedUrls: string[];
  readonly sent: { channel: string; payload: unknown }[];
  bounds: WindowOptions['bounds'];
  topMost: boolean;
  devtoolsOpen: boolean;
  visible: boolean;
  destroyed: boolean;
  /** Fires a close request as the window manager would; returns true when the window closed. */
  requestClose(): boolean;
  /** Fires will-navigate; returns true when the navigation was allowed. */
  navigate(url: string): boolean;
  /** Fires window.open; returns true when a window would have opened. */
  openWindow(url: string): boolean;
  /** Fires will-attach-webview; returns true when it would have attached. */
  attachWebview(): boolean;
  /** Opens DevTools by force (as a keyboard shortcut in a debug build would). */
  openDevtools(): void;
  /** The renderer process died and the window went away (not through a close request). */
  crash(): void;
}

/** The recorded tray. */
export interface FakeTray {
  image: IconBitmap;
  toolTip: string;
  menu: readonly MenuItemSpec[];
  click(id: string): void;
  destroyed: boolean;
}

/** The fake facade plus its controls. */
export interface FakeElectronFacade extends ElectronFacade {
  readonly windows: FakeWindow[];
  readonly trays: FakeTray[];
  readonly notifications: DesktopNotification[];
  readonly abouts: { title: string; detail: string }[];
  sessionRules: SessionRules | null;
  /** Replaces the connected displays and fires the change listeners. */
  setDisplays(displays: readonly DisplayInfo[]): void;
  /** Calls an ipcMain handler as if `sender` had invoked `channel`. */
  invoke(channel: string, sender: IpcSender, input: unknown): Promise<unknown>;
  /** Registered ipcMain channels. */
  readonly ipcChannels: ReadonlySet<string>;
  /** Windows not destroyed. */
  liveWindows(): FakeWindow[];
  /** Called for every push message any window gets (webContents.send). */
  onSend(listener: (window: FakeWindow, channel: string, payload: unknown) => void): void;
}

/** A display at `x` (1920×1080). */
export function fakeDisplay(id: number, x: number, primary = false): DisplayInfo {
  return { id, bounds: { x, y: 0, width: 1920, height: 1080 }, primary };
}

/** Creates the fake with one primary display unless told otherwise. */
export function createFakeElectronFacade(initialDisplays: readonly DisplayInfo[] = [fakeDisplay(1, 0, true)]): FakeElectronFacade {
  let displays = [...initialDisplays];
  let nextWindowId = 1;
  const displayListeners: (() => void)[] = [];
  const handlers = new Map<string, (sender: IpcSender, input: unknown) => Promise<unknown>>();
  const windows: FakeWindow[] = [];
  const trays: FakeTray[] = [];
  const notifications: DesktopNotification[] = [];
  const abouts: { title: string; detail: string }[] = [];
  const sendListeners: ((window: FakeWindow, channel: string, payload: unknown) => void)[] = [];

  const createWindow = (options: WindowOptions): FakeWindow => {
    const closeRequest: (() => boolean)[] = [];
    const closed: (() => void)[] = [];
    const navigate: ((url: string) => boolean)[] = [];
    const webview: (() => boolean)[] = [];
    const devtools: (() => void)[] = [];
    let openHandler: ((url: string) => boolean) | null = null;
    const fireClosed = (): void => {
      for (const listener of closed) listener();
    };
    const window: FakeWindow = {
      id: nextWindowId++,
      options,
      loadedUrls: [],
      sent: [],
      bounds: options.bounds,
      topMost: false,
      devtoolsOpen: false,
      visible: false,
      destroyed: false,
      async loadUrl(url) {
        window.loadedUrls.push(url);
      },
      show() {
        if (!window.destroyed) window.visible = true;
      },
      hide() {
        window.visible = false;
      },
      focus() {},
      isVisible: () => window.visible,
      isDestroyed: () => window.destroyed,
      setBounds(bounds) {
        window.bounds = bounds;
      },
      setTopMost() {
        window.topMost = true;
      },
      destroy() {
        if (window.destroyed) return;
        window.destroyed = true;
        window.visible = false;
        fireClosed();
      },
      send(channel, payload) {
        window.sent.push({ channel, payload });
        for (const listener of sendListeners) listener(window, channel, payload);
      },
      onCloseRequest(listener) {
        closeRequest.push(listener);
      },
      onClosed(listener) {
        closed.push(listener);
      },
      onNavigate(listener) {
        navigate.push(listener);
      },
      setWindowOpenHandler(listener) {
        openHandler = listener;
      },
      onWebviewAttach(listener) {
        webview.push(listener);
      },
      onDevtoolsOpened(listener) {
        devtools.push(listener);
      },
      closeDevtools() {
        window.devtoolsOpen = false;
      },
      requestClose() {
        if (window.destroyed) return true;
        // Electron: any listener calling preventDefault keeps the window; `closable: false` too.
        const allowed = closeRequest.every((listener) => listener());
        if (!allowed) return false;
        window.destroy();
        return true;
      },
      navigate(url) {
        return navigate.length > 0 ? navigate.every((listener) => listener(url)) : true;
      },
      openWindow(url) {
        return openHandler === null ? true : openHandler(url);
      },
      attachWebview() {
        return webview.length > 0 ? webview.every((listener) => listener()) : true;
      },
      openDevtools() {
        window.devtoolsOpen = true;
        for (const listener of devtools) listener();
      },
      crash() {
        window.destroyed = true;
        window.visible = false;
        fireClosed();
      },
    };
    windows.push(window);
    return window;
  };

  const facade: FakeElectronFacade = {
    windows,
    trays,
    notifications,
    abouts,
    sessionRules: null,
    hardenSession(rules) {
      facade.sessionRules = rules;
    },
    screen: {
      getAllDisplays: () => displays,
      onDisplaysChanged(listener) {
        displayListeners.push(listener);
      },
    },
    ipc: {
      handle(channel, handler) {
        if (handlers.has(channel)) throw new Error(`fake ipcMain: a second handler for ${channel}`);
        handlers.set(channel, handler);
      },
      removeHandler(channel) {
        handlers.delete(channel);
      },
    },
    createWindow,
    createTray(image, toolTip) {
      let onClick: (id: string) => void = () => undefined;
      const tray: FakeTray & { setImage(i: IconBitmap): void; setToolTip(t: string): void; setMenu(m: readonly MenuItemSpec[], c: (id: string) => void): void; destroy(): void } = {
        image,
        toolTip,
        menu: [],
        destroyed: false,
        click(id) {
          const item = tray.menu.find((entry) => entry.type === 'item' && entry.id === id);
          if (item === undefined || item.type !== 'item' || !item.enabled) throw new Error(`fake tray: no enabled menu item ${id}`);
          onClick(id);
        },
        setImage(next) {
          tray.image = next;
        },
        setToolTip(text) {
          tray.toolTip = text;
        },
        setMenu(items, click) {
          tray.menu = items;
          onClick = click;
        },
        destroy() {
          tray.destroyed = true;
        },
      };
      trays.push(tray);
      return tray;
    },
    notify(notification) {
      notifications.push(notification);
    },
    showAbout(text) {
      abouts.push(text);
    },
    setDisplays(next) {
      displays = [...next];
      for (const listener of displayListeners) listener();
    },
    async invoke(channel, sender, input) {
      const handler = handlers.get(channel);
      if (handler === undefined) throw new Error(`fake ipcMain: no handler for ${channel}`);
      return handler(sender, input);
    },
    get ipcChannels() {
      return new Set(handlers.keys());
    },
    liveWindows: () => windows.filter((window) => !window.destroyed),
    onSend(listener) {
      sendListeners.push(listener);
    },
  };
  return facade;
}
