/**
 * Notifications from the agent (a blocked device, a denied medium, a quarantined export) shown as
 * a short list on every screen; the desktop notification itself comes from the main process.
 */
import { pick, type Lang } from '../shared/i18n';
import type { Notification } from '../shared/protocol/agent-ipc';
import { el } from './dom';

/** How long one notification stays on screen (ms). */
export const notificationLifetimeMs = 15_000;
/** Most notifications on screen at once; older ones give way. */
export const maxShownNotifications = 3;

/** The notification list. */
export interface NotificationList {
  readonly root: HTMLElement;
  add(notification: Notification, lang: Lang): void;
}

/** Creates the list (an ARIA live region, so screen readers announce new entries). */
export function createNotificationList(doc: Document): NotificationList {
  const root = el(doc, 'div', { id: 'notifications', className: 'notifications', attrs: { role: 'status', 'aria-live': 'polite' } });
  return {
    root,
    add(notification, lang) {
      const item = el(doc, 'div', { className: `notification kind-${notification.kind}`, attrs: { 'data-id': String(notification.id) } }, [
        el(doc, 'strong', { text: pick(notification.title, lang) }),
        el(doc, 'p', { text: pick(notification.body, lang) }),
      ]);
      root.prepend(item);
      while (root.children.length > maxShownNotifications) root.lastElementChild?.remove();
      setTimeout(() => item.remove(), notificationLifetimeMs);
    },
  };
}
