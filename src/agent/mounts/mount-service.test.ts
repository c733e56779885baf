import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../shared/clock';
import type { MediaPolicy } from '../../shared/policy/schema';
import type { AuditEventInput, AuditSink } from '../audit';
import { createMountEnforcer, type MountPolicySource } from './mount-service';
import type { BlockDeviceFacts, Mount, MountinfoRead, VolumeIdentity } from './model';
import type { MountControl, MountStepResult, MountTable, MountTableChange } from './ports';
import { makeBlockFacts, makeMount } from './test-mounts';

const usbStick = makeBlockFacts('sdb1', { major: 8, minor: 17, sysfsPath: '/devices/pci0000:00/0000:00:14.0/usb1/1-3/1-3:1.0/host6/block/sdb/sdb1', removable: true, usbSerial: 'SER1' });
const root = makeMount({ id: 1, dev: '254:1', mountPoint: '/', fsType: 'ext4', source: '/dev/vda1' });
const proc = makeMount({ id: 2, mountPoint: '/proc', fsType: 'proc', source: 'proc' });
const stick = makeMount({ id: 3, dev: '8:17', mountPoint: '/media/u/USB STICK', fsType: 'vfat', source: '/dev/sdb1' });
const internal = makeBlockFacts('vda1', { major: 254, minor: 1 });

const policy = (overrides: Partial<MediaPolicy> = {}): MediaPolicy => ({
  implements: [],
  classes: { usbStorage: 'deny', optical: 'deny', networkFilesystem: 'deny', otherFuse: 'deny' },
  approvedVolumes: [],
  exportDestinations: [],
  automount: 'block',
  ...overrides,
});

function rig(options: { mounts: Mount[]; media?: MediaPolicy | null; results?: Partial<Record<keyof MountControl, MountStepResult[]>>; identity?: VolumeIdentity }) {
  let table: MountinfoRead = { mounts: options.mounts, problems: [] };
  let onChange: ((change: MountTableChange) => void) | undefined;
  const calls: string[] = [];
  const events: AuditEventInput[] = [];
  const results = options.results ?? {};
  const step = (name: keyof MountControl) => async (point: Uint8Array): Promise<MountStepResult> => {
    calls.push(`${name} ${Buffer.from(point).toString()}`);
    return results[name]?.shift() ?? { ok: true };
  };
  const mountTable: MountTable = {
    read: async () => table,
    watch: async (listener) => {
      onChange = listener;
      return { stop: async () => undefined };
    },
  };
  const audit: AuditSink = {
    append: async (event) => {
      events.push(event);
      return { seq: events.length, hash: '0'.repeat(64) };
    },
  };
  const source: MountPolicySource = { current: () => (options.media === null ? null : { media: options.media ?? policy(), allowedShares: [] }) };
  const enforcer = createMountEnforcer({
    table: mountTable,
    blockFacts: { listBlockDevices: async (): Promise<BlockDeviceFacts[]> => [internal, usbStick] },
    identity: { readIdentity: async () => options.identity ?? { state: 'known', deviceSerial: 'SER1', filesystemUuid: 'ABCD-1234' } },
    control: { remountReadOnly: step('remountReadOnly'), unmount: step('unmount'), sealMountPoint: step('sealMountPoint') },
    audit,
    clock: createFixedClock(Date.parse('2026-06-01T00:00:00Z')),
    policy: source,
  });
  return {
    enforcer,
    calls,
    events,
    change(mounts: Mount[], added: Mount[]) {
      table = { mounts, problems: [] };
      onChange?.({ table, added, removed: [], changed: [], trigger: 'findmnt', atMs: 0 });
    },
  };
}

describe('createMountEnforcer', () => {
  it('denies a USB stick: unmounts, seals, audits; leaves internal mounts alone', async () => {
    const { enforcer, calls, events } = rig({ mounts: [root, proc, stick] });
    const states = await enforcer.evaluateAll();
    expect(calls).toEqual(['unmount /media/u/USB STICK', 'sealMountPoint /media/u/USB STICK']);
    expect(states.map((state) => state.decision.action)).toEqual(['allow', 'allow', 'deny']);
    expect(events).toMatchObject([{ type: 'media.deny', severity: 'notice', data: { mountClass: 'usb-storage', usbPort: '1-3', outcome: { state: 'applied', fellBack: false } } }]);
  });

  it('read-only with a busy writer falls back to deny', async () => {
    const { enforcer, calls, events } = rig({
      mounts: [stick],
      media: policy({ classes: { usbStorage: 'read-only', optical: 'deny', networkFilesystem: 'deny', otherFuse: 'deny' } }),
      results: { remountReadOnly: [{ ok: false, busy: true, detail: 'target is busy' }] },
    });
    const [state] = await enforcer.evaluateAll();
    expect(calls).toEqual(['remountReadOnly /media/u/USB STICK', 'unmount /media/u/USB STICK', 'sealMountPoint /media/u/USB STICK']);
    expect(state?.outcome).toEqual({ state: 'applied', steps: ['unmount', 'seal-mount-point'], fellBack: true });
    expect(events[0]?.type).toBe('media.read-only');
  });

  it('an approved volume is allowed and nothing is changed', async () => {
    const { enforcer, calls, events } = rig({
      mounts: [stick],
      media: policy({ approvedVolumes: [{ name: 'USB-001', deviceSerial: 'SER1', filesystemUuid: 'ABCD-1234', action: 'allow', expires: '2027-01-01T00:00:00Z', reason: 'r' }] }),
    });
    const [state] = await enforcer.evaluateAll();
    expect(state?.decision).toMatchObject({ action: 'allow', approvedVolume: 'USB-001' });
    expect(calls).toEqual([]);
    expect(events[0]).toMatchObject({ type: 'media.allow', severity: 'info' });
  });

  it('without a policy every medium is denied', async () => {
    const { enforcer } = rig({ mounts: [stick], media: null });
    expect((await enforcer.evaluateAll())[0]?.decision.action).toBe('deny');
  });

  it('a failed step (mount vanished) is audited as an alert, not thrown', async () => {
    const { enforcer, events } = rig({ mounts: [stick], results: { unmount: [{ ok: false, busy: false, detail: 'umount: not mounted' }] } });
    const [state] = await enforcer.evaluateAll();
    expect(state?.outcome).toEqual({ state: 'failed', step: 'unmount', detail: 'umount: not mounted' });
    expect(events[0]).toMatchObject({ type: 'media.enforcement-failed', severity: 'alert' });
  });

  it('follows the table: a new mount is judged, old ones are not judged again', async () => {
    const { enforcer, calls, events, change } = rig({ mounts: [root, proc] });
    await enforcer.start();
    expect(events).toEqual([]);
    change([root, proc, stick], [stick]);
    await expect.poll(() => calls).toEqual(['unmount /media/u/USB STICK', 'sealMountPoint /media/u/USB STICK']);
    expect(events).toHaveLength(1);
    expect(enforcer.states().map((state) => state.mount.id)).toEqual([1, 2, 3]);
    await enforcer.stop();
  });
});
