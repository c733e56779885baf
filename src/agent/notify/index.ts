// Public surface of the notify module: the words staff see when something is blocked, and the hub.
export { createNotifier, exportNotice, keptNotifications, mediaNotice, repeatWindowMs, usbBlockedNotice, type NotificationDraft, type Notifier } from './notifier';
