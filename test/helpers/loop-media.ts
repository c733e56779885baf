// Shared clean-up for tests that mount real media (loop devices, FUSE) under /media: always leave
// the machine as it was (dev-environment.md §4).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseMountinfo } from '../../src/agent/mounts';

/** Runs a command, returns its trimmed stdout; throws on a non-zero exit. */
export function runCommand(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/**
 * Unmounts whatever is stacked on `mountPoint` (the medium, an enforcement seal), lazily when a
 * plain unmount fails, then detaches `loop` when given.
 */
export function releaseMountPoint(mountPoint: string, loop: string | undefined): void {
  const stacked = (): boolean =>
    parseMountinfo(new Uint8Array(readFileSync('/proc/self/mountinfo'))).mounts.some((mount) => mount.mountPoint.text === mountPoint);
  for (let i = 0; i < 4 && stacked(); i += 1) {
    try {
      runCommand('umount', [mountPoint]);
    } catch (_error) {
      runCommand('umount', ['-l', mountPoint]);
    }
  }
  if (loop !== undefined) runCommand('losetup', ['-d', loop]);
}
