// Fixture sysfs block trees for mount classification (issue #4 item 1), written into temp dirs.
// Layout copies the kernel's:
//   <root>/devices/<bus path>/block/<disk>/{dev,removable,ro,size}
//   <root>/devices/<bus path>/block/<disk>/<partition>/{dev,partition,ro,size}
//   <root>/class/block/<name> -> ../../devices/<bus path>/block/<disk>[/<partition>]   (relative)
// A loop device normally sits at /devices/virtual/block/loopN. To make a loop-backed test medium
// look like a USB stick, give it a USB bus path (`usbBusPath('1-3')`) and `removable: true`: the
// SysfsBlockFacts adapter then reports a sysfs path through `…/usb1/1-3/…`, which classification
// reads as usb-storage — the "sysfs fixture classifying the backing device as USB removable" of
// issue #4. The real loop device's major:minor goes into `dev` so mountinfo lines match it.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** One block device (a disk, optionally with partitions) in a fixture tree. */
export interface BlockDeviceSpec {
  /** Kernel name of the disk: `sdb`, `loop0`, `mmcblk0`, `dm-0`, `sr0`. */
  readonly name: string;
  /** Device directory's parent below the root (without `/block/<name>`); see the bus path helpers. */
  readonly busPath: string;
  /** `major:minor` of the disk. */
  readonly dev: string;
  /** `removable`; default false. */
  readonly removable?: boolean;
  readonly readOnly?: boolean;
  /** Sectors of 512 bytes; default 131072 (64 MiB). */
  readonly sizeSectors?: number;
  /** Partitions: name and `major:minor`. */
  readonly partitions?: readonly { readonly name: string; readonly dev: string }[];
  /** `loop/backing_file` (bytes allowed, written with a trailing newline). */
  readonly loopBackingFile?: string | Uint8Array;
  /** `dm/name` for device-mapper devices. */
  readonly dmName?: string;
  /** Entries of `slaves/` (names of other devices in the tree). */
  readonly slaves?: readonly string[];
  /** `device/type` for MMC cards (`SD`, `MMC`). */
  readonly mmcType?: string;
  /** `serial` of the USB device directory on the bus path (the `1-3` directory), when on USB. */
  readonly usbSerial?: string;
}

/** The bus path of a disk behind USB mass storage at `port` (`1-3`) on root hub `usb1`. */
export function usbBusPath(port = '1-3'): string {
  const bus = port.slice(0, port.indexOf('-'));
  return `/devices/pci0000:00/0000:00:14.0/usb${bus}/${port}/${port}:1.0/host6/target6:0:0/6:0:0:0`;
}

/** The bus path of a SATA disk (internal). */
export const sataBusPath = '/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0';
/** The bus path of a virtio disk (internal, as on the development VMs). */
export const virtioBusPath = '/devices/pci0000:00/0000:00:04.0/virtio2';
/** Where the kernel puts loop, dm and zram devices. */
export const virtualBusPath = '/devices/virtual';
/** An SD/MMC slot on a PCI SD host controller. */
export const mmcBusPath = '/devices/pci0000:00/0000:00:1e.6/mmc_host/mmc0/mmc0:0001';
/** An optical drive on SATA. */
export const opticalBusPath = '/devices/pci0000:00/0000:00:17.0/ata2/host1/target1:0:0/1:0:0:0';

const write = (file: string, content: string | Uint8Array): void => {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
};

/** Writes the devices into `root` (which may already hold devices). */
export function writeBlockTree(root: string, specs: readonly BlockDeviceSpec[]): void {
  const classDir = path.join(root, 'class/block');
  mkdirSync(classDir, { recursive: true });
  for (const spec of specs) {
    const diskPath = `${spec.busPath}/block/${spec.name}`;
    const diskDir = path.join(root, diskPath);
    write(path.join(diskDir, 'dev'), `${spec.dev}\n`);
    write(path.join(diskDir, 'removable'), `${spec.removable === true ? 1 : 0}\n`);
    write(path.join(diskDir, 'ro'), `${spec.readOnly === true ? 1 : 0}\n`);
    write(path.join(diskDir, 'size'), `${spec.sizeSectors ?? 131072}\n`);
    if (spec.loopBackingFile !== undefined) {
      const bytes = typeof spec.loopBackingFile === 'string' ? Buffer.from(spec.loopBackingFile) : Buffer.from(spec.loopBackingFile);
      write(path.join(diskDir, 'loop/backing_file'), Buffer.concat([bytes, Buffer.from('\n')]));
    }
    if (spec.dmName !== undefined) write(path.join(diskDir, 'dm/name'), `${spec.dmName}\n`);
    if (spec.mmcType !== undefined) write(path.join(diskDir, 'device/type'), `${spec.mmcType}\n`);
    for (const slave of spec.slaves ?? []) {
      mkdirSync(path.join(diskDir, 'slaves'), { recursive: true });
      writeFileSync(path.join(diskDir, 'slaves', slave), '');
    }
    if (spec.usbSerial !== undefined) {
      const portDir = spec.busPath.split('/').findIndex((segment) => /^[0-9]+-[0-9.]+$/.test(segment));
      if (portDir < 0) throw new Error(`usbSerial given but ${spec.busPath} has no USB port directory`);
      write(path.join(root, spec.busPath.split('/').slice(0, portDir + 1).join('/'), 'serial'), `${spec.usbSerial}\n`);
    }
    symlinkSync(`../..${diskPath}`, path.join(classDir, spec.name));
    spec.partitions?.forEach((partition, index) => {
      const partitionPath = `${diskPath}/${partition.name}`;
      const partitionDir = path.join(root, partitionPath);
      write(path.join(partitionDir, 'dev'), `${partition.dev}\n`);
      write(path.join(partitionDir, 'partition'), `${index + 1}\n`);
      write(path.join(partitionDir, 'ro'), '0\n');
      write(path.join(partitionDir, 'size'), '131000\n');
      symlinkSync(`../..${partitionPath}`, path.join(classDir, partition.name));
    });
  }
}
