// The real-kernel test machine's disk, built by test/vm/image/build-image.sh and cached under
// .tmp/vm/ (docs/testing.md). Two cache levels:
//   rootfs-<key>/   the debootstrap tree; key = the package list and the Debian suite (~80 s to build)
//   root-<key>.img  the bootable disk; key = the build script, the guest files and the kernel (~15 s)
// A clean clone (CI) builds both; a developer's later runs reuse them. Older entries are removed
// when a new one is built, so the cache holds one of each.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../helpers/mng';

export const vmCacheDir = path.join(repoRoot, '.tmp', 'vm');
const imageDir = path.join(repoRoot, 'test', 'vm', 'image');
const buildScript = path.join(imageDir, 'build-image.sh');

/** The kernel the guest boots: the host's Debian kernel with its initrd and modules. */
export interface VmKernel {
  readonly version: string;
  readonly vmlinuz: string;
  /** The rig's small initrd for this kernel (virtio disk and ext4 only). */
  readonly initrd: string;
}

export interface VmImage {
  readonly kernel: VmKernel;
  /** The disk (raw ext4); guests boot it with snapshot=on, so it is never changed. */
  readonly disk: string;
  /** How long building took this time (0 when the cache was used), in ms. */
  readonly buildMs: { readonly rootfs: number; readonly image: number };
}

/** Compares Debian kernel versions (`6.1.0-57-amd64`) by their numeric parts. */
function compareKernelVersions(a: string, b: string): number {
  const parts = (version: string): number[] => version.split(/[^0-9]+/).filter((part) => part !== '').map(Number);
  const left = parts(a);
  const right = parts(b);
  for (let i = 0; i < Math.max(left.length, right.length); i += 1) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** The newest kernel in /boot that has an initrd and modules (Debian's `linux-image-amd64`). */
export function findVmKernel(): VmKernel | undefined {
  if (!existsSync('/boot')) return undefined;
  const versions = readdirSync('/boot')
    .filter((name) => name.startsWith('vmlinuz-'))
    .map((name) => name.slice('vmlinuz-'.length))
    .filter((version) => existsSync(`/boot/initrd.img-${version}`) && existsSync(`/lib/modules/${version}/modules.dep`))
    .sort(compareKernelVersions);
  const version = versions.at(-1);
  return version === undefined ? undefined : { version, vmlinuz: `/boot/vmlinuz-${version}`, initrd: path.join(vmCacheDir, `initrd-${version}.img`) };
}

function sha256(parts: readonly (string | Buffer)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex').slice(0, 16);
}

/** The package list block of the build script: what the rootfs depends on. */
function rootfsKey(): string {
  const script = readFileSync(buildScript, 'utf8');
  const block = /packages=\(([\s\S]*?)\n\)/.exec(script)?.[1] ?? script;
  const osRelease = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  const codename = /^VERSION_CODENAME=(.*)$/m.exec(osRelease)?.[1] ?? '';
  return sha256([block.replace(/#.*$/gm, '').replace(/\s+/g, ' ').trim(), codename]);
}

function guestFiles(): string[] {
  const dir = path.join(imageDir, 'guest');
  return readdirSync(dir)
    .filter((name) => statSync(path.join(dir, name)).isFile())
    .sort()
    .map((name) => path.join(dir, name));
}

function imageKey(rootfs: string, kernel: VmKernel): string {
  return sha256([rootfs, kernel.version, statSync(kernel.vmlinuz).mtimeMs.toString(), readFileSync(buildScript), ...guestFiles().flatMap((file) => [path.basename(file), readFileSync(file)])]);
}

function run(args: readonly string[], what: string): number {
  const started = Date.now();
  const result = spawnSync(buildScript, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 20 * 60_000 });
  if (result.status !== 0) {
    const tail = `${result.stdout ?? ''}${result.stderr ?? ''}`.split('\n').slice(-40).join('\n');
    throw new Error(`VM image: ${what} failed (${result.status ?? result.signal ?? result.error?.message}):\n${tail}`);
  }
  return Date.now() - started;
}

/** Holds .tmp/vm/.lock while building, so two runs never build the same entry at once. */
function withLock<T>(task: () => T): T {
  const lockPath = path.join(vmCacheDir, '.lock');
  const deadline = Date.now() + 30 * 60_000;
  for (;;) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch {
      const holder = Number(readFileSync(lockPath, 'utf8'));
      let alive = false;
      try {
        process.kill(holder, 0);
        alive = Number.isInteger(holder) && holder > 0;
      } catch {
        alive = false;
      }
      if (!alive) rmSync(lockPath, { force: true });
      else if (Date.now() > deadline) throw new Error(`VM image: ${lockPath} is held by pid ${holder} for 30 minutes`);
      else spawnSync('sleep', ['1']);
    }
  }
  try {
    return task();
  } finally {
    rmSync(lockPath, { force: true });
  }
}

function removeOthers(prefix: string, keep: string): void {
  for (const name of readdirSync(vmCacheDir)) {
    if (name.startsWith(prefix) && name !== keep) rmSync(path.join(vmCacheDir, name), { recursive: true, force: true });
  }
}

/** Builds what is missing and returns the disk to boot. Throws with the build's output on failure. */
export function ensureVmImage(): VmImage {
  const kernel = findVmKernel();
  if (kernel === undefined) throw new Error('VM image: no kernel in /boot with an initrd and modules (apt-get install linux-image-amd64)');
  mkdirSync(vmCacheDir, { recursive: true });
  return withLock(() => {
    const rootfsName = `rootfs-${rootfsKey()}`;
    const rootfs = path.join(vmCacheDir, rootfsName);
    let rootfsMs = 0;
    if (!existsSync(path.join(rootfs, '.complete'))) {
      rootfsMs = run(['rootfs', rootfs], 'debootstrap of the guest root file system');
      writeMarkerFile(path.join(rootfs, '.complete'), new Date().toISOString());
      removeOthers('rootfs-', rootfsName);
    }
    const diskName = `root-${imageKey(rootfsName, kernel)}.img`;
    const disk = path.join(vmCacheDir, diskName);
    let imageMs = 0;
    if (!existsSync(disk)) {
      imageMs = run(['image', rootfs, disk, kernel.version], 'assembling the guest disk');
      removeOthers('root-', diskName);
    }
    if (!existsSync(kernel.initrd)) {
      imageMs += run(['initrd', kernel.version, kernel.initrd], 'making the small initrd');
      removeOthers('initrd-', path.basename(kernel.initrd));
    }
    return { kernel, disk, buildMs: { rootfs: rootfsMs, image: imageMs } };
  });
}

function writeMarkerFile(file: string, text: string): void {
  const fd = openSync(file, 'w');
  writeSync(fd, text);
  closeSync(fd);
}
