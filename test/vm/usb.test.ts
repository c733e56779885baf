// USB device control on a real kernel (issue #9; docs/testing.md): the devices QEMU 7.2 emulates,
// present at power-on and hot-plugged through QMP, decided by the installed agent and read back
// from the kernel's own sysfs (authorized, interface authorization, bound drivers, block devices,
// network interfaces, ttys). The BadUSB case (storage + keyboard in one device), which QEMU cannot
// emulate, is a configfs gadget on dummy_hcd: a real composite device the guest's USB core
// enumerates on a bus that appears while the agent runs.
import { mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { agentUnit, createPolicyKit, createShareDir, installAgent, lastAuditSeq, waitForAudit, type VmAuditRecord } from './rig/agent';
import { startVm, type Vm, type VmUsbDevice } from './rig/machine';
import { vmImageOrSkip, vmReady } from './rig/vm-available';

const ready = vmReady();

/** One device as the guest kernel shows it (test/vm/image/guest/usb-state.py). */
interface KernelUsbDevice {
  readonly port: string;
  readonly vendor: string;
  readonly productId: string;
  readonly product: string | null;
  readonly serial: string | null;
  readonly authorized: string | null;
  readonly authorizedDefault: string | null;
  readonly interfaces: readonly { name: string; class: string; authorized: string | null; driver: string | null }[];
  readonly block: readonly string[];
  readonly net: readonly string[];
  readonly tty: readonly string[];
}

// The devices at power-on, on fixed ports (the hub's keyboard sits behind it on 1.1).
const bootDevices = (dir: string): VmUsbDevice[] => [
  { id: 'hub', driver: 'usb-hub', props: { port: '1' } },
  { id: 'kbd', driver: 'usb-kbd', props: { port: '1.1' } },
  { id: 'mouse', driver: 'usb-mouse', props: { port: '2' } },
  { id: 'ccid', driver: 'usb-ccid', props: { port: '3' } },
  { id: 'net', driver: 'usb-net', props: { port: '4' } },
  { id: 'bootstick', driver: 'usb-storage', image: path.join(dir, 'bootstick.img'), props: { port: '5', serial: 'BOOTSTICK1' } },
  { id: 'audio', driver: 'usb-audio', props: { port: '6', audiodev: 'snd0' } },
  { id: 'mtp', driver: 'usb-mtp', props: { port: '7', rootdir: path.join(dir, 'phone'), readonly: 'on' } },
  { id: 'tablet', driver: 'usb-tablet', props: { port: '8' } },
  { id: 'serial', driver: 'usb-serial', props: { port: '9', chardev: 'ser0' } },
];

describe.skipIf(!ready)('USB device control on a real kernel', () => {
  let vm: Vm;
  let share: Awaited<ReturnType<typeof createShareDir>>;
  const kit = createPolicyKit();

  const devices = async (): Promise<KernelUsbDevice[]> => JSON.parse(await vm.guest.sh('/usr/local/lib/mng-test/usb-state.py')) as KernelUsbDevice[];
  const byProduct = async (product: string, serial?: string): Promise<KernelUsbDevice | undefined> =>
    (await devices()).find((device) => device.product === product && (serial === undefined || device.serial === serial));
  /** Waits until the kernel shows the device and `settled` holds for it. */
  const waitDevice = (what: string, find: (all: KernelUsbDevice[]) => KernelUsbDevice | undefined, settled: (device: KernelUsbDevice) => boolean = () => true): Promise<KernelUsbDevice> =>
    vm.guest.waitFor(what, async () => {
      const device = find(await devices());
      return device !== undefined && settled(device) ? device : undefined;
    });
  const auditFor = (what: string, port: string, type: string, afterSeq: number): Promise<VmAuditRecord> =>
    waitForAudit(vm.guest, what, (record) => record.type === type && record.data.port === port, { afterSeq });
  const emptyImage = (name: string): string => {
    const file = path.join(share.dir, name);
    writeFileSync(file, '');
    truncateSync(file, 16 * 1024 * 1024);
    return file;
  };

  beforeAll(async () => {
    const image = vmImageOrSkip();
    share = await createShareDir('usb');
    mkdirSync(path.join(share.dir, 'phone'));
    writeFileSync(path.join(share.dir, 'phone', 'photo.jpg'), 'not really a photo');
    for (const name of ['bootstick.img', 'uas.img', 'stick2.img', 'approved.img', 'behind-hub.img']) emptyImage(name);
    vm = await startVm({
      image,
      name: 'usb',
      shareDir: share.dir,
      devices: bootDevices(share.dir),
      extraArgs: [
        // usb-audio needs an audio backend, usb-serial a character device that is open (a file).
        '-audiodev', 'none,id=snd0',
        '-chardev', 'file,id=ser0,path=/dev/null',
        // A UAS disk, present at power-on: QEMU 7.2 attaches a hot-plugged usb-uas at full speed
        // and the guest's xHCI never enumerates it, so UAS is checked on the present path only.
        '-device', 'usb-uas,id=uas,bus=xhci.0,port=15',
        '-blockdev', `driver=raw,node-name=uas-disk,file.driver=file,file.filename=${path.join(share.dir, 'uas.img')}`,
        '-device', 'scsi-hd,bus=uas.0,drive=uas-disk,serial=UAS0001',
      ],
    });
  });

  // A failed check leaves no device behind to confuse the next one.
  afterEach(async () => {
    await vm?.unplugAll();
  });

  afterAll(async () => {
    await vm?.stop();
    share?.remove();
  });

  it('before the agent the kernel has bound every device (the control for what follows)', async () => {
    // The SCSI scans behind the two disks finish a little after boot.
    await waitDevice('the UAS disk', (all) => all.find((device) => device.product === 'USB Attached SCSI HBA'), (device) => device.block.length === 1);
    const all = await devices();
    expect(all.find((device) => device.serial === 'BOOTSTICK1')?.block.length).toBe(1);
    expect(all.find((device) => device.product === 'QEMU USB SERIAL')?.tty).toEqual(['ttyUSB0']);
    expect(all.filter((device) => device.authorized === '0')).toEqual([]);
  });

  it('present devices: input, hub and card reader kept; storage, MTP, network and serial blocked; audio per interface', async () => {
    const bundle = kit.bundle((policy) => {
      policy.spec.usb.rules.splice(
        1,
        0,
        'allow id 46f4:0001 serial "APPROVED1" with-interface 08:06:50 label "approved-stick"',
        // A headset's controls, not its sound streams: per-interface targets on a real interface.
        'allow id 46f4:0002 interface-target { 01:01:* allow 01:02:* block } label "audio-control-only"',
      );
    });
    await installAgent(vm.guest, { deb: share.deb, kit, bundle: bundle.bytes });
    const blocked = (device: KernelUsbDevice): boolean => device.authorized === '0';
    // The agent decides the present devices right after it starts: wait for the last one.
    await waitDevice('the serial adapter blocked', (all) => all.find((device) => device.product === 'QEMU USB SERIAL'), blocked);
    const all = await devices();
    const find = (product: string): KernelUsbDevice => {
      const device = all.find((candidate) => candidate.product === product);
      if (device === undefined) throw new Error(`no ${product} in ${JSON.stringify(all.map((candidate) => candidate.product))}`);
      return device;
    };
    for (const kept of ['QEMU USB Hub', 'QEMU USB Keyboard', 'QEMU USB Mouse', 'QEMU USB Tablet', 'QEMU USB CCID']) {
      expect({ kept, authorized: find(kept).authorized }).toEqual({ kept, authorized: '1' });
    }
    expect(find('QEMU USB Keyboard').port).toBe('1-1.1');
    expect(find('QEMU USB Keyboard').interfaces[0]?.driver).toBe('usbhid');
    const bootStick = all.find((candidate) => candidate.serial === 'BOOTSTICK1');
    for (const stopped of ['BOOTSTICK1', 'USB Attached SCSI HBA', 'RNDIS/QEMU USB Network Device', 'QEMU filesharing', 'QEMU USB SERIAL']) {
      const device = stopped === 'BOOTSTICK1' && bootStick !== undefined ? bootStick : find(stopped);
      expect({ stopped, authorized: device.authorized, block: device.block, net: device.net, tty: device.tty, drivers: device.interfaces.map((entry) => entry.driver) }).toEqual({
        stopped,
        authorized: '0',
        block: [],
        net: [],
        tty: [],
        drivers: [],
      });
    }
    // The kernel's own lists agree: no disk, no USB network interface, no serial port left.
    expect((await vm.guest.sh('ls /sys/block')).split(/\s+/).filter((name) => name.startsWith('sd'))).toEqual([]);
    expect(await vm.guest.sh('ls /dev')).not.toMatch(/ttyUSB/);
    const audio = find('QEMU USB Audio');
    expect(audio.authorized).toBe('1');
    expect(audio.interfaces.map((entry) => [entry.class.slice(0, 5), entry.authorized])).toEqual([
      ['01:01', '1'],
      ['01:02', '0'],
    ]);
    expect(audio.interfaces[1]?.driver).toBeNull();
    const records = await waitForAudit(vm.guest, 'the audio device decided', (record) => record.type === 'usb.allowed' && record.data.port === audio.port);
    expect(records.data).toMatchObject({ trigger: 'present', basis: { kind: 'rule' }, interfaces: [{ name: `${audio.port}:1.0`, authorized: true }, { name: `${audio.port}:1.1`, authorized: false }] });
  });

  it('hot-plugged through QMP: a keyboard is authorized by the agent; storage, MTP, network, serial are refused at the kernel', async () => {
    const seq = await lastAuditSeq(vm.guest);
    await vm.plug({ id: 'kbd2', driver: 'usb-kbd', props: { port: '10' } });
    const keyboard = await waitDevice('the new keyboard authorized', (all) => all.find((device) => device.port === '1-10'), (device) => device.authorized === '1' && device.interfaces[0]?.driver === 'usbhid');
    expect(keyboard.product).toBe('QEMU USB Keyboard');
    const allowed = await auditFor('keyboard allowed', '1-10', 'usb.allowed', seq);
    expect(allowed.data).toMatchObject({ trigger: 'hotplug', old: { authorized: false }, new: { authorized: true } });

    await vm.guest.sh('dmesg -C');
    await vm.qmp.execute('chardev-add', { id: 'ser1', backend: { type: 'file', data: { out: '/dev/null' } } });
    const refused: [VmUsbDevice, string][] = [
      [{ id: 'stick2', driver: 'usb-storage', image: path.join(share.dir, 'stick2.img'), props: { port: '11', serial: 'STICK2' } }, '1-11'],
      [{ id: 'mtp2', driver: 'usb-mtp', props: { port: '13', rootdir: path.join(share.dir, 'phone'), readonly: 'on' } }, '1-13'],
      [{ id: 'net2', driver: 'usb-net', props: { port: '14' } }, '1-14'],
      [{ id: 'serial2', driver: 'usb-serial', props: { port: '12', chardev: 'ser1' } }, '1-12'],
    ];
    for (const [device] of refused) await vm.plug(device);
    for (const [device, port] of refused) {
      const seen = await waitDevice(`${device.driver} on ${port}`, (all) => all.find((candidate) => candidate.port === port));
      expect({ driver: device.driver, authorized: seen.authorized, interfaces: seen.interfaces, block: seen.block, net: seen.net, tty: seen.tty }).toEqual({
        driver: device.driver,
        authorized: '0',
        interfaces: [],
        block: [],
        net: [],
        tty: [],
      });
      const record = await auditFor(`${device.driver} blocked`, port, 'usb.blocked', seq);
      // Nothing to write: the kernel created it deauthorized (authorized_default=0) and it stays so.
      expect(record.data).toMatchObject({ trigger: 'hotplug', writes: [], old: { authorized: false } });
    }
    expect(await vm.guest.sh('dmesg')).toContain('Device is not authorized for usage');
    for (const [device, port] of refused) {
      await vm.unplug(device.id);
      await vm.guest.waitFor(`${port} gone`, async () => ((await devices()).some((candidate) => candidate.port === port) ? undefined : true));
      await auditFor(`${device.driver} detached`, port, 'usb.detached', seq);
    }
    await vm.unplug('kbd2');
  });

  it('behind a hot-plugged hub: the hub is allowed, the stick behind it blocked', async () => {
    const seq = await lastAuditSeq(vm.guest);
    await vm.plug({ id: 'hub2', driver: 'usb-hub', props: { port: '11' } });
    await waitDevice('the second hub authorized', (all) => all.find((device) => device.port === '1-11'), (device) => device.authorized === '1' && device.interfaces[0]?.driver === 'hub');
    await vm.plug({ id: 'behind', driver: 'usb-storage', image: path.join(share.dir, 'behind-hub.img'), props: { port: '11.3', serial: 'BEHINDHUB1' } });
    const stick = await waitDevice('the stick behind the hub', (all) => all.find((device) => device.serial === 'BEHINDHUB1'));
    expect(stick).toMatchObject({ port: '1-11.3', authorized: '0', block: [] });
    expect((await auditFor('stick behind the hub blocked', '1-11.3', 'usb.blocked', seq)).data).toMatchObject({ trigger: 'hotplug' });
    await vm.unplug('behind');
    await vm.unplug('hub2');
  });

  it('an approved stick (its serial in the policy) is authorized and its disk appears', async () => {
    const seq = await lastAuditSeq(vm.guest);
    await vm.plug({ id: 'approved', driver: 'usb-storage', image: path.join(share.dir, 'approved.img'), props: { port: '12', serial: 'APPROVED1' } });
    const stick = await waitDevice('the approved stick with its disk', (all) => all.find((device) => device.serial === 'APPROVED1'), (device) => device.block.length === 1);
    expect(stick.authorized).toBe('1');
    expect(stick.interfaces[0]?.driver).toBe('usb-storage');
    expect((await vm.guest.sh(`cat /sys/block/${stick.block[0]}/size`)).trim()).toBe(String((16 * 1024 * 1024) / 512));
    expect((await auditFor('approved stick allowed', stick.port, 'usb.allowed', seq)).data).toMatchObject({ trigger: 'hotplug', basis: { kind: 'rule' } });
    await vm.unplug('approved');
    await vm.guest.waitFor('the approved disk gone', async () => ((await vm.guest.sh('ls /sys/block')).includes(stick.block[0] ?? '?') ? undefined : true));
  });

  it('BadUSB stand-in: a storage+keyboard composite on a bus that appears later is born deauthorized and rejected (logically removed)', async () => {
    const seq = await lastAuditSeq(vm.guest);
    await vm.guest.sh('/usr/local/lib/mng-test/badusb-gadget.sh load');
    // The new bus started closed (usbcore's parameter set by the agent) and the agent saw it come.
    const bus = await waitDevice('the dummy bus', (all) => all.find((device) => device.product === 'Dummy host controller'));
    expect(bus.authorizedDefault).toBe('0');
    const hubRecord = await auditFor('the new root hub secured', bus.port, 'usb.allowed', seq);
    expect(hubRecord.data).toMatchObject({ trigger: 'hotplug', basis: { kind: 'root-hub' } });
    expect((await vm.guest.sh('cat /sys/module/usbcore/parameters/authorized_default')).trim()).toBe('0');

    await vm.guest.sh('/usr/local/lib/mng-test/badusb-gadget.sh plug');
    const busNumber = bus.port.replace('usb', '');
    const record = await auditFor('the composite rejected', `${busNumber}-1`, 'usb.rejected', seq);
    expect(record.data).toMatchObject({ trigger: 'hotplug', interfaces: [], writes: [`${busNumber}-1/remove=1`], new: { authorized: 'removed' } });
    expect(JSON.stringify(record.data)).toContain('badusb-storage-hid');
    // Logically removed: gone from the bus although still plugged; no disk, no keyboard ever bound.
    await vm.guest.waitFor('the composite gone from the bus', async () => ((await devices()).some((device) => device.port === `${busNumber}-1`) ? undefined : true));
    expect((await vm.guest.sh('ls /sys/block')).split(/\s+/).filter((name) => name.startsWith('sd'))).toEqual([]);
    // Neither function ever had a driver: no input device, no storage host for it in the kernel log.
    const kernelLog = await vm.guest.sh('dmesg');
    expect(kernelLog).toContain(`usb ${busNumber}-1: Product: Innocent Stick`);
    expect(kernelLog).not.toMatch(/input: .*Innocent Stick/);
    expect(kernelLog).not.toContain(`usb-storage ${busNumber}-1:`);
    await vm.guest.sh('/usr/local/lib/mng-test/badusb-gadget.sh unplug');
    expect((await vm.guest.sh(`systemctl is-active ${agentUnit}`)).trim()).toBe('active');
  });
});
