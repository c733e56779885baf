/**
 * The tray icon and its menu (issue #5 item 4: states locked / unlocked / violation / agent
 * unreachable; menu status, lock now, about). There is no "quit": closing the tray app would only
 * make the agent lock the session and record tamper.
 */
import { pick, type Lang } from '../shared/i18n';
import type { TrayView } from '../shared/protocol/tray-bridge';
import type { ElectronFacade, MenuItemSpec, TrayHandle, TrayIconState } from './facade';
import { menuLabels, trayToolTips } from './main-messages';
import { renderTrayIcon } from './tray-icons';

/** Menu actions. */
export type TrayMenuAction = 'status' | 'lock-now' | 'enroll' | 'about';

/** The menu for a view. "Lock now" only while unlocked; "enroll" only while not enrolled and the agent answers. */
export function buildTrayMenu(view: TrayView, lang: Lang): readonly MenuItemSpec[] {
  const items: MenuItemSpec[] = [
    { type: 'item', id: 'status', label: pick(menuLabels.status, lang), enabled: true },
    { type: 'item', id: 'lock-now', label: pick(menuLabels.lockNow, lang), enabled: view.agent === 'connected' && view.state === 'unlocked' },
  ];
  if (view.agent === 'connected' && !view.enrolled) {
    items.push({ type: 'item', id: 'enroll', label: pick(menuLabels.enroll, lang), enabled: true });
  }
  items.push({ type: 'separator' }, { type: 'item', id: 'about', label: pick(menuLabels.about, lang), enabled: true });
  return items;
}

/** The tray controller. */
export interface TrayController {
  /** Shows the icon, tooltip and menu for a view; redraws only what changed. */
  update(icon: TrayIconState, view: TrayView): void;
  readonly icon: TrayIconState;
  destroy(): void;
}

/** Creates the tray icon (initially "agent unreachable": nothing is known yet). */
export function createTrayController(
  facade: ElectronFacade,
  onAction: (action: TrayMenuAction) => void,
  lang: Lang,
): TrayController {
  let icon: TrayIconState = 'agent-unreachable';
  let menuKey = '';
  const tray: TrayHandle = facade.createTray(renderTrayIcon(icon), pick(trayToolTips[icon], lang));
  const onClick = (id: string): void => {
    if (id === 'status' || id === 'lock-now' || id === 'enroll' || id === 'about') onAction(id);
  };
  return {
    get icon() {
      return icon;
    },
    update(next, view) {
      if (next !== icon) {
        icon = next;
        tray.setImage(renderTrayIcon(next));
      }
      const items = buildTrayMenu(view, view.lang);
      const key = JSON.stringify([next, view.lang, items]);
      if (key === menuKey) return;
      menuKey = key;
      tray.setToolTip(pick(trayToolTips[next], view.lang));
      tray.setMenu(items, onClick);
    },
    destroy() {
      tray.destroy();
    },
  };
}
