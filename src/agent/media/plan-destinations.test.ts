import { describe, expect, it } from 'vitest';
import type { MediaPolicy } from '../../shared/policy/schema';
import { makeBlockFacts, makeMount, type MountDecision, type MountState } from '../mounts';
import { destinationsSignature, planExportDestinations } from './plan-destinations';

const media = (overrides: Partial<MediaPolicy> = {}): MediaPolicy => ({
  implements: [],
  classes: { usbStorage: 'deny', optical: 'deny', networkFilesystem: 'deny', otherFuse: 'deny' },
  approvedVolumes: [],
  exportDestinations: [
    { path: '/media', action: 'quarantine' },
    { path: '/srv/outbox/', action: 'record' },
  ],
  automount: 'block',
  ...overrides,
});

function state(mountPoint: string, decision: Partial<MountDecision>, options = 'rw,relatime', usbSerial: string | null = 'SER-1'): MountState {
  const mount = makeMount({ mountPoint, fsType: 'ext4', source: '/dev/sdb1', options });
  return {
    mount,
    classification: { mountClass: 'usb-storage', basis: 'usb-device', resolved: true, usbPort: '1-3', device: makeBlockFacts('sdb1', { usbSerial }) },
    decision: { action: 'allow', reason: 'approved-volume', mountClass: 'usb-storage', approvedVolume: 'IT-001', ...decision },
    plan: { kind: 'none', why: 'allowed' },
    outcome: { state: 'not-needed' },
  };
}

const root = (): MountState => ({
  mount: makeMount({ id: 1, mountPoint: '/', fsType: 'ext4', source: '/dev/vda' }),
  classification: { mountClass: 'internal', basis: 'internal-device', resolved: true, usbPort: null, device: null },
  decision: { action: 'allow', reason: 'not-media', mountClass: 'internal', approvedVolume: null },
  plan: { kind: 'none', why: 'allowed' },
  outcome: { state: 'not-needed' },
});

describe('planExportDestinations', () => {
  it('watches the policy destinations with their actions, trailing slashes removed', () => {
    const planned = planExportDestinations({ media: media(), mounts: [root()], mode: 'enforce' });
    expect(planned.map((d) => [d.id, d.path, d.action, d.origin])).toEqual([
      ['policy:/media', '/media', 'quarantine', 'policy'],
      ['policy:/srv/outbox', '/srv/outbox', 'record', 'policy'],
    ]);
    expect(planned[0]?.volume.mountPoint).toBe('/');
  });

  it('monitor mode records only, keeping the planned action for the status', () => {
    const planned = planExportDestinations({ media: media(), mounts: [root()], mode: 'monitor' });
    expect(planned.map((d) => [d.action, d.policyAction])).toEqual([
      ['record', 'quarantine'],
      ['record', 'record'],
    ]);
  });

  it('adds an allowed, writable medium and carves it out of the destination above it', () => {
    const stick = state('/media/taro/STICK', {});
    const planned = planExportDestinations({ media: media(), mounts: [root(), stick], mode: 'enforce' });
    const byPath = new Map(planned.map((d) => [d.path, d]));
    expect(byPath.get('/media/taro/STICK')).toMatchObject({ action: 'record', origin: 'volume', id: 'volume:IT-001:/media/taro/STICK', volume: { mountPoint: '/media/taro/STICK', serial: 'SER-1' } });
    expect(byPath.get('/media')?.excludes).toEqual(['/media/taro/STICK']);
    expect(byPath.get('/srv/outbox')?.excludes).toEqual([]);
  });

  it('never watches denied, read-only, read-only-mounted or non-media mounts', () => {
    const mounts = [
      root(),
      state('/media/a', { action: 'deny', reason: 'class-default', approvedVolume: null }),
      state('/media/b', { action: 'read-only' }),
      state('/media/c', {}, 'ro,nosuid'),
    ];
    const planned = planExportDestinations({ media: media({ exportDestinations: [] }), mounts, mode: 'enforce' });
    expect(planned).toEqual([]);
  });

  it('without a policy nothing is watched but allowed mounts (there are none: everything is denied)', () => {
    expect(planExportDestinations({ media: null, mounts: [root()], mode: 'enforce' })).toEqual([]);
  });

  it('the first of two entries for one folder wins, as in the policy order', () => {
    const planned = planExportDestinations({
      media: media({ exportDestinations: [ { path: '/x', action: 'delete' }, { path: '/x/', action: 'record' } ] }),
      mounts: [root()],
      mode: 'enforce',
    });
    expect(planned.map((d) => d.action)).toEqual(['delete']);
  });

  it('the signature changes with the watched set and not otherwise', () => {
    const a = planExportDestinations({ media: media(), mounts: [root()], mode: 'enforce' });
    const b = planExportDestinations({ media: media(), mounts: [root()], mode: 'enforce' });
    const c = planExportDestinations({ media: media(), mounts: [root(), state('/media/s', {})], mode: 'enforce' });
    expect(destinationsSignature(a)).toBe(destinationsSignature(b));
    expect(destinationsSignature(c)).not.toBe(destinationsSignature(a));
  });
});
