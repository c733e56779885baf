import { describe, expect, it } from 'vitest';
import type { MediaPolicy } from '../../shared/policy/schema';
import { approvalMatches, classDefaultAction, decideMount } from './decide-mount';
import type { MountClassification } from './decide-mount-class';
import type { MountClass, VolumeIdentity } from './model';
import { describeMountReason, describeMounts, formatMountRows } from './describe-mounts';
import { makeMount } from './test-mounts';

const nowMs = Date.parse('2026-06-01T00:00:00Z');

const policy: MediaPolicy = {
  implements: [],
  classes: { usbStorage: 'deny', optical: 'read-only', networkFilesystem: 'deny', otherFuse: 'deny' },
  approvedVolumes: [
    { name: 'USB-001', deviceSerial: 'SER1', filesystemUuid: 'ABCD-1234', action: 'allow', expires: '2026-12-31T00:00:00+09:00', reason: '申請 1' },
    { name: 'USB-002', filesystemUuid: '0b5e6f3c-1111-4222-8333-444455556666', action: 'read-only', expires: '2026-12-31T00:00:00+09:00', reason: '申請 2' },
    { name: 'USB-003', deviceSerial: 'SER3', action: 'allow', expires: '2026-05-01T00:00:00+09:00', reason: '申請 3' },
    { name: 'USB-004', action: 'allow', expires: '2027-01-01T00:00:00Z', reason: 'identifiers forgotten' },
  ],
  exportDestinations: [],
  automount: 'block',
};

const stick = makeMount({ dev: '8:17', mountPoint: '/media/u/USB STICK', fsType: 'vfat', source: '/dev/sdb1' });
const classified = (mountClass: MountClass, resolved = true): MountClassification => ({ mountClass, basis: 'usb-device', resolved, device: null, usbPort: null });
const known = (deviceSerial: string | null, filesystemUuid: string | null): VolumeIdentity => ({ state: 'known', deviceSerial, filesystemUuid });
const unknownIdentity: VolumeIdentity = { state: 'unknown', detail: 'blkid: device gone' };

const decide = (mountClass: MountClass, identity: VolumeIdentity, overrides: Partial<{ policy: MediaPolicy; resolved: boolean; nowMs: number; source: string; allowedShares: string[] }> = {}) =>
  decideMount({
    policy: overrides.policy ?? policy,
    allowedShares: overrides.allowedShares ?? [],
    mount: overrides.source === undefined ? stick : makeMount({ mountPoint: '/mnt/s', fsType: 'cifs', source: overrides.source }),
    classification: classified(mountClass, overrides.resolved ?? true),
    identity,
    nowMs: overrides.nowMs ?? nowMs,
  });

describe('decideMount', () => {
  it.each([
    ['serial and UUID both match', known('SER1', 'abcd-1234'), 'allow', 'approved-volume', 'USB-001'],
    ['serial matches, UUID differs', known('SER1', 'FFFF-0000'), 'deny', 'class-default', null],
    ['UUID matches, serial missing', known(null, 'ABCD-1234'), 'deny', 'class-default', null],
    ['UUID-only approval', known('whatever', '0B5E6F3C-1111-4222-8333-444455556666'), 'read-only', 'approved-volume', 'USB-002'],
    ['expired approval', known('SER3', null), 'deny', 'approval-expired', 'USB-003'],
    ['no identifiers at all', known(null, null), 'deny', 'class-default', null],
    ['identity unreadable', unknownIdentity, 'deny', 'identity-unknown', null],
  ] as const)('usb-storage: %s', (_name, identity, action, reason, approvedVolume) => {
    expect(decide('usb-storage', identity)).toEqual({ action, reason, mountClass: 'usb-storage', approvedVolume });
  });

  it('an approval holds only before its expiry', () => {
    const expiry = Date.parse('2026-12-31T00:00:00+09:00');
    expect(decide('usb-storage', known('SER1', 'ABCD-1234'), { nowMs: expiry - 1 }).action).toBe('allow');
    expect(decide('usb-storage', known('SER1', 'ABCD-1234'), { nowMs: expiry })).toMatchObject({ action: 'deny', reason: 'approval-expired' });
  });

  it('an approval without serial or UUID matches nothing', () => {
    const only = { ...policy, approvedVolumes: [policy.approvedVolumes[3] as MediaPolicy['approvedVolumes'][number]] };
    expect(approvalMatches(only.approvedVolumes[0] as MediaPolicy['approvedVolumes'][number], known('x', 'y'))).toBe(false);
    expect(decide('usb-storage', known('x', 'y'), { policy: only }).reason).toBe('class-default');
  });

  it('two approvals for one volume: the stricter holds', () => {
    const both: MediaPolicy = {
      ...policy,
      approvedVolumes: [
        { name: 'A', filesystemUuid: 'ABCD-1234', action: 'allow', expires: '2027-01-01T00:00:00Z', reason: 'a' },
        { name: 'B', deviceSerial: 'SER1', action: 'read-only', expires: '2027-01-01T00:00:00Z', reason: 'b' },
      ],
    };
    expect(decide('usb-storage', known('SER1', 'ABCD-1234'), { policy: both })).toMatchObject({ action: 'read-only', approvedVolume: 'B' });
  });

  it('denies an unresolved class whatever the policy says', () => {
    const open: MediaPolicy = { ...policy, classes: { usbStorage: 'allow', optical: 'allow', networkFilesystem: 'allow', otherFuse: 'allow' } };
    expect(decide('internal', known(null, null), { policy: open, resolved: false })).toMatchObject({ action: 'deny', reason: 'class-unresolved' });
  });

  it.each([
    ['internal', 'allow', 'not-media'],
    ['pseudo', 'allow', 'not-media'],
    ['optical', 'read-only', 'class-default'],
    ['other-fuse', 'deny', 'class-default'],
    ['sd-card', 'deny', 'class-default'],
  ] as const)('%s → %s (%s)', (mountClass, action, reason) => {
    expect(decide(mountClass, known(null, null))).toMatchObject({ action, reason });
  });

  it('an unreadable identity does not matter when the class is allowed anyway, or without approvals', () => {
    const open: MediaPolicy = { ...policy, classes: { ...policy.classes, usbStorage: 'allow' } };
    expect(decide('usb-storage', unknownIdentity, { policy: open })).toMatchObject({ action: 'allow', reason: 'class-default' });
    expect(decide('usb-storage', unknownIdentity, { policy: { ...policy, approvedVolumes: [] } })).toMatchObject({ action: 'deny', reason: 'class-default' });
  });

  it('sdCard falls back to usbStorage, and has its own setting when given', () => {
    expect(classDefaultAction(policy, 'sd-card')).toBe('deny');
    expect(classDefaultAction({ ...policy, classes: { ...policy.classes, sdCard: 'read-only' } }, 'sd-card')).toBe('read-only');
  });

  it.each([
    ['//fs01/share', 'allow', 'allowed-share'],
    ['//fs01/share/', 'allow', 'allowed-share'],
    ['\\\\fs01\\share', 'allow', 'allowed-share'],
    ['//fs01/other', 'deny', 'class-default'],
  ] as const)('network share %s', (source, action, reason) => {
    expect(decide('network-filesystem', known(null, null), { source, allowedShares: ['//fs01/share'] })).toMatchObject({ action, reason });
  });
});

describe('describeMounts', () => {
  const rows = describeMounts(
    [
      { mount: stick, classification: classified('usb-storage'), decision: decide('usb-storage', known('SER1', 'ABCD-1234')) },
      { mount: makeMount({ mountPoint: '/proc', fsType: 'proc', source: 'proc' }), classification: { ...classified('pseudo'), basis: 'pseudo-filesystem' }, decision: decide('pseudo', known(null, null)) },
      { mount: makeMount({ mountPoint: '/media/u/a\nb', fsType: 'vfat', source: '/dev/sdc1' }), classification: classified('usb-storage'), decision: decide('usb-storage', unknownIdentity) },
    ],
    'en',
  );

  it('gives codes and words for each row', () => {
    expect(rows[0]).toMatchObject({ mountPoint: '/media/u/USB STICK', action: 'allow', reason: 'approved-volume', reasonText: 'approved volume "USB-001"', classText: 'USB storage' });
    expect(rows[2]).toMatchObject({ mountPoint: '/media/u/a\\nb', action: 'deny', reasonText: 'volume identity could not be read; denied (fail closed)' });
  });

  it('prints media only, one line each, unless asked for all', () => {
    const text = formatMountRows(rows, 'en');
    expect(text.split('\n')).toHaveLength(3);
    expect(text).toContain('/media/u/a\\nb');
    expect(text).not.toContain('/proc');
    expect(formatMountRows(rows, 'en', true).split('\n')).toHaveLength(4);
    expect(formatMountRows([], 'ja')).toBe('対象の記録媒体はマウントされていません');
  });

  it('words every reason in both languages', () => {
    const reasons = ['not-media', 'class-default', 'approved-volume', 'approval-expired', 'allowed-share', 'class-unresolved', 'identity-unknown'] as const;
    for (const reason of reasons) {
      const text = describeMountReason({ action: 'deny', reason, mountClass: 'usb-storage', approvedVolume: 'X' });
      expect(text.ja).not.toBe('');
      expect(text.en).not.toBe('');
      expect(text.ja).not.toBe(text.en);
    }
    expect(formatMountRows(describeMounts([{ mount: stick, classification: classified('usb-storage'), decision: decide('usb-storage', known(null, null)) }], 'ja'), 'ja')).toContain('USB メモリ・外付けディスクの既定（ポリシー）');
  });
});
