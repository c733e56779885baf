// The real thing (issue #4 tests): an ext4 image on a loop device, mounted under /media at a path
// with a space and Japanese characters. MountinfoMountTable must see the exact path, the findmnt
// watcher must report the mount and the unmount within a bounded time, a fixture sysfs tree that
// puts the real loop device under a USB port makes it usb-storage, and blkid reads its UUID.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/shared/clock';
import { createMountEnforcer, decideMountClass, indexBlockDevices, parseMountinfo, type MountinfoRead, type MountTable, type MountTableChange } from '../../src/agent/mounts';
import type { AuditEventInput } from '../../src/agent/audit';
import { BlkidVolumeIdentity, MountCommandControl, MountinfoMountTable, ProcMountHolders, SysfsBlockFacts } from '../../src/agent/platform/linux';
import { usbBusPath, writeBlockTree } from '../helpers/block-sysfs-tree';
import { releaseMountPoint, runCommand } from '../helpers/loop-media';
import { needTools } from '../helpers/system-tools';
import { makeSysfsRoot } from '../helpers/sysfs-tree';

const isRoot = process.getuid?.() === 0;
if (!isRoot) {
  if (process.env.CI === 'true') throw new Error('CI=true: the loop-mount test needs root (CI runs as root)');
  process.stderr.write('skipping: the loop-mount test needs root\n');
}
const ready = isRoot && needTools('mkfs.ext4', 'losetup', 'findmnt', 'stdbuf', 'mount', 'umount', 'blkid');

const run = runCommand;

const boundMs = 2_000;
const waitFor = async (condition: () => boolean, timeoutMs = boundMs): Promise<number> => {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`not seen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return Date.now() - start;
};

describe.skipIf(!ready)('MountinfoMountTable on a real loop mount', () => {
  let work: string;
  let mediaDir: string;
  let mountPoint: string;
  let loop: string | undefined;
  let sysfs: { root: string; cleanup(): void } | undefined;

  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'mng-loop-'));
    mediaDir = `/media/mngtest-${randomBytes(4).toString('hex')}`;
    mountPoint = path.join(mediaDir, 'USB STICK 山田');
    mkdirSync(mountPoint, { recursive: true });
    const image = path.join(work, 'usb.img');
    run('truncate', ['-s', '16M', image]);
    run('mkfs.ext4', ['-q', '-L', 'USBSTICK', image]);
    loop = run('losetup', ['--find', '--show', image]);
  });

  afterEach(() => {
    releaseMountPoint(mountPoint, loop);
    loop = undefined;
    rmSync(mediaDir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
    sysfs?.cleanup();
    sysfs = undefined;
  });

  it('sees the exact path, reports mount and unmount in time, and classifies the medium', async () => {
    const device = loop as string;
    const mountTable = new MountinfoMountTable({ parse: parseMountinfo, clock: systemClock, periodicIntervalMs: 60_000 });
    const changes: MountTableChange[] = [];
    const errors: Error[] = [];
    const watch = await mountTable.watch((change) => changes.push(change), (error) => errors.push(error));
    try {
      // Let findmnt take its first look at the table (the watch's own catch-up re-read covers the gap too).
      await new Promise((resolve) => setTimeout(resolve, 300));
      run('mount', [device, mountPoint]);
      const expected = Buffer.from(mountPoint);
      const isOurs = (bytes: Uint8Array): boolean => Buffer.from(bytes).equals(expected);
      const addedMs = await waitFor(() => changes.some((change) => change.added.some((mount) => isOurs(mount.mountPoint.bytes))));
      expect(addedMs).toBeLessThan(boundMs);
      const added = changes.flatMap((change) => change.added).find((mount) => isOurs(mount.mountPoint.bytes));
      expect(added).toMatchObject({ fsType: 'ext4', major: 7 });
      expect(added?.mountPoint.text).toBe(mountPoint);
      expect(added?.source.text).toBe(device);

      const table = await mountTable.read();
      expect(table.mounts.filter((mount) => isOurs(mount.mountPoint.bytes))).toHaveLength(1);

      // A sysfs fixture that says this loop device is a removable USB disk (issue #4 tests).
      sysfs = makeSysfsRoot('mng-loop-sysfs-');
      const name = path.basename(device);
      writeBlockTree(sysfs.root, [{ name, busPath: usbBusPath('1-3'), dev: `${added?.major}:${added?.minor}`, removable: true, usbSerial: 'MNGTEST01' }]);
      const facts = await new SysfsBlockFacts({ sysfsRoot: sysfs.root }).listBlockDevices();
      const classification = decideMountClass(added!, indexBlockDevices(facts), table.mounts);
      expect(classification).toMatchObject({ mountClass: 'usb-storage', basis: 'usb-device', resolved: true, usbPort: '1-3' });

      const identity = await new BlkidVolumeIdentity().readIdentity(classification.device!);
      expect(identity).toEqual({ state: 'known', deviceSerial: 'MNGTEST01', filesystemUuid: run('blkid', ['-p', '-s', 'UUID', '-o', 'value', device]) });

      run('umount', [mountPoint]);
      const removedMs = await waitFor(() => changes.some((change) => change.removed.some((mount) => isOurs(mount.mountPoint.bytes))));
      expect(removedMs).toBeLessThan(boundMs);
      expect(changes.every((change) => change.trigger === 'findmnt')).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await watch.stop();
    }
  });

  it('end to end: a USB-classified medium that appears is denied, unmounted and sealed', async () => {
    const device = loop as string;
    const name = path.basename(device);
    const [major, minor] = run('cat', [`/sys/class/block/${name}/dev`]).split(':');
    sysfs = makeSysfsRoot('mng-loop-sysfs-');
    writeBlockTree(sysfs.root, [{ name, busPath: usbBusPath('1-3'), dev: `${major}:${minor}`, removable: true, usbSerial: 'MNGTEST01' }]);
    // Only this test's mount point is shown to the enforcer: the machine's other mounts (other
    // tests' media, the root disk absent from the fixture tree) must never be acted on here.
    const real = new MountinfoMountTable({ parse: parseMountinfo, clock: systemClock, periodicIntervalMs: 60_000 });
    const ours = (read: MountinfoRead): MountinfoRead => ({ mounts: read.mounts.filter((mount) => mount.mountPoint.text === mountPoint), problems: [] });
    const table: MountTable = {
      read: async () => ours(await real.read()),
      watch: (onChange, onError) =>
        real.watch((change) => {
          const keep = (mounts: typeof change.added) => mounts.filter((mount) => mount.mountPoint.text === mountPoint);
          onChange({ ...change, table: ours(change.table), added: keep(change.added), removed: keep(change.removed), changed: keep(change.changed) });
        }, onError),
    };
    const events: AuditEventInput[] = [];
    const enforcer = createMountEnforcer({
      table,
      blockFacts: new SysfsBlockFacts({ sysfsRoot: sysfs.root }),
      identity: new BlkidVolumeIdentity(),
      control: new MountCommandControl(),
      holders: new ProcMountHolders(),
      audit: { append: async (event) => (events.push(event), { seq: events.length, hash: '0'.repeat(64) }) },
      clock: systemClock,
      policy: {
        current: () => ({
          media: { implements: [], classes: { usbStorage: 'deny', optical: 'deny', networkFilesystem: 'deny', otherFuse: 'deny' }, approvedVolumes: [], exportDestinations: [], automount: 'block' },
          allowedShares: [],
        }),
      },
    });
    await enforcer.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      run('mount', [device, mountPoint]);
      const deniedMs = await waitFor(() => events.some((event) => event.type === 'media.deny'));
      expect(deniedMs).toBeLessThan(boundMs);
      expect(events.find((event) => event.type === 'media.deny')?.data).toMatchObject({ mountClass: 'usb-storage', outcome: { state: 'applied' } });
      // The medium is gone; the sealed path refuses writes, so nothing lands on the disk below.
      const here = parseMountinfo(new Uint8Array(readFileSync('/proc/self/mountinfo'))).mounts.filter((mount) => mount.mountPoint.text === mountPoint);
      expect(here.map((mount) => mount.fsType)).toEqual(['tmpfs']);
      expect(() => writeFileSync(path.join(mountPoint, 'leak.txt'), 'x')).toThrow(expect.objectContaining({ code: 'EROFS' }));
    } finally {
      await enforcer.stop();
    }
  });
});
