/**
 * The mount model the agent decides on (issue #4 item 1). Built from `/proc/self/mountinfo`
 * (proc(5)) by the pure parser in mountinfo.ts; block-device facts come from sysfs through the
 * `BlockFactsSource` port. Paths are kernel bytes: a mount point may hold spaces, newlines and
 * bytes that are not UTF-8, so the exact bytes are kept next to a readable form.
 */
import type { MediaAction } from '../../shared/policy/schema';

export type { MediaAction };

/**
 * A path (or other escaped field) of a mountinfo line, after undoing the kernel's octal escapes.
 * `bytes` are authoritative (adapters act on them: Node accepts Buffer paths); `text` is the same
 * bytes decoded losslessly (UTF-8, other bytes as U+DC80+byte, see usb-string.ts); `display` is
 * one printable line for people and logs (`\n`, `\t`, `\\`, `\xHH` for controls and invalid bytes).
 */
export interface MountPath {
  readonly bytes: Uint8Array;
  readonly text: string;
  readonly display: string;
}

/** One line of mountinfo (proc(5) "/proc/pid/mountinfo"). */
export interface Mount {
  /** Unique mount id (may be reused after an unmount). */
  readonly id: number;
  readonly parentId: number;
  /** `st_dev` of files on this mount. For block file systems it is the device; FUSE and nodev file systems get an anonymous `0:N`. */
  readonly major: number;
  readonly minor: number;
  /** Root of the mount within its file system (`/` unless a bind mount of a subtree). */
  readonly root: MountPath;
  readonly mountPoint: MountPath;
  /** Per-mount options (`rw`, `nosuid`, `relatime`, …) in kernel order. */
  readonly options: readonly string[];
  /** Optional fields before the `-` separator (`shared:1`, `master:2`, …). */
  readonly optionalFields: readonly string[];
  /** File-system type with subtype (`ext4`, `fuse.sshfs`, `fuseblk`). */
  readonly fsType: string;
  /** Mount source (`/dev/sdb1`, `//server/share`, `server:/export`, `none`). */
  readonly source: MountPath;
  /** Per-superblock options (`rw`, `errors=remount-ro`, …). */
  readonly superOptions: readonly string[];
}

/** Why a mountinfo line could not be read; the line is skipped and reported. */
export type MountinfoProblemCode = 'too-few-fields' | 'no-separator' | 'bad-number' | 'bad-device-number' | 'fields-after-separator';

/** A malformed mountinfo line: reported to the caller, never thrown. */
export interface MountinfoProblem {
  /** 1-based line number. */
  readonly line: number;
  readonly code: MountinfoProblemCode;
  /** The line, printable (see `MountPath.display`), cut to 200 characters. */
  readonly excerpt: string;
}

/** What `parseMountinfo` returns: every readable mount, and every line it could not read. */
export interface MountinfoRead {
  readonly mounts: readonly Mount[];
  readonly problems: readonly MountinfoProblem[];
}

/**
 * Media classes. The first five map to policy `spec.media.classes`; `internal` (disks built into
 * the terminal, overlay) and `pseudo` (proc, sysfs, tmpfs, cgroup, …) are not policy-controlled.
 */
export type MountClass = 'usb-storage' | 'sd-card' | 'optical' | 'network-filesystem' | 'other-fuse' | 'internal' | 'pseudo';

/** All mount classes, in the order `mng media list` groups them. */
export const mountClasses: readonly MountClass[] = ['usb-storage', 'sd-card', 'optical', 'network-filesystem', 'other-fuse', 'internal', 'pseudo'];

/**
 * Facts about one block device (`<sysfs>/class/block/<name>`), as an adapter read them. Values that
 * could not be read are null, never guessed.
 */
export interface BlockDeviceFacts {
  /** Kernel name: `sdb1`, `loop0`, `mmcblk0p1`, `dm-0`, `sr0`. */
  readonly name: string;
  /** `dev` (`8:17`); null when unreadable. */
  readonly major: number | null;
  readonly minor: number | null;
  /**
   * Where the device directory really is, below the sysfs root with a leading slash, e.g.
   * `/devices/pci0000:00/0000:00:14.0/usb1/1-3/1-3:1.0/host0/target0:0:0/0:0:0:0/block/sdb/sdb1`.
   * The bus path in it tells USB and MMC apart. Null when the link could not be followed.
   */
  readonly sysfsPath: string | null;
  /** True for a partition (`partition` attribute present); its disk is `diskName`. */
  readonly isPartition: boolean;
  /** The whole disk: itself, or the parent directory's name for a partition. */
  readonly diskName: string;
  /** The disk's `removable` (1 → true); null when unreadable. */
  readonly removable: boolean | null;
  /** `ro` of the device; null when unreadable. */
  readonly readOnly: boolean | null;
  /** `size` in 512-byte sectors; null when unreadable. */
  readonly sizeSectors: number | null;
  /** For `loopN`: `loop/backing_file` (bytes decoded losslessly); null for other devices or when unattached. */
  readonly loopBackingFile: string | null;
  /** For device-mapper devices: `dm/name` (what `/dev/mapper/<name>` is called); null otherwise. */
  readonly dmName: string | null;
  /** Entries of `slaves/` (the devices a dm or md device is built on); empty when none. */
  readonly slaves: readonly string[];
  /** For MMC devices: `device/type` of the card (`SD`, `MMC`, `SDIO`); null otherwise. */
  readonly mmcType: string | null;
  /** For a device on USB: the USB device's `serial` (decoded losslessly); null when not on USB or absent. */
  readonly usbSerial: string | null;
}

/**
 * Identity of the volume behind a mount, for approved-volume matching. `unknown` means the source
 * could not be asked (tool missing, device gone): approvals cannot match, and the mount is denied
 * (fail closed). A field that is null in a `known` identity simply does not exist (a FAT volume
 * without serial, a USB device without serial).
 */
export type VolumeIdentity =
  | { readonly state: 'known'; readonly deviceSerial: string | null; readonly filesystemUuid: string | null }
  | { readonly state: 'unknown'; readonly detail: string };

/** Key that identifies one mount across re-reads: id plus mount point bytes (ids are reused). */
export function mountKey(mount: Mount): string {
  return `${mount.id}\u0000${mount.mountPoint.text}`;
}

/** Same mount, same state: nothing a decision depends on changed. */
function sameMountState(a: Mount, b: Mount): boolean {
  return (
    a.fsType === b.fsType &&
    a.source.text === b.source.text &&
    a.major === b.major &&
    a.minor === b.minor &&
    a.options.join(',') === b.options.join(',') &&
    a.superOptions.join(',') === b.superOptions.join(',')
  );
}

/** What differs between two reads of the table (pure; order follows the later read, then the earlier). */
export function diffMounts(
  before: readonly Mount[],
  after: readonly Mount[],
): { readonly added: Mount[]; readonly removed: Mount[]; readonly changed: Mount[] } {
  const previous = new Map(before.map((mount) => [mountKey(mount), mount]));
  const current = new Set<string>();
  const added: Mount[] = [];
  const changed: Mount[] = [];
  for (const mount of after) {
    const key = mountKey(mount);
    current.add(key);
    const old = previous.get(key);
    if (old === undefined) added.push(mount);
    else if (!sameMountState(old, mount)) changed.push(mount);
  }
  const removed = before.filter((mount) => !current.has(mountKey(mount)));
  return { added, removed, changed };
}
