import { describe, expect, it } from 'vitest';
import { createFakeElectronFacade } from './fake-electron-facade';
import { createSecureWindow, decideWindowOptions, denyEverything, secureWebPreferences } from './window-factory';

const bounds = { x: 0, y: 0, width: 800, height: 600 };

describe('window factory (Electron security checklist)', () => {
  it('gives every window sandbox, context isolation, no node, web security, no devtools, no webview', () => {
    for (const kind of ['lock', 'status', 'enrollment'] as const) {
      const prefs = decideWindowOptions({ kind, bounds, title: 't' }, '/app/preload.js').webPreferences;
      expect(prefs).toEqual(secureWebPreferences('/app/preload.js'));
      expect(prefs).toMatchObject({
        sandbox: true,
        contextIsolation: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        nodeIntegrationInSubFrames: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        webviewTag: false,
        devTools: false,
      });
    }
  });

  it('makes the lock window full-screen, always on top, not closable, not movable; the others ordinary', () => {
    expect(decideWindowOptions({ kind: 'lock', bounds, title: 't' }, '/p')).toMatchObject({
      fullscreen: true,
      alwaysOnTop: true,
      closable: false,
      minimizable: false,
      movable: false,
      resizable: false,
      frame: false,
      skipTaskbar: true,
      show: false,
    });
    expect(decideWindowOptions({ kind: 'status', bounds, title: 't' }, '/p')).toMatchObject({ fullscreen: false, alwaysOnTop: false, closable: true, frame: true });
  });

  it('denies navigation, new windows and webviews, and closes DevTools that open anyway', () => {
    const facade = createFakeElectronFacade();
    createSecureWindow(facade, { kind: 'lock', bounds, title: 't' }, '/p');
    const window = facade.windows[0]!;
    expect(window.navigate('https://example.org/')).toBe(false);
    expect(window.navigate('mng://tray/index.html#status')).toBe(false);
    expect(window.openWindow('https://example.org/')).toBe(false);
    expect(window.attachWebview()).toBe(false);
    window.openDevtools();
    expect(window.devtoolsOpen).toBe(false);
    expect(window.topMost).toBe(true);
  });

  it('denies every permission and navigation session-wide', () => {
    for (const permission of ['media', 'notifications', 'usb', 'hid', 'serial', 'clipboard-read', 'geolocation', 'openExternal']) {
      expect(denyEverything.allowPermission(permission, 'mng://tray')).toBe(false);
    }
    expect(denyEverything.allowNavigation('mng://tray/index.html')).toBe(false);
    expect(denyEverything.allowWindowOpen('mng://tray/index.html')).toBe(false);
    expect(denyEverything.allowWebview()).toBe(false);
  });
});
