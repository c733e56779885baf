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
  /**
   * A plain unmount (never lazy): when it succeeds the file system is flushed and detached. A
   * process holding a file there makes it fail with `busy`.
   */
  unmount(mountPoint: Uint8Array): Promise<MountStepResult>;
  /**
   * Last resort: a lazy unmount (`umount -l`) that detaches the path at once so no new open can
   * reach the medium. Processes that still hold files there keep writing to it: the caller must
   * report this as a failure.
   */
  detachLazily(mountPoint: Uint8Array): Promise<MountStepResult>;
  /** Mounts an empty read-only tmpfs over the path so writes there fail instead of reaching the disk below. */
  sealMountPoint(mountPoint: Uint8Array): Promise<MountStepResult>;
}

/**
 * How a process holds a mount: an open file (`write-fd` when opened for writing), its working
 * directory or root directory there, or a memory mapping of a file on the mount's device.
 */
export type MountHandleKind = 'write-fd' | 'read-fd' | 'cwd' | 'root' | 'map';

/** One way a process holds a mount, with the path as the kernel shows it (printable, see `MountPath.display`). */
export interface MountHandle {
  readonly kind: MountHandleKind;
  readonly path: string;
}

/** A process that holds a mount busy. */
export interface MountHolder {
  readonly pid: number;
  /**
   * Start time in clock ticks after boot (proc(5) `/proc/pid/stat` field 22). With the pid it
   * names one process: a pid reused by a later process has another start time.
   */
  readonly startTime: number;
  /** `comm` (the executable's name, at most 15 bytes), printable. */
  readonly comm: string;
  /** Real uid; null when unreadable. */
  readonly uid: number | null;
  /** Login name of `uid` from the passwd database; null when unknown. */
  readonly user: string | null;
  /** A kernel thread (PF_KTHREAD): never signalled. */
  readonly kernelThread: boolean;
  /** How it holds the mount (at least one entry; at most a few per kind, for the audit). */
  readonly handles: readonly MountHandle[];
}

/**
 * What happened to one process the agent stopped: `killed` (it exited after SIGKILL), `gone`
 * (it had exited, or its pid now names another process, before it was signalled), `survived`
 * (still alive when the wait ended, e.g. stuck in uninterruptible I/O), `failed` (could not be
 * signalled).
 */
export type HolderStopResult = 'killed' | 'gone' | 'survived' | 'failed';

/** The fate of one process the agent tried to stop. */
export interface HolderStop {
  readonly holder: MountHolder;
  readonly result: HolderStopResult;
  /** Why `failed` or `survived` (errno, last state); empty otherwise. */
  readonly detail: string;
}

/** What {@link MountHolders.terminate} reports for one batch. */
export interface HolderTermination {
  readonly stops: readonly HolderStop[];
  /** When every target was seen stopped (SIGSTOP) or gone, ms since the epoch (injected clock): from then on none of them wrote. */
  readonly frozenAtMs: number;
}

/**
 * Port: the processes that hold a mount, and stopping them (Linux: `/proc/<pid>/fd`, `fdinfo`,
 * `cwd`, `root`, `maps`; kill(2)). Holds no policy: who may be stopped is decided by
 * `decideHolderStops`.
 */
export interface MountHolders {
  /** This agent's own pid (never stopped). */
  readonly agentPid: number;
  /**
   * Every process holding `mount`: an open file whose mount id (fdinfo `mnt_id`) is the mount's
   * id, a cwd or root at or below the mount point, or a mapping of a file on the mount's device.
   * Processes that exit while being read are left out. Rejects only when the process table
   * cannot be listed at all.
   */
  findHolders(mount: Mount): Promise<MountHolder[]>;
  /**
   * Stops the targets so none of them writes again, then kills them: SIGSTOP to all, wait until
   * each is stopped, check each pid still names the same process (start time), SIGKILL, wait
   * until each has exited (a zombie has already closed its files). Never rejects for one process.
   */
  terminate(targets: readonly MountHolder[]): Promise<HolderTermination>;
}
