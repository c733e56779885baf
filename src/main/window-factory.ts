/**
 * The one place windows are made (STYLE.md §7): every BrowserWindow of the tray app comes from
 * {@link createSecureWindow}, so the Electron security checklist is applied once and tested once.
 */
import { appPageUrl, type AppScreen } from './app-protocol';
import type { ElectronFacade, Rect, SecureWebPreferences, SessionRules, WindowHandle, WindowKind, WindowOptions } from './facade';

/** Web preferences of every window (Electron security checklist #2–#4, #6, #12, #13). */
export function secureWebPreferences(preloadPath: string): SecureWebPreferences {
  return {
    // Checklist #4: sandbox every renderer; #3: context isolation; #2: no Node.js in the page.
    sandbox: true,
    contextIsolation: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    // Checklist #6: never disable webSecurity; #8: no insecure content.
    webSecurity: true,
    allowRunningInsecureContent: false,
    // Checklist #12: no <webview>.
    webviewTag: false,
    // Issue #5: no devtools in any window (the lock window above all).
    devTools: false,
    spellcheck: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    preload: preloadPath,
  };
}

/** What a caller asks for; the factory decides everything else. */
export interface WindowRequest {
  readonly kind: WindowKind;
  readonly bounds: Rect;
  readonly title: string;
}

/** Window chrome per kind: the lock window cannot be closed, moved or left. */
export function decideWindowOptions(request: WindowRequest, preloadPath: string): WindowOptions {
  const lock = request.kind === 'lock';
  return {
    kind: request.kind,
    bounds: request.bounds,
    title: request.title,
    show: false,
    frame: !lock,
    fullscreen: lock,
    alwaysOnTop: lock,
    closable: !lock,
    minimizable: !lock,
    movable: !lock,
    resizable: !lock,
    skipTaskbar: lock,
    backgroundColor: lock ? '#1b2733' : '#ffffff',
    webPreferences: secureWebPreferences(preloadPath),
  };
}

/** Which screen of the renderer a window kind opens. */
export function screenOfWindow(kind: WindowKind): AppScreen {
  return kind;
}

/**
 * Creates a window with the security checklist applied: navigation denied (#13), new windows
 * denied (#14), `<webview>` refused (#12), DevTools closed as soon as they open, page loaded from
 * the app protocol (#18). The caller still decides close behaviour (the lock window refuses).
 */
export function createSecureWindow(facade: ElectronFacade, request: WindowRequest, preloadPath: string): WindowHandle {
  const window = facade.createWindow(decideWindowOptions(request, preloadPath));
  // Checklist #13: the page never leaves the app; a hash change is not a navigation.
  window.onNavigate(() => false);
  // Checklist #14: window.open / target=_blank never opens anything.
  window.setWindowOpenHandler(() => false);
  window.onWebviewAttach(() => false);
  // devTools: false already; this catches any other way in (e.g. a debug build flag).
  window.onDevtoolsOpened(() => window.closeDevtools());
  if (request.kind === 'lock') window.setTopMost();
  return window;
}

/** Loads the renderer screen of a window from the app protocol. */
export async function loadWindowScreen(window: WindowHandle, kind: WindowKind): Promise<void> {
  await window.loadUrl(appPageUrl(screenOfWindow(kind)));
}

/**
 * Session-wide rules (Electron security checklist #5: permission requests denied; #13, #14, #12
 * again for any web contents the factory did not make): the tray app needs no permission at all.
 */
export const denyEverything: SessionRules = {
  allowPermission: () => false,
  allowNavigation: () => false,
  allowWindowOpen: () => false,
  allowWebview: () => false,
};
