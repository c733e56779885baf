/**
 * What terminal staff are told when the agent blocks something (issue #5 item 4: "a notification
 * when a device or an export is blocked"). The words are made here, in Japanese first, from the
 * decisions other modules report; the tray only shows them. Pure wording plus a small hub that
 * numbers notifications, drops repeats of the same thing within a few seconds (a hub rescan must
 * not flood the screen) and keeps the last ones for a tray that connects later.
 */
import type { Clock } from '../../shared/clock';
import { msg, type Localized } from '../../shared/i18n';
import type { Notification } from '../../shared/protocol/agent-ipc';

/** A notification before it is numbered and stamped. */
export interface NotificationDraft {
  readonly kind: Notification['kind'];
  readonly title: Localized;
  readonly body: Localized;
  /** Same key within {@link repeatWindowMs} → not shown again. */
  readonly key: string;
}

/** Printable and bounded: text from devices and paths never drives the notification layout. */
function clean(text: string, max = 120): string {
  const printable = text.replace(/[\u0000-\u001f\u007f-\u009f\ud800-\udfff]/g, '�');
  return [...printable].length > max ? `${[...printable].slice(0, max - 1).join('')}…` : printable;
}

/** A USB device was blocked or rejected. */
export function usbBlockedNotice(device: { readonly port: string; readonly name: string; readonly vendorId: string; readonly productId: string } | undefined, port: string, target: 'block' | 'reject'): NotificationDraft {
  const label = device === undefined ? port : `${clean(device.name) || '名前なし / unnamed'} (${device.vendorId}:${device.productId})`;
  return {
    kind: 'usb-blocked',
    key: `usb:${port}:${device?.vendorId ?? ''}:${device?.productId ?? ''}`,
    title: msg('USB 機器を使用できません', 'USB device blocked'),
    body: msg(
      `${label} はこの端末では使用できません（${target === 'reject' ? '接続を拒否' : '無効化'}）。業務で必要な場合は情報システム担当に申請してください。`,
      `${label} cannot be used on this terminal (${target === 'reject' ? 'rejected' : 'blocked'}). If you need it for work, ask IT.`,
    ),
  };
}

/** A medium was denied or made read-only. */
export function mediaNotice(mountPoint: string, action: 'deny' | 'read-only'): NotificationDraft {
  const where = clean(mountPoint);
  return action === 'deny'
    ? {
        kind: 'media-denied',
        key: `media:${mountPoint}:deny`,
        title: msg('記録媒体を使用できません', 'Storage medium blocked'),
        body: msg(`${where} は使用できないため取り外しました。住民情報の持ち出しは禁止されています。`, `${where} cannot be used and was unmounted. Taking residents' data out is not allowed.`),
      }
    : {
        kind: 'media-read-only',
        key: `media:${mountPoint}:ro`,
        title: msg('記録媒体は読み取りのみです', 'Storage medium is read-only'),
        body: msg(`${where} は読み取り専用です。書き込みはできません。`, `${where} is read-only: nothing can be written to it.`),
      };
}

/** A file written to an export destination was quarantined or deleted. */
export function exportNotice(path: string, outcome: 'quarantined' | 'deleted'): NotificationDraft {
  const file = clean(path.slice(path.lastIndexOf('/') + 1) || path);
  return outcome === 'quarantined'
    ? {
        kind: 'export-quarantined',
        key: `export:${path}`,
        title: msg('ファイルの書き出しを止めました', 'File export stopped'),
        body: msg(`${file} はこの場所に書き出せないため隔離しました。記録は監査ログに残ります。`, `${file} may not be written there and was quarantined. The audit log keeps a record.`),
      }
    : {
        kind: 'export-deleted',
        key: `export:${path}`,
        title: msg('ファイルの書き出しを止めました', 'File export stopped'),
        body: msg(`${file} はこの場所に書き出せないため削除しました。記録は監査ログに残ります。`, `${file} may not be written there and was deleted. The audit log keeps a record.`),
      };
}

/** How long the same notice is not repeated (ms). */
export const repeatWindowMs = 5_000;
/** How many notices a late-connecting tray can still get. */
export const keptNotifications = 50;

/** The hub: numbers, dedupes, keeps, and hands each new notification to `publish`. */
export interface Notifier {
  notify(draft: NotificationDraft): Notification | null;
  recent(): readonly Notification[];
}

/** Creates the hub. `publish` must not throw (it sends to subscribed tray connections). */
export function createNotifier(deps: { readonly clock: Clock; readonly publish: (notification: Notification) => void }): Notifier {
  let nextId = 1;
  const lastShown = new Map<string, number>();
  const kept: Notification[] = [];
  return {
    notify(draft) {
      const now = deps.clock.nowMs();
      const last = lastShown.get(draft.key);
      if (last !== undefined && now - last < repeatWindowMs) return null;
      lastShown.set(draft.key, now);
      if (lastShown.size > 1000) {
        for (const [key, at] of lastShown) if (now - at >= repeatWindowMs) lastShown.delete(key);
      }
      const notification: Notification = { id: nextId, at: new Date(now).toISOString(), kind: draft.kind, title: draft.title, body: draft.body };
      nextId += 1;
      kept.push(notification);
      if (kept.length > keptNotifications) kept.shift();
      deps.publish(notification);
      return notification;
    },
    recent: () => [...kept],
  };
}
