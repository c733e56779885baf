// FUSE media (issue #4 tests): exFAT through exfat-fuse over a loop device (type `fuseblk`) and FAT
// through fusefat on an image file (type `fuse.fusefat`), mounted under /media. fuseblk is judged
// by its device (a loop device that a sysfs fixture puts on USB → usb-storage) and remounts
// read-only (usb-and-media.md §7); fusefat has no device → other-fuse, and is denied by unmount.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createExportLedger, createLedgerStore, createPasswdUserDirectory, type ExportRecord } from '../../src/agent/exports';
import { decideMountClass, indexBlockDevices, parseMountinfo, type Mount } from '../../src/agent/mounts';
import { MountCommandControl, SysfsBlockFacts } from '../../src/agent/platform/linux';
import {
  createChokidarFileEventSource,
  createJsonlLedgerFile,
  createNodeFileDisposer,
  createNodeFileHasher,
  createPasswdFileSource,
} from '../../src/agent/platform/node';
import { systemClock } from '../../src/shared/clock';
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

  it.each(['exfat-fuse', 'fusefat'] as const)('allowed %s medium: every file written is in the ledger with its SHA-256 (inotify on FUSE)', async (kind) => {
    const image = path.join(work, 'allowed.img');
    run('truncate', ['-s', '16M', image]);
    if (kind === 'exfat-fuse') {
      run('mkfs.exfat', [image]);
      loop = run('losetup', ['--find', '--show', image]);
      run('mount.exfat-fuse', [loop, mountPoint]);
    } else {
      // No volume label: fusefat shows a label as a directory entry, which the ledger's first scan would record too.
      run('mkfs.vfat', [image]);
      execFileSync('fusefat', ['-o', 'rw+', image, mountPoint], { stdio: 'ignore' });
    }
    const records: ExportRecord[] = [];
    const ledger = createExportLedger({
      destinations: [{ id: `volume:test:${mountPoint}`, path: mountPoint, action: 'record', volume: { mountPoint } }],
      events: createChokidarFileEventSource(),
      hasher: createNodeFileHasher(),
      store: createLedgerStore(createJsonlLedgerFile(path.join(work, 'state'))),
      disposer: createNodeFileDisposer(path.join(work, 'quarantine')),
      users: createPasswdUserDirectory(createPasswdFileSource(), systemClock),
      audit: { append: () => Promise.resolve({ seq: 1, hash: '0'.repeat(64) }) },
      clock: systemClock,
      reportFault: (error) => {
        throw error;
      },
      rescanIntervalMs: 0,
      onRecord: (record) => records.push(record),
    });
    await ledger.start();
    try {
      const files = new Map<string, Buffer>();
      for (let i = 0; i < 20; i += 1) {
        const content = randomBytes(1000 + i * 517);
        // fusefat writes 8.3 names only; exFAT takes Unicode names.
        const file = path.join(mountPoint, kind === 'fusefat' ? `EXP${i}.BIN` : `住民データ-${i}.bin`);
        writeFileSync(file, content);
        files.set(file, content);
      }
      const started = Date.now();
      while (records.length < files.size && Date.now() - started < 15_000) await new Promise((resolve) => setTimeout(resolve, 20));
      await ledger.idle();
      expect(records.map((r) => r.path).sort()).toEqual([...files.keys()].sort());
      for (const record of records) {
        expect(record.sha256).toBe(createHash('sha256').update(files.get(record.path) as Buffer).digest('hex'));
        expect(record.outcome).toBe('recorded');
      }
    } finally {
      await ledger.stop();
    }
  });
});
