// MountControl with util-linux mount(8)/umount(8) (issue #4 item 1; measured behaviour in
// usb-and-media.md §7). Paths are kernel bytes that may not be UTF-8, and Node passes process
// arguments only as UTF-8 strings, so every path goes through `sh` as octal escapes that
// `printf %b` turns back into the exact bytes.
import { execFile } from 'node:child_process';
import type { MountControl, MountStepResult } from '../../mounts/ports';

/** Options of {@link MountCommandControl}. */
export interface MountCommandControlOptions {
  /** How long one mount/umount may take (ms). Default 10,000. */
  readonly timeoutMs?: number;
}

/** `\0ooo` escapes for every byte, the form `printf %b` reads back (POSIX printf, dash and bash). */
export function octalEscape(bytes: Uint8Array): string {
  return [...bytes].map((byte) => `\\0${byte.toString(8).padStart(3, '0')}`).join('');
}

// `$1` = escaped path, rest = the command. The X keeps trailing newlines of the path that command
// substitution would strip.
const script = 'p=$(printf "%bX" "$1"); p=${p%X}; shift; exec "$@" "$p"';

// mount(8) exit status 32 = "mount failure"; umount prints "target is busy" for EBUSY.
const busyPattern = /busy/i;

/**
 * Runs mount(8)/umount(8). `unmount` is a plain unmount: it fails with `busy` while a process
 * holds a file there (the caller stops the holders first). `detachLazily` is `umount -l`, which
 * detaches the path at once so no new open can reach the medium, while processes that already
 * hold files there keep writing to it until they close them: a last resort only.
 * `sealMountPoint` mounts a read-only, size-limited empty tmpfs over the path.
 */
export class MountCommandControl implements MountControl {
  private readonly timeoutMs: number;

  constructor(options: MountCommandControlOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  private run(command: readonly string[], mountPoint: Uint8Array): Promise<MountStepResult> {
    return new Promise((resolve) => {
      execFile('sh', ['-c', script, 'sh', octalEscape(mountPoint), ...command], { timeout: this.timeoutMs, encoding: 'utf8' }, (error, _stdout, stderr) => {
        if (error === null) resolve({ ok: true });
        else resolve({ ok: false, busy: busyPattern.test(stderr), detail: `${command.join(' ')}: ${stderr.trim() || error.message}` });
      });
    });
  }

  remountReadOnly(mountPoint: Uint8Array): Promise<MountStepResult> {
    return this.run(['mount', '-o', 'remount,ro,nosuid,nodev,noexec', '--'], mountPoint);
  }

  unmount(mountPoint: Uint8Array): Promise<MountStepResult> {
    return this.run(['umount', '--'], mountPoint);
  }

  detachLazily(mountPoint: Uint8Array): Promise<MountStepResult> {
    return this.run(['umount', '-l', '--'], mountPoint);
  }

  sealMountPoint(mountPoint: Uint8Array): Promise<MountStepResult> {
    return this.run(['mount', '-t', 'tmpfs', '-o', 'ro,nosuid,nodev,noexec,size=4k,mode=0555', 'mng-sealed', '--'], mountPoint);
  }
}
