/**
 * The only file in src/main that imports `electron`: it implements the facade of facade.ts and the
 * app lifecycle, and holds no decisions (those live in the files it is given). Kept thin because
 * the Electron binary never runs on the development and CI machines (dev-environment.md §2.2);
 * everything else is tested against a fake facade.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, Notification, protocol, screen, session, Tray } from 'electron';
import { appScheme, decideAppAsset } from './app-protocol';
import type { DisplayInfo, ElectronFacade, IconBitmap, SessionRules, WindowHandle, WindowOptions } from './facade';

function toImage(bitmap: IconBitmap): Electron.NativeImage {
  return nativeImage.createFromBitmap(Buffer.from(bitmap.bgra), { width: bitmap.width, height: bitmap.height });
}

function wrapWindow(window: BrowserWindow, topMost: boolean): WindowHandle {
  const contents = window.webContents;
  // A crashed renderer leaves a blank window; reload it so the lock screen comes back.
  contents.on('render-process-gone', () => {
    if (!window.isDestroyed()) window.reload();
  });
  return {
    id: window.id,
    loadUrl: (url) => window.loadURL(url),
    show: () => window.show(),
    hide: () => window.hide(),
    focus: () => window.focus(),
    isVisible: () => window.isVisible(),
    isDestroyed: () => window.isDestroyed(),
    setBounds: (bounds) => {
      window.setBounds(bounds);
      if (topMost) window.setFullScreen(true);
    },
    setTopMost: () => {
      window.setAlwaysOnTop(true, 'screen-saver');
      window.setVisibleOnAllWorkspaces(true, { visibleOnFullScreen: true });
    },
    destroy: () => {
      if (!window.isDestroyed()) window.destroy();
    },
    send: (channel, payload) => contents.send(channel, payload),
    onCloseRequest: (listener) => {
      window.on('close', (event) => {
        if (!listener()) event.preventDefault();
      });
    },
    onClosed: (listener) => {
      window.on('closed', listener);
    },
    onNavigate: (listener) => {
      contents.on('will-navigate', (event) => {
        if (!listener(event.url)) event.preventDefault();
      });
      contents.on('will-redirect', (event) => {
        if (!listener(event.url)) event.preventDefault();
      });
    },
    setWindowOpenHandler: (listener) => {
      contents.setWindowOpenHandler(({ url }) => (listener(url) ? { action: 'allow' } : { action: 'deny' }));
    },
    onWebviewAttach: (listener) => {
      contents.on('will-attach-webview', (event) => {
        if (!listener()) event.preventDefault();
      });
    },
    onDevtoolsOpened: (listener) => {
      contents.on('devtools-opened', listener);
    },
    closeDevtools: () => contents.closeDevTools(),
  };
}

function createWindow(options: WindowOptions): WindowHandle {
  const window = new BrowserWindow({
    ...options.bounds,
    title: options.title,
    show: options.show,
    frame: options.frame,
    fullscreen: options.fullscreen,
    alwaysOnTop: options.alwaysOnTop,
    closable: options.closable,
    minimizable: options.minimizable,
    maximizable: !options.fullscreen,
    movable: options.movable,
    resizable: options.resizable,
    skipTaskbar: options.skipTaskbar,
    fullscreenable: options.fullscreen,
    backgroundColor: options.backgroundColor,
    autoHideMenuBar: true,
    webPreferences: { ...options.webPreferences },
  });
  window.removeMenu();
  return wrapWindow(window, options.kind === 'lock');
}

function toDisplays(): DisplayInfo[] {
  const primaryId = screen.getPrimaryDisplay().id;
  return screen.getAllDisplays().map((display) => ({ id: display.id, bounds: { ...display.bounds }, primary: display.id === primaryId }));
}

function hardenSession(rules: SessionRules): void {
  const defaultSession = session.defaultSession;
  defaultSession.setPermissionRequestHandler((contents, permission, callback) => {
    callback(rules.allowPermission(permission, contents.getURL()));
  });
  defaultSession.setPermissionCheckHandler((_contents, permission, requestingOrigin) => rules.allowPermission(permission, requestingOrigin));
  defaultSession.setDevicePermissionHandler((details) => rules.allowPermission(details.deviceType, details.origin));
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event) => {
      if (!rules.allowNavigation(event.url)) event.preventDefault();
    });
    contents.on('will-frame-navigate', (event) => {
      if (!rules.allowNavigation(event.url)) event.preventDefault();
    });
    contents.setWindowOpenHandler(({ url }) => (rules.allowWindowOpen(url) ? { action: 'allow' } : { action: 'deny' }));
    contents.on('will-attach-webview', (event) => {
      if (!rules.allowWebview()) event.preventDefault();
    });
  });
}

/** The facade over the real Electron modules. Call after `app.whenReady()`. */
export function createElectronFacade(): ElectronFacade {
  const trays: Tray[] = [];
  return {
    hardenSession,
    screen: {
      getAllDisplays: toDisplays,
      onDisplaysChanged: (listener) => {
        screen.on('display-added', () => listener());
        screen.on('display-removed', () => listener());
        screen.on('display-metrics-changed', () => listener());
      },
    },
    ipc: {
      handle: (channel, handler) => {
        ipcMain.handle(channel, (event, input: unknown) => {
          const frame = event.senderFrame;
          const owner = BrowserWindow.fromWebContents(event.sender);
          return handler({ frameUrl: frame?.url ?? null, isMainFrame: frame !== null && frame.parent === null, windowId: owner?.id ?? null }, input);
        });
      },
      removeHandler: (channel) => ipcMain.removeHandler(channel),
    },
    createWindow,
    createTray: (image, toolTip) => {
      const tray = new Tray(toImage(image));
      trays.push(tray);
      tray.setToolTip(toolTip);
      return {
        setImage: (next) => tray.setImage(toImage(next)),
        setToolTip: (text) => tray.setToolTip(text),
        setMenu: (items, onClick) => {
          tray.setContextMenu(
            Menu.buildFromTemplate(
              items.map((item) =>
                item.type === 'separator' ? { type: 'separator' as const } : { label: item.label, enabled: item.enabled, click: () => onClick(item.id) },
              ),
            ),
          );
        },
        destroy: () => tray.destroy(),
      };
    },
    notify: ({ title, body }) => {
      if (Notification.isSupported()) new Notification({ title, body }).show();
    },
    showAbout: ({ title, detail }) => {
      void dialog.showMessageBox({ type: 'info', title, message: title, detail, buttons: ['OK'] });
    },
  };
}

/** How index.ts starts the app. */
export interface ElectronBootOptions {
  /** Folder holding the renderer files (dist/electron/renderer inside the asar). */
  readonly rendererDir: string;
  /** Runs once the app is ready, with the facade. */
  readonly onReady: (facade: ElectronFacade, version: string) => void;
  /** Runs before the app quits (destroy windows so their close refusal does not block it). */
  readonly onQuit: () => void;
  readonly reportError: (where: string, error: unknown) => void;
}

/**
 * Registers the app protocol (must happen before `ready`), enforces one instance per user, serves
 * the renderer files through the protocol only, and hands over to `onReady`.
 */
export function bootElectron(options: ElectronBootOptions): void {
  // Checklist #18: pages come from a privileged custom scheme, not file://.
  protocol.registerSchemesAsPrivileged([{ scheme: appScheme, privileges: { standard: true, secure: true } }]);
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  // The tray app lives in the tray: no window is no reason to quit.
  app.on('window-all-closed', () => undefined);
  app.on('before-quit', () => options.onQuit());
  app
    .whenReady()
    .then(() => {
      protocol.handle(appScheme, async (request) => {
        const decision = decideAppAsset(request.method, request.url);
        if (!decision.ok) return new Response(null, { status: decision.status });
        const body = await readFile(path.join(options.rendererDir, decision.file));
        return new Response(body, { status: 200, headers: decision.headers });
      });
      options.onReady(createElectronFacade(), app.getVersion());
    })
    .catch((error: unknown) => options.reportError('electron-ready', error));
}
