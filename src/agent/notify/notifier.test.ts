import { describe, expect, it } from 'vitest';
import { notificationSchema, type Notification } from '../../shared/protocol/agent-ipc';
import { createNotifier, exportNotice, keptNotifications, mediaNotice, repeatWindowMs, usbBlockedNotice } from './notifier';

function rig() {
  let now = Date.parse('2026-11-26T09:00:00+09:00');
  const published: Notification[] = [];
  const notifier = createNotifier({ clock: { nowMs: () => now }, publish: (n) => published.push(n) });
  return { notifier, published, advance: (ms: number) => (now += ms) };
}

describe('notifier', () => {
  it('numbers notices, and every one fits the protocol schema', () => {
    const r = rig();
    r.notifier.notify(usbBlockedNotice({ port: '1-3', name: 'Cruzer Blade', vendorId: '0781', productId: '5567' }, '1-3', 'block'));
    r.notifier.notify(mediaNotice('/media/taro/USB', 'deny'));
    r.notifier.notify(exportNotice('/media/out/住民票.csv', 'quarantined'));
    expect(r.published.map((n) => [n.id, n.kind])).toEqual([
      [1, 'usb-blocked'],
      [2, 'media-denied'],
      [3, 'export-quarantined'],
    ]);
    for (const n of r.published) expect(notificationSchema.safeParse(n).success).toBe(true);
    expect(r.published[0]?.body.ja).toContain('Cruzer Blade (0781:5567)');
    expect(r.published[2]?.body.ja).toContain('住民票.csv');
  });

  it('does not repeat the same notice within the window, and does after it', () => {
    const r = rig();
    const notice = mediaNotice('/media/taro/USB', 'deny');
    expect(r.notifier.notify(notice)).not.toBeNull();
    r.advance(repeatWindowMs - 1);
    expect(r.notifier.notify(notice)).toBeNull();
    r.advance(1);
    expect(r.notifier.notify(notice)).not.toBeNull();
    expect(r.published).toHaveLength(2);
  });

  it('keeps the last ones for a tray that connects later', () => {
    const r = rig();
    for (let i = 0; i < keptNotifications + 5; i += 1) r.notifier.notify(exportNotice(`/media/f${i}`, 'deleted'));
    const recent = r.notifier.recent();
    expect(recent).toHaveLength(keptNotifications);
    expect(recent[0]?.id).toBe(6);
  });

  it('device names that are not printable, or very long, cannot break the text', () => {
    const notice = usbBlockedNotice({ port: '1-4', name: `evil\u001b[31m${'x'.repeat(500)}\udcff`, vendorId: 'dead', productId: 'beef' }, '1-4', 'reject');
    expect(notice.body.en).not.toMatch(/\u001b/);
    expect(notice.body.en.length).toBeLessThan(400);
    expect(notificationSchema.shape.body.safeParse(notice.body).success).toBe(true);
  });
});
