import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { MediaPolicy } from '../../shared/policy/schema';
import { renderUdisksPolkitRule } from './udisks-polkit-rule';

const nowMs = Date.parse('2026-06-01T00:00:00Z');
const base: MediaPolicy = {
  implements: [],
  classes: { usbStorage: 'deny', optical: 'read-only', networkFilesystem: 'deny', otherFuse: 'deny' },
  approvedVolumes: [
    { name: 'USB-001', deviceSerial: 'SER1', filesystemUuid: 'ABCD-1234', action: 'allow', expires: '2026-12-31T00:00:00Z', reason: 'r' },
    { name: 'OLD', deviceSerial: 'SER9', action: 'allow', expires: '2026-01-01T00:00:00Z', reason: 'r' },
  ],
  exportDestinations: [],
  automount: 'allow',
};

/** Runs the rule as polkit would (its JavaScript sandbox has polkit.addRule and Result). */
function check(media: MediaPolicy, details: Record<string, string>, actionId = 'org.freedesktop.udisks2.filesystem-mount', atMs = nowMs): string {
  let rule: ((action: unknown, subject: unknown) => string) | undefined;
  const polkit = {
    Result: { NO: 'no', NOT_HANDLED: 'not-handled' },
    addRule: (fn: typeof rule) => {
      rule = fn;
    },
  };
  const FixedDate = { now: () => atMs };
  runInNewContext(renderUdisksPolkitRule(media, nowMs), { polkit, Date: FixedDate });
  if (rule === undefined) throw new Error('no rule added');
  return rule({ id: actionId, lookup: (key: string) => details[key] }, { user: 'tanaka' });
}

const usbStick = { 'drive.removable': 'true', 'drive.removable.bus': 'usb', 'drive.serial': 'OTHER', 'id.type': 'vfat', 'id.uuid': '1111-2222' };

describe('renderUdisksPolkitRule', () => {
  it.each([
    ['a USB stick of a denied class', usbStick, 'no'],
    ['the approved stick (serial and UUID, case-insensitive)', { ...usbStick, 'drive.serial': 'SER1', 'id.uuid': 'abcd-1234' }, 'not-handled'],
    ['the approved serial with another UUID', { ...usbStick, 'drive.serial': 'SER1' }, 'no'],
    ['an expired approval', { ...usbStick, 'drive.serial': 'SER9' }, 'no'],
    ['an SD card (falls back to usbStorage)', { ...usbStick, 'drive.removable.bus': 'sdio' }, 'no'],
    ['a CD when optical is read-only', { 'drive.removable': 'true', 'drive.removable.media': 'optical_cd', 'id.type': 'iso9660' }, 'not-handled'],
    ['an internal disk', { 'drive.removable': 'false', 'id.type': 'ext4' }, 'not-handled'],
  ])('%s', (_name, details, result) => {
    expect(check(base, details)).toBe(result);
  });

  it('automount block denies every removable drive except approved ones', () => {
    const blocked = { ...base, classes: { ...base.classes, usbStorage: 'allow' as const }, automount: 'block' as const };
    expect(check(blocked, { ...usbStick, 'drive.removable.bus': 'usb' })).toBe('no');
    expect(check(blocked, { 'drive.removable': 'true', 'drive.removable.media': 'optical_cd', 'id.type': 'iso9660' })).toBe('no');
    expect(check(blocked, { ...usbStick, 'drive.serial': 'SER1', 'id.uuid': 'ABCD-1234' })).toBe('not-handled');
  });

  it('an approval stops working at its expiry even if the rule file is not rewritten', () => {
    const approved = { ...usbStick, 'drive.serial': 'SER1', 'id.uuid': 'abcd-1234' };
    expect(check(base, approved, undefined, Date.parse('2026-12-31T00:00:00Z'))).toBe('no');
  });

  it('ignores other actions and covers unlock and loop setup', () => {
    expect(check(base, usbStick, 'org.freedesktop.udisks2.power-off-drive')).toBe('not-handled');
    expect(check(base, usbStick, 'org.freedesktop.udisks2.encrypted-unlock')).toBe('no');
    expect(check(base, { 'id.type': 'vfat' }, 'org.freedesktop.udisks2.loop-setup')).toBe('no');
  });

  it('classes allowed and automount allowed: nothing is denied', () => {
    const open: MediaPolicy = { ...base, classes: { usbStorage: 'allow', optical: 'allow', networkFilesystem: 'allow', otherFuse: 'allow' } };
    expect(check(open, usbStick)).toBe('not-handled');
  });
});
