/**
 * The small slice of Electron the tray app uses, as plain interfaces. Only electron-facade.ts
 * imports `electron` and implements these; every other file in src/main takes a facade, so the
 * main-process logic is tested with a fake (issue #5 tests: "main-process logic with an injected
 * Electron facade") and never needs the Electron binary.
 */

/** A rectangle in screen coordinates (DIP). */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** One connected display. */
export interface DisplayInfo {
  /** Electron's display id: stable while the display stays connected. */
  readonly id: number;
  readonly bounds: Rect;
  readonly primary: boolean;
}

/**
 * The web preferences every window gets (Electron security checklist). Literal types, so a
 * window with a weaker setting does not typecheck.
 */
export interface SecureWebPreferences {
  readonly sandbox: true;
  readonly contextIsolation: true;
  readonly nodeIntegration: false;
  readonly nodeIntegrationInWorker: false;
  readonly nodeIntegrationInSubFrames: false;
  readonly webSecurity: true;
  readonly allowRunningInsecureContent: false;
  readonly webviewTag: false;
  readonly devTools: false;
  readonly spellcheck: false;
  readonly navigateOnDragDrop: false;
  readonly safeDialogs: true;
  /** Absolute path of the bundled preload (dist/electron/preload.js). */
  readonly preload: string;
}

/** What kind of window; decides its chrome. */
export type WindowKind = 'lock' | 'status' | 'enrollment';

/** Options of one window, already decided by the window factory. */
export interface WindowOptions {
  readonly kind: WindowKind;
  readonly bounds: Rect;
  readonly title: string;
  readonly show: false;
  readonly frame: boolean;
  readonly fullscreen: boolean;
  readonly alwaysOnTop: boolean;
  readonly closable: boolean;
  readonly minimizable: boolean;
  readonly movable: boolean;
  readonly resizable: boolean;
  readonly skipTaskbar: boolean;
  readonly backgroundColor: string;
  readonly webPreferences: SecureWebPreferences;
}

/** A created window. Events fire in the main process. */
export interface WindowHandle {
  /** Electron's BrowserWindow id. */
  readonly id: number;
  loadUrl(url: string): Promise<void>;
  show(): void;
  hide(): void;
  focus(): void;
  isVisible(): boolean;
  isDestroyed(): boolean;
  setBounds(bounds: Rect): void;
  /** Keeps the window above everything, including full-screen windows ('screen-saver' level). */
  setTopMost(): void;
  /** Closes without asking (`destroy()`), even when close requests are refused. */
  destroy(): void;
  /** Sends a push message to the page (webContents.send). */
  send(channel: string, payload: unknown): void;
  /**
   * A close request (user, window manager). The listener returns true to let it close; false
   * prevents it (`event.preventDefault()`).
   */
  onCloseRequest(listener: () => boolean): void;
  onClosed(listener: () => void): void;
  /**
   * Navigation of the top frame (will-navigate, will-redirect). The listener returns true to
   * allow it; false prevents it.
   */
  onNavigate(listener: (url: string) => boolean): void;
  /** window.open and target=_blank: the listener returns true to allow (we never do). */
  setWindowOpenHandler(listener: (url: string) => boolean): void;
  /** `<webview>` attach attempts: the listener returns true to allow. */
  onWebviewAttach(listener: () => boolean): void;
  /** DevTools opened by any means (the listener closes them again). */
  onDevtoolsOpened(listener: () => void): void;
  closeDevtools(): void;
}

/** What the tray icon shows. */
export type TrayIconState = 'locked' | 'unlocked' | 'violation' | 'agent-unreachable';

/** A 16×16 (or other) raw bitmap, BGRA, as Electron's nativeImage.createFromBitmap takes it. */
export interface IconBitmap {
  readonly width: number;
  readonly height: number;
  readonly bgra: Uint8Array;
}

/** One tray menu entry. */
export type MenuItemSpec =
  | { readonly type: 'item'; readonly id: string; readonly label: string; readonly enabled: boolean }
  | { readonly type: 'separator' };

/** The tray icon. */
export interface TrayHandle {
  setImage(image: IconBitmap): void;
  setToolTip(text: string): void;
  setMenu(items: readonly MenuItemSpec[], onClick: (id: string) => void): void;
  destroy(): void;
}

/** The sender of an ipcMain.handle call, as far as the gate needs to know. */
export interface IpcSender {
  /** URL of the frame that sent the message; null when the frame is gone. */
  readonly frameUrl: string | null;
  /** True for a top-level frame (no parent). */
  readonly isMainFrame: boolean;
  /** The BrowserWindow id hosting the sender, or null. */
  readonly windowId: number | null;
}

/** ipcMain, reduced to invoke handlers. */
export interface IpcMainPort {
  handle(channel: string, handler: (sender: IpcSender, input: unknown) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

/** A desktop notification. */
export interface DesktopNotification {
  readonly title: string;
  readonly body: string;
}

/** Session-wide rules applied to every web contents, including ones no window factory made. */
export interface SessionRules {
  /** Permission requests and checks (camera, notifications, USB, HID, serial…). */
  allowPermission(permission: string, origin: string): boolean;
  /** Navigation of any frame to `url`. */
  allowNavigation(url: string): boolean;
  /** window.open / target=_blank to `url`. */
  allowWindowOpen(url: string): boolean;
  /** Attaching a `<webview>`. */
  allowWebview(): boolean;
}

/** Everything src/main needs from Electron. */
export interface ElectronFacade {
  /** Applies {@link SessionRules} to the default session and to every web contents created later. */
  hardenSession(rules: SessionRules): void;
  readonly screen: {
    getAllDisplays(): readonly DisplayInfo[];
    /** Fires after a display is added, removed or changes metrics. */
    onDisplaysChanged(listener: () => void): void;
  };
  readonly ipc: IpcMainPort;
  createWindow(options: WindowOptions): WindowHandle;
  createTray(image: IconBitmap, toolTip: string): TrayHandle;
  notify(notification: DesktopNotification): void;
  /** Shows the about panel (app name, version). */
  showAbout(text: { title: string; detail: string }): void;
}
