// Classification on fixture sysfs trees (issue #4 item 1): SysfsBlockFacts reads a tree written by
// test/helpers/block-sysfs-tree.ts, the mounts module classifies mounts against it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decideMountClass, indexBlockDevices, makeMount, type BlockDeviceFacts } from '../../src/agent/mounts';
import { SysfsBlockFacts } from '../../src/agent/platform/linux';
import { makeSysfsRoot } from '../helpers/sysfs-tree';
import { mmcBusPath, opticalBusPath, sataBusPath, usbBusPath, virtioBusPath, virtualBusPath, writeBlockTree } from '../helpers/block-sysfs-tree';

let root: string;
let cleanup: () => void;

beforeEach(() => {
  ({ root, cleanup } = makeSysfsRoot('mng-block-'));
  writeBlockTree(root, [
    { name: 'vda', busPath: virtioBusPath, dev: '254:0', partitions: [{ name: 'vda1', dev: '254:1' }] },
    { name: 'sda', busPath: sataBusPath, dev: '8:0', partitions: [{ name: 'sda1', dev: '8:1' }] },
    { name: 'sdb', busPath: usbBusPath('1-3'), dev: '8:16', removable: true, usbSerial: 'DEMO0001', partitions: [{ name: 'sdb1', dev: '8:17' }] },
    { name: 'sr0', busPath: opticalBusPath, dev: '11:0', removable: true },
    { name: 'mmcblk0', busPath: mmcBusPath, dev: '179:0', removable: false, mmcType: 'SD', partitions: [{ name: 'mmcblk0p1', dev: '179:1' }] },
    // The loop device of a test medium, made to look like a USB stick (see the helper's comment).
    { name: 'loop0', busPath: usbBusPath('2-1.4'), dev: '7:0', removable: true, usbSerial: 'LOOPSTICK', loopBackingFile: '/var/tmp/usb.img' },
    { name: 'loop1', busPath: virtualBusPath, dev: '7:1', loopBackingFile: Buffer.concat([Buffer.from('/media/u/USB\nSTICK/'), Buffer.from([0xff]), Buffer.from('.img')]) },
    { name: 'dm-0', busPath: virtualBusPath, dev: '253:0', dmName: 'luks-usb', slaves: ['sdb1'] },
  ]);
});

afterEach(() => cleanup());

describe('SysfsBlockFacts', () => {
  it('reads disks, partitions, loop, dm and MMC facts', async () => {
    const devices = await new SysfsBlockFacts({ sysfsRoot: root }).listBlockDevices();
    const byName = new Map(devices.map((device) => [device.name, device]));
    expect([...byName.keys()]).toEqual(['dm-0', 'loop0', 'loop1', 'mmcblk0', 'mmcblk0p1', 'sda', 'sda1', 'sdb', 'sdb1', 'sr0', 'vda', 'vda1']);
    expect(byName.get('sdb1')).toEqual<BlockDeviceFacts>({
      name: 'sdb1',
      major: 8,
      minor: 17,
      sysfsPath: `${usbBusPath('1-3')}/block/sdb/sdb1`,
      isPartition: true,
      diskName: 'sdb',
      removable: true,
      readOnly: false,
      sizeSectors: 131000,
      loopBackingFile: null,
      dmName: null,
      slaves: [],
      mmcType: null,
      usbSerial: 'DEMO0001',
    });
    expect(byName.get('loop0')).toMatchObject({ removable: true, usbSerial: 'LOOPSTICK', loopBackingFile: '/var/tmp/usb.img' });
    expect(byName.get('loop1')?.loopBackingFile).toBe('/media/u/USB\nSTICK/\udcff.img');
    expect(byName.get('dm-0')).toMatchObject({ dmName: 'luks-usb', slaves: ['sdb1'] });
    expect(byName.get('mmcblk0p1')).toMatchObject({ mmcType: 'SD', diskName: 'mmcblk0' });
    expect(byName.get('vda1')).toMatchObject({ removable: false, usbSerial: null });
  });

  it('reports a dangling link with null facts instead of failing', async () => {
    const { symlinkSync } = await import('node:fs');
    symlinkSync('../../devices/virtual/block/gone', `${root}/class/block/gone`);
    const gone = (await new SysfsBlockFacts({ sysfsRoot: root }).listBlockDevices()).find((device) => device.name === 'gone');
    expect(gone).toMatchObject({ sysfsPath: null, major: null, removable: null });
  });

  it('an empty root has no devices', async () => {
    expect(await new SysfsBlockFacts({ sysfsRoot: `${root}/nowhere` }).listBlockDevices()).toEqual([]);
  });
});

describe('classification on the fixture tree', () => {
  const table = [
    makeMount({ id: 1, dev: '254:1', mountPoint: '/', fsType: 'ext4', source: '/dev/vda1' }),
    makeMount({ id: 2, dev: '8:17', mountPoint: '/media/u/USB\nSTICK', fsType: 'vfat', source: '/dev/sdb1' }),
  ];

  it.each([
    ['root on virtio', { dev: '254:1', mountPoint: '/', fsType: 'ext4', source: '/dev/vda1' }, 'internal', 'internal-device'],
    ['SATA data disk', { dev: '8:1', mountPoint: '/data', fsType: 'xfs', source: '/dev/sda1' }, 'internal', 'internal-device'],
    ['USB stick', { dev: '8:17', mountPoint: '/media/u/S', fsType: 'vfat', source: '/dev/sdb1' }, 'usb-storage', 'usb-device'],
    ['exFAT over FUSE on the USB stick', { dev: '0:51', mountPoint: '/media/u/S', fsType: 'fuseblk', source: '/dev/sdb1' }, 'usb-storage', 'usb-device'],
    ['CD', { dev: '11:0', mountPoint: '/media/u/CD', fsType: 'iso9660', source: '/dev/sr0' }, 'optical', 'optical-filesystem'],
    ['SD card', { dev: '179:1', mountPoint: '/media/u/SD', fsType: 'vfat', source: '/dev/mmcblk0p1' }, 'sd-card', 'sd-card'],
    ['loop medium marked USB by the fixture', { dev: '7:0', mountPoint: '/media/u/USBSTICK', fsType: 'ext4', source: '/dev/loop0' }, 'usb-storage', 'usb-device'],
    ['loop image stored on the USB stick (non-UTF-8 name)', { dev: '7:1', mountPoint: '/mnt/img', fsType: 'ext4', source: '/dev/loop1' }, 'usb-storage', 'loop-backing-file'],
    ['LUKS on the USB stick', { dev: '253:0', mountPoint: '/media/u/L', fsType: 'ext4', source: '/dev/mapper/luks-usb' }, 'usb-storage', 'device-mapper'],
  ] as const)('%s', async (_name, parts, mountClass, basis) => {
    const index = indexBlockDevices(await new SysfsBlockFacts({ sysfsRoot: root }).listBlockDevices());
    expect(decideMountClass(makeMount(parts), index, table)).toMatchObject({ mountClass, basis, resolved: true });
  });
});
