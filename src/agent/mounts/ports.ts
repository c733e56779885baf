import type { BlockDeviceFacts, Mount, MountinfoRead, VolumeIdentity } from './model';

/** One re-read of the mount table after a trigger, with what changed since the previous read. */
export interface MountTableChange {
  /** The whole table as now read. */
  readonly table: MountinfoRead;
  /** Mounts present now and not before (by mount id and mount point bytes). */
  readonly added: readonly Mount[];
  /** Mounts present before and not now. */
  readonly removed: readonly Mount[];
  /** Same mount, different options, source or type (a remount). */
  readonly changed: readonly Mount[];
  /** What caused the re-read: `findmnt` (an event from the watcher) or `periodic`. */
  readonly trigger: 'findmnt' | 'periodic';
  /** When the re-read finished (ms since the epoch, injected clock). */
  readonly atMs: number;
}

/** A running watch; `stop()` ends the watcher process and timers. */
export interface MountWatch {
  stop(): Promise<void>;
}

/**
 * Port: the mount table. Reads it and reports changes; holds no policy. Implemented by
 * MountinfoMountTable (platform/linux, any proc root).
 */
export interface MountTable {
  /** The current table. Rejects only when the table file cannot be read at all. */
  read(): Promise<MountinfoRead>;
  /**
   * Calls `onChange` after every re-read that found a difference, and `onError` for faults that do
   * not stop the watch (watcher died, a re-read failed). Resolves once watching has begun; the
   * table read at that moment is the baseline (not reported as added).
   */
  watch(onChange: (change: MountTableChange) => void, onError: (error: Error) => void): Promise<MountWatch>;
}

/**
 * Port: block-device facts (Linux: `<sysfs>/class/block`). Devices that cannot be read appear with
 * null fields; a device missing from the result does not exist (any more).
 */
export interface BlockFactsSource {
  listBlockDevices(): Promise<BlockDeviceFacts[]>;
}

/**
 * Port: the identity of the volume on a block device (`/dev/sdb1`): file-system UUID and device
 * serial. Linux: `blkid -o export` and udev data. Returns `unknown` rather than throwing.
 */
export interface VolumeIdentitySource {
  readIdentity(device: BlockDeviceFacts): Promise<VolumeIdentity>;
}

/** Port: the pure mountinfo parser (the mounts module's `parseMountinfo`), handed to table adapters by the composition root. */
export type MountinfoParser = (input: Uint8Array) => MountinfoRead;

/** How one enforcement step ended. `busy`: a process holds the file system (EBUSY), the caller may fall back. */
export type MountStepResult = { readonly ok: true } | { readonly ok: false; readonly busy: boolean; readonly detail: string };

/**
 * Port: changes to mounts (Linux: mount(8)/umount(8)). Paths are the kernel's bytes. Expected
 * failures (busy, gone) are results, not exceptions.
 */
export interface MountControl {
  /** `mount -o remount,ro,nosuid,nodev,noexec <mountPoint>`. */
  remountReadOnly(mountPoint: Uint8Array): Promise<MountStepResult>;
  /** Unmounts; when busy, detaches lazily (`umount -l`) so no new file can be opened there. */
  unmount(mountPoint: Uint8Array): Promise<MountStepResult>;
  /** Mounts an empty read-only tmpfs over the path so writes there fail instead of reaching the disk below. */
  sealMountPoint(mountPoint: Uint8Array): Promise<MountStepResult>;
}
