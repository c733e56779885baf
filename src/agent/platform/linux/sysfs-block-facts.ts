// Block-device facts from sysfs (Documentation/ABI/stable/sysfs-block), under any root: `/sys` in
// production, a fixture tree in tests (test/helpers/block-sysfs-tree.ts). Reads only; every value
// that cannot be read is null, never guessed; the mounts module decides what the facts mean.
import { readdir, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { decodeRuleBytes } from '../../../shared/usb-rules';
import type { BlockDeviceFacts } from '../../mounts/model';
import type { BlockFactsSource } from '../../mounts/ports';

/** Options of {@link SysfsBlockFacts}. */
export interface SysfsBlockFactsOptions {
  /** Where sysfs is mounted: `/sys`, or a fixture tree. */
  readonly sysfsRoot: string;
}

// A sysfs text attribute is at most one page; more means this is not sysfs.
const maxAttributeBytes = 4096;
// How far up from a block device to look for the USB device that carries `serial`.
const usbPortSegment = /^[1-9][0-9]{0,2}-[1-9][0-9]{0,2}(?:\.[1-9][0-9]{0,2}){0,6}$/;

/** Reads an attribute as bytes without its trailing newline; null when absent or unreadable. */
async function readAttribute(file: string): Promise<Uint8Array | null> {
  try {
    const bytes = await readFile(file);
    if (bytes.length > maxAttributeBytes) return null;
    const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0a ? bytes.length - 1 : bytes.length;
    return new Uint8Array(bytes.subarray(0, end));
  } catch (_error) {
    // Absent (not a partition, not a loop device) or unreadable: both are "not known" here.
    return null;
  }
}

async function readText(file: string): Promise<string | null> {
  const bytes = await readAttribute(file);
  return bytes === null ? null : decodeRuleBytes(bytes).trim();
}

const flag = (text: string | null): boolean | null => (text === '1' ? true : text === '0' ? false : null);

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (_error) {
    // No such directory (no `slaves/` on a plain disk): an empty list is the fact.
    return [];
  }
}

/** `serial` of the USB device a block device hangs off (nearest `1-3`-named directory up the path); null when not on USB or absent. */
async function readUsbSerial(deviceDir: string, root: string): Promise<string | null> {
  let dir = deviceDir;
  while (dir.length > root.length && dir !== path.dirname(dir)) {
    if (usbPortSegment.test(path.basename(dir))) {
      const bytes = await readAttribute(path.join(dir, 'serial'));
      return bytes === null || bytes.length === 0 ? null : decodeRuleBytes(bytes);
    }
    dir = path.dirname(dir);
  }
  return null;
}

/**
 * BlockFactsSource on sysfs: one entry per `<root>/class/block/<name>` link. The link is resolved
 * (realpath) to the device directory, whose path below the root says which bus the device is on.
 * For a partition the disk is the parent directory; `removable` is the disk's. A USB device's
 * `serial` is read from the nearest directory up the path whose name is a USB port (`1-3`).
 */
export class SysfsBlockFacts implements BlockFactsSource {
  private readonly root: string;

  constructor(options: SysfsBlockFactsOptions) {
    this.root = options.sysfsRoot;
  }

  async listBlockDevices(): Promise<BlockDeviceFacts[]> {
    const names = await listDir(path.join(this.root, 'class/block'));
    return Promise.all(names.map((name) => this.readDevice(name)));
  }

  /** The device directory below the root (`/devices/…`), or null when it leads outside the root. */
  private async resolve(name: string): Promise<{ dir: string; root: string; sysfsPath: string } | null> {
    const link = path.join(this.root, 'class/block', name);
    try {
      const [dir, root] = await Promise.all([realpath(link), realpath(this.root)]);
      const relative = path.relative(root, dir);
      if (relative.startsWith('..') || path.isAbsolute(relative)) return null;
      return { dir, root, sysfsPath: `/${relative}` };
    } catch (_error) {
      // A dangling link (device removed while listing): the facts say so with nulls.
      return null;
    }
  }

  private async readDevice(name: string): Promise<BlockDeviceFacts> {
    const resolved = await this.resolve(name);
    const dir = resolved?.dir ?? path.join(this.root, 'class/block', name);
    const isPartition = (await readAttribute(path.join(dir, 'partition'))) !== null;
    const diskDir = isPartition ? path.dirname(dir) : dir;
    const [dev, removable, ro, size, backing, dmName, slaves, mmcType, usbSerial] = await Promise.all([
      readText(path.join(dir, 'dev')),
      readText(path.join(diskDir, 'removable')),
      readText(path.join(dir, 'ro')),
      readText(path.join(dir, 'size')),
      readAttribute(path.join(dir, 'loop/backing_file')),
      readText(path.join(dir, 'dm/name')),
      listDir(path.join(dir, 'slaves')),
      this.readMmcType(diskDir),
      resolved === null ? Promise.resolve(null) : readUsbSerial(resolved.dir, resolved.root),
    ]);
    const devMatch = /^([0-9]{1,10}):([0-9]{1,10})$/.exec(dev ?? '');
    const sizeSectors = size !== null && /^[0-9]{1,20}$/.test(size) ? Number(size) : null;
    return {
      name,
      major: devMatch === null ? null : Number(devMatch[1]),
      minor: devMatch === null ? null : Number(devMatch[2]),
      sysfsPath: resolved?.sysfsPath ?? null,
      isPartition,
      diskName: path.basename(diskDir),
      removable: flag(removable),
      readOnly: flag(ro),
      sizeSectors: sizeSectors !== null && Number.isSafeInteger(sizeSectors) ? sizeSectors : null,
      loopBackingFile: backing === null || backing.length === 0 ? null : decodeRuleBytes(backing),
      dmName: dmName === null || dmName === '' ? null : dmName,
      slaves,
      mmcType,
      usbSerial,
    };
  }

  /** `device/type` of an MMC card (`SD`, `MMC`); null for other disks. */
  private async readMmcType(diskDir: string): Promise<string | null> {
    if (!/^mmcblk[0-9]+$/.test(path.basename(diskDir))) return null;
    return readText(path.join(diskDir, 'device/type'));
  }
}
