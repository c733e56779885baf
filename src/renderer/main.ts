/**
 * Entry of the tray app's renderer (UI only: no node, no electron, no network). It talks to the
 * main process through the bridge the preload puts on `window.mngTray`, and picks its screen from
 * the URL hash (#lock, #status, #enrollment) the main process opens it with.
 */
import { pick } from '../shared/i18n';
import type { trayBridgeGlobal, TrayBridge, TrayView } from '../shared/protocol/tray-bridge';
import { el } from './dom';
import { createEnrollmentScreen } from './enrollment-screen';
import { createLockScreen } from './lock-screen';
import { labels } from './messages';
import { createNotificationList } from './notifications';
import { createStatusView } from './status-view';
import { initialView, type Screen, type ScreenName, type UiContext } from './ui-context';

declare global {
  interface Window {
    mngTray?: TrayBridge;
  }
}

// Type-only link to the contract's global name: a rename there fails the typecheck here, and the
// renderer bundle stays free of zod (the schemas are the main process's business).
const bridgeGlobal: typeof trayBridgeGlobal = 'mngTray';

function screenFromHash(hash: string): ScreenName {
  const name = hash.replace(/^#/, '');
  return name === 'status' || name === 'enrollment' ? name : 'lock';
}

function start(doc: Document, bridge: TrayBridge): void {
  const home = screenFromHash(doc.location.hash);
  let view: TrayView = initialView(doc.documentElement.lang === 'en' ? 'en' : 'ja');
  let current: ScreenName = home;
  const screens = new Map<ScreenName, Screen>();

  const ctx: UiContext = {
    bridge,
    doc,
    view: () => view,
    setView: (next) => {
      view = next;
      render();
    },
    show: (name) => {
      if (name !== current) screens.get(current)?.leave?.();
      current = name;
      render();
    },
    t: (message) => pick(message, view.lang),
    nowMs: () => performance.now(),
  };

  screens.set('lock', createLockScreen(ctx));
  screens.set('status', createStatusView(ctx));
  // Opened from the lock or status screen, enrollment has a way back; in its own window it has not.
  screens.set('enrollment', createEnrollmentScreen(ctx, home === 'enrollment' ? null : () => ctx.show(home)));

  const langButton = el(doc, 'button', { id: 'lang-toggle', className: 'lang', attrs: { type: 'button' } });
  langButton.addEventListener('click', () => {
    bridge.setLang(view.lang === 'ja' ? 'en' : 'ja').then(ctx.setView, () => undefined);
  });
  const notifications = createNotificationList(doc);
  const app = el(doc, 'main', { id: 'app', attrs: { 'data-screen': home } }, [langButton, ...[...screens.values()].map((s) => s.root), notifications.root]);
  doc.body.replaceChildren(app);

  function render(): void {
    // On the lock window, an enrollment in progress stays up; any other change shows the lock screen.
    doc.documentElement.lang = view.lang;
    langButton.textContent = pick(labels.langToggle, view.lang);
    app.dataset.screen = current;
    app.dataset.state = view.state;
    app.dataset.agent = view.agent;
    for (const [name, screen] of screens) {
      screen.root.hidden = name !== current;
      screen.update(view);
    }
  }

  bridge.onView(ctx.setView);
  bridge.onNotification((notification) => notifications.add(notification, view.lang));
  render();
  bridge.view().then(ctx.setView, () => ctx.setView({ ...view, agent: 'unreachable' }));
  window.addEventListener('hashchange', () => ctx.show(screenFromHash(doc.location.hash)));
}

const bridge = window[bridgeGlobal];
if (bridge === undefined) {
  // Without the bridge there is nothing to talk to: say so rather than show a dead form.
  document.body.textContent = 'mynumber-guard: 内部エラー（ブリッジがありません） / internal error (no bridge)';
} else {
  start(document, bridge);
}
