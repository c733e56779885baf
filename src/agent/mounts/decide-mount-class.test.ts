import { describe, expect, it } from 'vitest';
import { decideMountClass, findContainingMount, indexBlockDevices, usbPortOfSysfsPath } from './decide-mount-class';
import type { BlockDeviceFacts, Mount } from './model';
import { makeBlockFacts, makeMount } from './test-mounts';

const usbPath = (name: string, disk = name): string =>
  `/devices/pci0000:00/0000:00:14.0/usb1/1-3/1-3:1.0/host6/target6:0:0/6:0:0:0/block/${disk}${disk === name ? '' : `/${name}`}`;

const devices: BlockDeviceFacts[] = [
  makeBlockFacts('vda1', { major: 254, minor: 1, sysfsPath: '/devices/pci0000:00/0000:00:04.0/virtio2/block/vda/vda1', isPartition: true, diskName: 'vda' }),
  makeBlockFacts('sdb1', { major: 8, minor: 17, sysfsPath: usbPath('sdb1', 'sdb'), isPartition: true, diskName: 'sdb', removable: true, usbSerial: 'DEMO0001' }),
  makeBlockFacts('sdc', { major: 8, minor: 32, removable: true }),
  makeBlockFacts('sr0', { major: 11, minor: 0 }),
  makeBlockFacts('mmcblk0p1', { major: 179, minor: 1, sysfsPath: '/devices/pci0000:00/0000:00:1e.6/mmc_host/mmc0/mmc0:0001/block/mmcblk0/mmcblk0p1', isPartition: true, diskName: 'mmcblk0', mmcType: 'SD' }),
  makeBlockFacts('mmcblk1p1', { major: 179, minor: 9, sysfsPath: '/devices/platform/emmc/mmc_host/mmc1/mmc1:0001/block/mmcblk1/mmcblk1p1', isPartition: true, diskName: 'mmcblk1', mmcType: 'MMC' }),
  makeBlockFacts('loop0', { major: 7, minor: 0, sysfsPath: '/devices/virtual/block/loop0', loopBackingFile: '/media/user/USB STICK/disk.img' }),
  makeBlockFacts('loop1', { major: 7, minor: 1, sysfsPath: '/devices/virtual/block/loop1', loopBackingFile: '/var/tmp/usb.img' }),
  makeBlockFacts('loop2', { major: 7, minor: 2, sysfsPath: usbPath('loop2'), removable: true }),
  makeBlockFacts('loop3', { major: 7, minor: 3, sysfsPath: '/devices/virtual/block/loop3' }),
  makeBlockFacts('loop4', { major: 7, minor: 4, sysfsPath: '/devices/virtual/block/loop4', loopBackingFile: '/mnt/nfs/image.img' }),
  makeBlockFacts('dm-0', { major: 253, minor: 0, sysfsPath: '/devices/virtual/block/dm-0', dmName: 'luks-usb', slaves: ['sdb1'] }),
  makeBlockFacts('dm-1', { major: 253, minor: 1, sysfsPath: '/devices/virtual/block/dm-1', dmName: 'vg-root', slaves: ['vda1'] }),
  makeBlockFacts('dm-2', { major: 253, minor: 2, sysfsPath: '/devices/virtual/block/dm-2', dmName: 'ghost', slaves: ['sdz9'] }),
  makeBlockFacts('sdd', { major: 8, minor: 48, sysfsPath: null, removable: null }),
];
const index = indexBlockDevices(devices);

const table: Mount[] = [
  makeMount({ id: 1, dev: '254:1', mountPoint: '/', fsType: 'ext4', source: '/dev/vda1' }),
  makeMount({ id: 2, dev: '8:17', mountPoint: '/media/user/USB STICK', fsType: 'vfat', source: '/dev/sdb1' }),
  makeMount({ id: 3, dev: '0:60', mountPoint: '/mnt/nfs', fsType: 'nfs4', source: 'fs01:/export' }),
];

describe('decideMountClass', () => {
  it.each([
    ['proc', { mountPoint: '/proc', fsType: 'proc', source: 'proc' }, 'pseudo', 'pseudo-filesystem'],
    ['tmpfs', { mountPoint: '/run', fsType: 'tmpfs', source: 'tmpfs' }, 'pseudo', 'pseudo-filesystem'],
    ['cgroup2', { mountPoint: '/sys/fs/cgroup', fsType: 'cgroup2', source: 'cgroup2' }, 'pseudo', 'pseudo-filesystem'],
    ['root on virtio', { dev: '254:1', mountPoint: '/', fsType: 'ext4', source: '/dev/vda1' }, 'internal', 'internal-device'],
    ['USB stick by source', { dev: '8:17', mountPoint: '/media/u/S', fsType: 'vfat', source: '/dev/sdb1' }, 'usb-storage', 'usb-device'],
    ['USB stick by device number (btrfs-like source)', { dev: '8:17', mountPoint: '/media/u/S', fsType: 'ext4', source: '/dev/disk/by-label/S' }, 'usb-storage', 'usb-device'],
    ['removable non-USB disk', { dev: '8:32', mountPoint: '/media/u/E', fsType: 'ext4', source: '/dev/sdc' }, 'usb-storage', 'removable-device'],
    ['CD by device', { dev: '11:0', mountPoint: '/media/u/CD', fsType: 'ext2', source: '/dev/sr0' }, 'optical', 'optical-device'],
    ['CD by file system', { dev: '11:0', mountPoint: '/media/u/CD', fsType: 'iso9660', source: '/dev/sr0' }, 'optical', 'optical-filesystem'],
    ['udf', { dev: '0:70', mountPoint: '/media/u/BD', fsType: 'udf', source: '/dev/sr9' }, 'optical', 'optical-filesystem'],
    ['SD card', { dev: '179:1', mountPoint: '/media/u/SD', fsType: 'exfat', source: '/dev/mmcblk0p1' }, 'sd-card', 'sd-card'],
    ['eMMC', { dev: '179:9', mountPoint: '/data', fsType: 'ext4', source: '/dev/mmcblk1p1' }, 'internal', 'emmc'],
    ['cifs', { mountPoint: '/mnt/s', fsType: 'cifs', source: '//fs01/share' }, 'network-filesystem', 'network-filesystem'],
    ['nfs4', { mountPoint: '/mnt/n', fsType: 'nfs4', source: 'fs01:/export' }, 'network-filesystem', 'network-filesystem'],
    ['sshfs', { mountPoint: '/mnt/h', fsType: 'fuse.sshfs', source: 'u@h:/' }, 'network-filesystem', 'network-filesystem'],
    ['rclone', { mountPoint: '/mnt/r', fsType: 'fuse.rclone', source: 'drive:' }, 'network-filesystem', 'network-filesystem'],
    ['gvfs', { mountPoint: '/run/user/1000/gvfs', fsType: 'fuse.gvfsd-fuse', source: 'gvfsd-fuse' }, 'network-filesystem', 'network-filesystem'],
    ['fusefat image', { mountPoint: '/media/u/FAT', fsType: 'fuse.fusefat', source: '/tmp/fat.img' }, 'other-fuse', 'fuse'],
    ['fuseblk on a USB partition', { dev: '0:55', mountPoint: '/media/u/EX', fsType: 'fuseblk', source: '/dev/sdb1' }, 'usb-storage', 'usb-device'],
    ['fuseblk on an internal partition', { dev: '0:55', mountPoint: '/win', fsType: 'fuseblk', source: '/dev/vda1' }, 'internal', 'internal-device'],
    ['fuseblk on an unknown device', { dev: '0:55', mountPoint: '/media/u/X', fsType: 'fuseblk', source: '/dev/sdz1' }, 'other-fuse', 'fuse'],
    ['loop image on the USB stick', { dev: '7:0', mountPoint: '/mnt/img', fsType: 'ext4', source: '/dev/loop0' }, 'usb-storage', 'loop-backing-file'],
    ['loop image on the internal disk', { dev: '7:1', mountPoint: '/mnt/img', fsType: 'ext4', source: '/dev/loop1' }, 'internal', 'loop-backing-file'],
    ['loop image on NFS', { dev: '7:4', mountPoint: '/mnt/img', fsType: 'ext4', source: '/dev/loop4' }, 'network-filesystem', 'loop-backing-file'],
    ['loop marked USB by the sysfs fixture', { dev: '7:2', mountPoint: '/media/u/T', fsType: 'ext4', source: '/dev/loop2' }, 'usb-storage', 'usb-device'],
    ['loop without backing file', { dev: '7:3', mountPoint: '/mnt/x', fsType: 'ext4', source: '/dev/loop3' }, 'internal', 'loop-unattached'],
    ['LUKS on the USB stick', { dev: '253:0', mountPoint: '/media/u/L', fsType: 'ext4', source: '/dev/mapper/luks-usb' }, 'usb-storage', 'device-mapper'],
    ['LVM on the internal disk', { dev: '253:1', mountPoint: '/home', fsType: 'ext4', source: '/dev/mapper/vg-root' }, 'internal', 'device-mapper'],
    ['overlay', { mountPoint: '/var/lib/docker/x', fsType: 'overlay', source: 'overlay' }, 'internal', 'overlay'],
  ] as const)('%s', (_name, parts, mountClass, basis) => {
    const result = decideMountClass(makeMount(parts), index, table);
    expect({ mountClass: result.mountClass, basis: result.basis, resolved: result.resolved }).toEqual({ mountClass, basis, resolved: true });
  });

  it.each([
    ['a block device missing from sysfs', { dev: '8:99', mountPoint: '/media/u/G', fsType: 'ext4', source: '/dev/sdq1' }],
    ['a device whose sysfs entry could not be read', { dev: '8:48', mountPoint: '/media/u/D', fsType: 'ext4', source: '/dev/sdd' }],
    ['a device-mapper device over a vanished slave', { dev: '253:2', mountPoint: '/media/u/M', fsType: 'ext4', source: '/dev/mapper/ghost' }],
    ['an unknown file system without device', { mountPoint: '/pool', fsType: 'zfs', source: 'pool/data' }],
  ] as const)('marks %s as unresolved', (_name, parts) => {
    expect(decideMountClass(makeMount(parts), index, table).resolved).toBe(false);
  });

  it('names the device and its USB port', () => {
    const result = decideMountClass(table[1] as Mount, index, table);
    expect(result.device?.name).toBe('sdb1');
    expect(result.usbPort).toBe('1-3');
  });

  it('stops on a loop chain that points into itself', () => {
    const selfIndex = indexBlockDevices([makeBlockFacts('loop5', { major: 7, minor: 5, sysfsPath: '/devices/virtual/block/loop5', loopBackingFile: '/mnt/self/img' })]);
    const self = makeMount({ dev: '7:5', mountPoint: '/mnt/self', fsType: 'ext4', source: '/dev/loop5' });
    expect(decideMountClass(self, selfIndex, [self])).toMatchObject({ resolved: false });
  });
});

describe('helpers', () => {
  it('finds the USB port in a sysfs path', () => {
    expect(usbPortOfSysfsPath(usbPath('sdb1', 'sdb'))).toBe('1-3');
    expect(usbPortOfSysfsPath('/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1.4/2-1.4:1.0/host1/block/sdc')).toBe('2-1.4');
    expect(usbPortOfSysfsPath('/devices/virtual/block/loop0')).toBeNull();
  });

  it('finds the mount a file lives on: the longest, topmost prefix', () => {
    const over = makeMount({ id: 9, mountPoint: '/media/user/USB STICK', fsType: 'tmpfs', source: 'tmpfs' });
    expect(findContainingMount('/media/user/USB STICK/a', table)?.id).toBe(2);
    expect(findContainingMount('/media/user/USB STICKY/a', table)?.id).toBe(1);
    expect(findContainingMount('/media/user/USB STICK/a', [...table, over])?.id).toBe(9);
  });
});
