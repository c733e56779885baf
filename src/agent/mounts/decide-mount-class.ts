/**
 * Which media class a mount belongs to (issue #4 item 1), from the mount, the block devices the
 * adapter read from sysfs, and the rest of the mount table (for loop devices). Pure.
 *
 * Order of the rules, first match wins:
 *  1. file-system type: pseudo (proc, sysfs, tmpfs, cgroup…) → `pseudo`; network (cifs, nfs,
 *     sshfs, rclone, davfs…) → `network-filesystem`; `iso9660`/`udf` → `optical`; overlay → `internal`.
 *  2. the block device behind it (by source `/dev/<name>`, `/dev/mapper/<dm name>`, or by
 *     `major:minor`), judged by its sysfs path and attributes:
 *     `sr*` → optical; a path through a USB device (`…/usb1/1-3/…`) → usb-storage; an MMC card of
 *     type SD → sd-card (eMMC, `MMC`, → internal); `removable=1` elsewhere → usb-storage (external
 *     disk); a loop device → the class of the mount its backing file lives on (internal when
 *     unattached or not found); device mapper → the most external of its slaves; else internal.
 *  3. FUSE (`fuse`, `fuse.*`, `fuseblk` without a known device) → `other-fuse`.
 *  4. anything else: `internal`, but marked unresolved, so the decision denies it (fail closed).
 *
 * A card reader on USB presents SD cards as `sdX` under the USB device: that is usb-storage.
 *
 * Tests mark a loop-backed medium as a USB stick with a fixture sysfs tree in which
 * `class/block/loop0` links to `…/usb1/1-3/1-3:1.0/host0/…/block/loop0` with `removable` 1
 * (test/helpers/block-sysfs-tree.ts): rule 2 then sees a USB path before the loop rule.
 */
import type { BlockDeviceFacts, Mount, MountClass } from './model';

/** Why a mount got its class (stable codes, for audit and `mng media list`). */
export type MountClassBasis =
  | 'pseudo-filesystem'
  | 'network-filesystem'
  | 'optical-filesystem'
  | 'overlay'
  | 'optical-device'
  | 'usb-device'
  | 'sd-card'
  | 'emmc'
  | 'removable-device'
  | 'loop-backing-file'
  | 'loop-unattached'
  | 'device-mapper'
  | 'internal-device'
  | 'fuse'
  | 'device-unresolved';

/** The class of one mount and what it rests on. */
export interface MountClassification {
  readonly mountClass: MountClass;
  readonly basis: MountClassBasis;
  /**
   * False when the class could not be established (a block-backed or unknown file system whose
   * device is not in sysfs, a loop chain too deep): the decision then denies (fail closed).
   */
  readonly resolved: boolean;
  /** The block device the mount sits on, when found. */
  readonly device: BlockDeviceFacts | null;
  /** The USB port (`1-3`) the device hangs off, when it is on USB (possibly through loop/dm). */
  readonly usbPort: string | null;
}

/** Block devices by the keys mounts refer to them with. */
export interface BlockFactsIndex {
  readonly byName: ReadonlyMap<string, BlockDeviceFacts>;
  /** Key `major:minor`. */
  readonly byDevNumber: ReadonlyMap<string, BlockDeviceFacts>;
  readonly byDmName: ReadonlyMap<string, BlockDeviceFacts>;
}

/** Indexes devices as read by a `BlockFactsSource`. */
export function indexBlockDevices(devices: readonly BlockDeviceFacts[]): BlockFactsIndex {
  const byName = new Map<string, BlockDeviceFacts>();
  const byDevNumber = new Map<string, BlockDeviceFacts>();
  const byDmName = new Map<string, BlockDeviceFacts>();
  for (const device of devices) {
    byName.set(device.name, device);
    if (device.major !== null && device.minor !== null) byDevNumber.set(`${device.major}:${device.minor}`, device);
    if (device.dmName !== null) byDmName.set(device.dmName, device);
  }
  return { byName, byDevNumber, byDmName };
}

/** File systems without storage of their own (proc(5), kernel Documentation/filesystems). */
export const pseudoFsTypes: ReadonlySet<string> = new Set([
  'proc', 'sysfs', 'tmpfs', 'devtmpfs', 'devpts', 'ramfs', 'rootfs', 'cgroup', 'cgroup2', 'securityfs', 'debugfs', 'tracefs',
  'configfs', 'fusectl', 'pstore', 'bpf', 'mqueue', 'hugetlbfs', 'autofs', 'binfmt_misc', 'efivarfs', 'rpc_pipefs', 'nsfs',
  'selinuxfs', 'nfsd', 'binder', 'functionfs', 'sockfs', 'pipefs', 'anon_inodefs',
]);

/**
 * Network file systems, kernel and FUSE. `fuse.gvfsd-fuse` is GNOME's bridge for smb://, sftp://
 * and MTP alike: it is treated as network, the stricter reading for a zone that must not leak.
 */
export const networkFsTypes: ReadonlySet<string> = new Set([
  'cifs', 'smb3', 'smbfs', 'nfs', 'nfs4', 'ceph', 'glusterfs', 'afs', 'ncpfs', 'coda', '9p', 'lustre', 'davfs', 'orangefs',
  'fuse.sshfs', 'sshfs', 'fuse.rclone', 'fuse.davfs', 'fuse.s3fs', 'fuse.gcsfuse', 'fuse.goofys', 'fuse.smbnetfs', 'fuse.curlftpfs',
  'fuse.glusterfs', 'fuse.cephfs', 'fuse.ceph-fuse', 'fuse.gvfsd-fuse', 'fuse.onedriver', 'fuse.blobfuse', 'fuse.blobfuse2',
]);

/** File systems of optical discs. */
export const opticalFsTypes: ReadonlySet<string> = new Set(['iso9660', 'udf']);

const maxDepth = 8;
const usbPortSegment = /^[1-9][0-9]{0,2}-[1-9][0-9]{0,2}(?:\.[1-9][0-9]{0,2}){0,6}$/;

/** The USB device (`1-3`, `1-3.2`) in a sysfs device path, the deepest one; null when not on USB. */
export function usbPortOfSysfsPath(sysfsPath: string): string | null {
  let port: string | null = null;
  for (const segment of sysfsPath.split('/')) if (usbPortSegment.test(segment)) port = segment;
  return port;
}

/** True for FUSE mounts (`fuse`, `fuse.<subtype>`, `fuseblk`). */
export function isFuseType(fsType: string): boolean {
  return fsType === 'fuse' || fsType === 'fuseblk' || fsType.startsWith('fuse.');
}

interface Verdict {
  readonly mountClass: MountClass;
  readonly basis: MountClassBasis;
  readonly resolved: boolean;
  readonly usbPort: string | null;
}

// Which of several backing devices wins for a device-mapper device: the most external one.
const externality: Readonly<Record<MountClass, number>> = {
  'usb-storage': 6,
  'sd-card': 5,
  optical: 4,
  'network-filesystem': 7,
  'other-fuse': 3,
  internal: 1,
  pseudo: 0,
};

/** The device a mount refers to, by source path, then by device number. */
export function findMountDevice(mount: Mount, index: BlockFactsIndex): BlockDeviceFacts | null {
  const source = mount.source.text;
  if (source.startsWith('/dev/mapper/')) {
    const found = index.byDmName.get(source.slice('/dev/mapper/'.length));
    if (found !== undefined) return found;
  } else if (source.startsWith('/dev/') && !source.slice(5).includes('/')) {
    const found = index.byName.get(source.slice(5));
    if (found !== undefined) return found;
  }
  // FUSE and other anonymous devices (major 0) are not block devices.
  if (mount.major === 0) return null;
  return index.byDevNumber.get(`${mount.major}:${mount.minor}`) ?? null;
}

/** The mount whose mount point is the longest prefix of `path` (the one a file there lives on). */
export function findContainingMount(path: string, mounts: readonly Mount[]): Mount | null {
  let best: Mount | null = null;
  for (const mount of mounts) {
    const point = mount.mountPoint.text;
    const inside = point === '/' ? path.startsWith('/') : path === point || path.startsWith(`${point}/`);
    // Later lines are mounted over earlier ones at the same point, so `>=` picks the top one.
    if (inside && (best === null || point.length >= best.mountPoint.text.length)) best = mount;
  }
  return best;
}

function classifyDevice(device: BlockDeviceFacts, index: BlockFactsIndex, mounts: readonly Mount[], depth: number): Verdict {
  if (depth > maxDepth) return { mountClass: 'internal', basis: 'device-unresolved', resolved: false, usbPort: null };
  const path = device.sysfsPath ?? '';
  const usbPort = usbPortOfSysfsPath(path);
  if (/^sr[0-9]+$/.test(device.name) || device.major === 11) return { mountClass: 'optical', basis: 'optical-device', resolved: true, usbPort };
  if (usbPort !== null) return { mountClass: 'usb-storage', basis: 'usb-device', resolved: true, usbPort };
  if (/^loop[0-9]+$/.test(device.name)) {
    if (device.loopBackingFile === null) return { mountClass: 'internal', basis: 'loop-unattached', resolved: true, usbPort: null };
    const backing = findContainingMount(device.loopBackingFile, mounts);
    if (backing === null) return { mountClass: 'internal', basis: 'loop-backing-file', resolved: true, usbPort: null };
    const verdict = classifyMount(backing, index, mounts, depth + 1);
    // A loop image on tmpfs lives in memory: as internal as the terminal itself.
    const mountClass = verdict.mountClass === 'pseudo' ? 'internal' : verdict.mountClass;
    return { mountClass, basis: 'loop-backing-file', resolved: verdict.resolved, usbPort: verdict.usbPort };
  }
  if (device.slaves.length > 0) {
    let best: Verdict | null = null;
    for (const name of device.slaves) {
      const slave = index.byName.get(name);
      const verdict: Verdict =
        slave === undefined
          ? { mountClass: 'internal', basis: 'device-unresolved', resolved: false, usbPort: null }
          : classifyDevice(slave, index, mounts, depth + 1);
      if (!verdict.resolved) return { ...verdict, basis: 'device-mapper' };
      if (best === null || externality[verdict.mountClass] > externality[best.mountClass]) best = verdict;
    }
    return { ...(best as Verdict), basis: 'device-mapper' };
  }
  if (/^mmcblk[0-9]+/.test(device.name) || path.includes('/mmc_host/')) {
    return device.mmcType === 'MMC'
      ? { mountClass: 'internal', basis: 'emmc', resolved: true, usbPort: null }
      : { mountClass: 'sd-card', basis: 'sd-card', resolved: true, usbPort: null };
  }
  if (device.removable === true) return { mountClass: 'usb-storage', basis: 'removable-device', resolved: true, usbPort: null };
  if (device.sysfsPath === null || device.removable === null) {
    return { mountClass: 'internal', basis: 'device-unresolved', resolved: false, usbPort: null };
  }
  return { mountClass: 'internal', basis: 'internal-device', resolved: true, usbPort: null };
}

function classifyMount(mount: Mount, index: BlockFactsIndex, mounts: readonly Mount[], depth: number): Verdict & { device: BlockDeviceFacts | null } {
  const fsType = mount.fsType;
  if (pseudoFsTypes.has(fsType)) return { mountClass: 'pseudo', basis: 'pseudo-filesystem', resolved: true, usbPort: null, device: null };
  if (networkFsTypes.has(fsType) || fsType.startsWith('nfs')) {
    return { mountClass: 'network-filesystem', basis: 'network-filesystem', resolved: true, usbPort: null, device: null };
  }
  const device = findMountDevice(mount, index);
  if (opticalFsTypes.has(fsType)) {
    return { mountClass: 'optical', basis: 'optical-filesystem', resolved: true, usbPort: device === null ? null : usbPortOfSysfsPath(device.sysfsPath ?? ''), device };
  }
  if (fsType === 'overlay') return { mountClass: 'internal', basis: 'overlay', resolved: true, usbPort: null, device: null };
  if (device !== null) return { ...classifyDevice(device, index, mounts, depth), device };
  if (isFuseType(fsType)) return { mountClass: 'other-fuse', basis: 'fuse', resolved: true, usbPort: null, device: null };
  return { mountClass: 'internal', basis: 'device-unresolved', resolved: false, usbPort: null, device: null };
}

/** The class of `mount` (see the file comment). `mounts` is the whole table, for loop backing files. Pure. */
export function decideMountClass(mount: Mount, index: BlockFactsIndex, mounts: readonly Mount[]): MountClassification {
  const { mountClass, basis, resolved, usbPort, device } = classifyMount(mount, index, mounts, 0);
  return { mountClass, basis, resolved, usbPort, device };
}
