// MountCommandControl on real loop mounts (issue #4 tests): read-only → writes fail with EROFS;
// deny → unmounted, and a write to the mount point path fails; a writer holding a file open makes
// the remount and the plain unmount busy, which the caller sees and falls back on; the lazy detach
// (last resort) leaves that writer's file writable, which is why the service stops holders first
// (test/e2e/mount-writer-fallback.test.ts). Includes a mount point whose name is not UTF-8, which
// only reaches mount(8) intact through the octal escapes.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseMountinfo } from '../../src/agent/mounts';
import { MountCommandControl, octalEscape } from '../../src/agent/platform/linux';
import { runCommand } from '../helpers/loop-media';
import { needTools } from '../helpers/system-tools';

const isRoot = process.getuid?.() === 0;
if (!isRoot) {
  if (process.env.CI === 'true') throw new Error('CI=true: the mount enforcement test needs root (CI runs as root)');
  process.stderr.write('skipping: the mount enforcement test needs root\n');
}
const ready = isRoot && needTools('mkfs.ext4', 'losetup', 'mount', 'umount');

const run = runCommand;
/** Runs `command … <path bytes>` through sh, as the adapter does. */
const runOnPath = (bytes: Buffer, ...command: string[]): number => {
  try {
    execFileSync('sh', ['-c', 'p=$(printf "%bX" "$1"); p=${p%X}; shift; exec "$@" "$p"', 'sh', octalEscape(bytes), ...command], { stdio: 'ignore' });
    return 0;
  } catch (error) {
    return (error as { status?: number }).status ?? -1;
  }
};
const mountsAt = (bytes: Buffer) =>
  parseMountinfo(new Uint8Array(readFileSync('/proc/self/mountinfo'))).mounts.filter((mount) => Buffer.from(mount.mountPoint.bytes).equals(bytes));

describe.skipIf(!ready)('MountCommandControl on real loop mounts', () => {
  let work: string;
  let mediaDir: string;
  let point: Buffer;
  let loop: string | undefined;
  const control = new MountCommandControl();

  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'mng-enf-'));
    mediaDir = `/media/mngtest-${randomBytes(4).toString('hex')}`;
    // "USB STICK 山田" followed by a byte that is not UTF-8.
    point = Buffer.concat([Buffer.from(`${mediaDir}/USB STICK 山田`), Buffer.from([0xff])]);
    mkdirSync(point, { recursive: true });
    const image = path.join(work, 'usb.img');
    run('truncate', ['-s', '16M', image]);
    run('mkfs.ext4', ['-q', '-L', 'USBSTICK', image]);
    loop = run('losetup', ['--find', '--show', image]);
    expect(runOnPath(point, 'mount', loop)).toBe(0);
  });

  afterEach(() => {
    // Unmount whatever is stacked there (the medium, the seal), lazily if needed; detach; remove.
    for (let i = 0; i < 4 && mountsAt(point).length > 0; i += 1) {
      if (runOnPath(point, 'umount') !== 0) runOnPath(point, 'umount', '-l');
    }
    if (loop !== undefined) run('losetup', ['-d', loop]);
    loop = undefined;
    rmSync(mediaDir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  const file = (name: string): Buffer => Buffer.concat([point, Buffer.from(`/${name}`)]);

  it('read-only: remounts ro,nosuid,nodev,noexec and writes fail with EROFS', async () => {
    writeFileSync(file('before.txt'), 'before');
    expect(await control.remountReadOnly(new Uint8Array(point))).toEqual({ ok: true });
    expect(mountsAt(point).at(-1)?.options).toEqual(expect.arrayContaining(['ro', 'nosuid', 'nodev', 'noexec']));
    expect(() => writeFileSync(file('after.txt'), 'x')).toThrow(expect.objectContaining({ code: 'EROFS' }));
    expect(readFileSync(file('before.txt'), 'utf8')).toBe('before');
  });

  it('deny: unmounts, seals the path, and a later write to the path fails', async () => {
    expect(await control.unmount(new Uint8Array(point))).toEqual({ ok: true });
    expect(mountsAt(point)).toHaveLength(0);
    expect(await control.sealMountPoint(new Uint8Array(point))).toEqual({ ok: true });
    expect(mountsAt(point).map((mount) => mount.fsType)).toEqual(['tmpfs']);
    expect(() => writeFileSync(file('leak.txt'), 'x')).toThrow(expect.objectContaining({ code: 'EROFS' }));
    // Nothing landed in the directory underneath either.
    expect(runOnPath(point, 'umount')).toBe(0);
    expect(() => readFileSync(file('leak.txt'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('a writer holding a file open: remount and plain unmount report busy; only the lazy detach (last resort) gets it off the path', async () => {
    const fd = openSync(file('open.txt'), 'w');
    try {
      const remount = await control.remountReadOnly(new Uint8Array(point));
      expect(remount).toMatchObject({ ok: false, busy: true });
      expect(await control.unmount(new Uint8Array(point))).toMatchObject({ ok: false, busy: true });
      expect(mountsAt(point)).toHaveLength(1);
      expect(await control.detachLazily(new Uint8Array(point))).toEqual({ ok: true });
      expect(mountsAt(point)).toHaveLength(0);
      expect(await control.sealMountPoint(new Uint8Array(point))).toEqual({ ok: true });
      expect(() => writeFileSync(file('new.txt'), 'x')).toThrow(expect.objectContaining({ code: 'EROFS' }));
      // Why the lazy detach is only a last resort: the already-open descriptor still reaches the detached medium.
      expect(writeSync(fd, 'still open')).toBe(10);
    } finally {
      closeSync(fd);
    }
  });
});
