// FUSE media (issue #4 tests): exFAT through exfat-fuse over a loop device (type `fuseblk`) and FAT
// through fusefat on an image file (type `fuse.fusefat`), mounted under /media. fuseblk is judged
// by its device (a loop device that a sysfs fixture puts on USB → usb-storage) and remounts
// read-only (usb-and-media.md §7); fusefat has no device → other-fuse, and is denied by unmount.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decideMountClass, indexBlockDevices, parseMountinfo, type Mount } from '../../src/agent/mounts';
import { MountCommandControl, SysfsBlockFacts } from '../../src/agent/platform/linux';
import { usbBusPath, writeBlockTree } from '../helpers/block-sysfs-tree';
import { releaseMountPoint, runCommand } from '../helpers/loop-media';
import { needTools } from '../helpers/system-tools';
import { makeSysfsRoot } from '../helpers/sysfs-tree';

const isRoot = process.getuid?.() === 0;
if (!isRoot) {
  if (process.env.CI === 'true') throw new Error('CI=true: the FUSE mount test needs root (CI runs as root)');
  process.stderr.write('skipping: the FUSE mount test needs root\n');
}
const ready = isRoot && needTools('losetup', 'umount', 'mkfs.exfat', 'mount.exfat-fuse', 'mkfs.vfat', 'fusefat');

const run = runCommand;
const mountsNow = (): Mount[] => [...parseMountinfo(new Uint8Array(readFileSync('/proc/self/mountinfo'))).mounts];

describe.skipIf(!ready)('FUSE media', () => {
  let work: string;
  let mediaDir: string;
  let mountPoint: string;
  let loop: string | undefined;
  let sysfs: { root: string; cleanup(): void } | undefined;
  const control = new MountCommandControl();

  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'mng-fuse-'));
    mediaDir = `/media/mngtest-${randomBytes(4).toString('hex')}`;
    mountPoint = path.join(mediaDir, 'FUSE STICK 鈴木');
    mkdirSync(mountPoint, { recursive: true });
  });

  afterEach(() => {
    releaseMountPoint(mountPoint, loop);
    loop = undefined;
    rmSync(mediaDir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
    sysfs?.cleanup();
    sysfs = undefined;
  });

  it('exFAT (fuseblk) on a USB-marked loop device: usb-storage, and read-only holds', async () => {
    const image = path.join(work, 'ex.img');
    run('truncate', ['-s', '8M', image]);
    run('mkfs.exfat', [image]);
    loop = run('losetup', ['--find', '--show', image]);
    run('mount.exfat-fuse', [loop, mountPoint]);
    const mount = mountsNow().find((entry) => entry.mountPoint.text === mountPoint);
    expect(mount).toMatchObject({ fsType: 'fuseblk' });
    expect(mount?.source.text).toBe(loop);

    const name = path.basename(loop);
    sysfs = makeSysfsRoot('mng-fuse-sysfs-');
    writeBlockTree(sysfs.root, [{ name, busPath: usbBusPath('1-3'), dev: run('cat', [`/sys/class/block/${name}/dev`]), removable: true }]);
    const index = indexBlockDevices(await new SysfsBlockFacts({ sysfsRoot: sysfs.root }).listBlockDevices());
    expect(decideMountClass(mount as Mount, index, mountsNow())).toMatchObject({ mountClass: 'usb-storage', basis: 'usb-device', resolved: true });

    writeFileSync(path.join(mountPoint, 'before.txt'), 'before');
    expect(await control.remountReadOnly(new Uint8Array(Buffer.from(mountPoint)))).toEqual({ ok: true });
    expect(() => writeFileSync(path.join(mountPoint, 'after.txt'), 'x')).toThrow(expect.objectContaining({ code: 'EROFS' }));
  });

  it('FAT through fusefat: other-fuse, denied by unmount and seal', async () => {
    const image = path.join(work, 'fat.img');
    run('truncate', ['-s', '8M', image]);
    run('mkfs.vfat', ['-n', 'FATSTICK', image]);
    execFileSync('fusefat', ['-o', 'rw+', image, mountPoint], { stdio: 'ignore' });
    const mount = mountsNow().find((entry) => entry.mountPoint.text === mountPoint);
    expect(mount).toMatchObject({ fsType: 'fuse.fusefat' });
    expect(decideMountClass(mount as Mount, indexBlockDevices([]), mountsNow())).toMatchObject({ mountClass: 'other-fuse', basis: 'fuse', resolved: true });

    const bytes = new Uint8Array(Buffer.from(mountPoint));
    expect(await control.unmount(bytes)).toEqual({ ok: true });
    expect(await control.sealMountPoint(bytes)).toEqual({ ok: true });
    expect(() => writeFileSync(path.join(mountPoint, 'leak.txt'), 'x')).toThrow(expect.objectContaining({ code: 'EROFS' }));
  });
});
