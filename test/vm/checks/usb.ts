// USB device control on a real kernel (issue #9; docs/testing.md): the devices QEMU 7.2 emulates,
// present at power-on and hot-plugged through QMP, decided by the installed agent and read back
// from the kernel's own sysfs (authorized, interface authorization, bound drivers, block devices,
// network interfaces, ttys). The BadUSB case (storage + keyboard in one device), which QEMU cannot
// emulate, is a configfs gadget on dummy_hcd: a real composite device the guest's USB core
// enumerates on a bus that appears while the agent runs. Run by test/vm/terminal.test.ts.
import { mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { agentUnit, lastAuditSeq, waitForAudit, type PolicyDocument, type VmAuditRecord } from '../rig/agent';
import type { VmContext } from '../rig/context';
import type { VmUsbDevice } from '../rig/machine';

/** One device as the guest kernel shows it (test/vm/image/guest/usb-state.py). */
export interface KernelUsbDevice {
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

/** Stick images and the phone's folder the USB checks plug; made in the share folder before boot. */
export function prepareUsbShare(dir: string): void {
  mkdirSync(path.join(dir, 'phone'));
  writeFileSync(path.join(dir, 'phone', 'photo.jpg'), 'not really a photo');
  for (const name of ['bootstick.img', 'uas.img', 'stick2.img', 'approved.img', 'behind-hub.img', 'late-stick.img']) {
    const file = path.join(dir, name);
    writeFileSync(file, '');
    truncateSync(file, 16 * 1024 * 1024);
  }
}

/** The devices at power-on, on fixed ports (the hub's keyboard sits behind it on 1.1). */
export const usbBootDevices = (dir: string): VmUsbDevice[] => [
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

/** QEMU arguments the boot devices need, and the UAS disk. */
export const usbExtraArgs = (dir: string): string[] => [
  // usb-audio needs an audio backend, usb-serial a character device that is open (a file).
  '-audiodev', 'none,id=snd0',
  '-chardev', 'file,id=ser0,path=/dev/null',
  // A UAS disk, present at power-on: QEMU 7.2 attaches a hot-plugged usb-uas at full speed and the
  // guest's xHCI never enumerates it, so UAS is checked on the present path only.
  '-device', 'usb-uas,id=uas,bus=xhci.0,port=15',
  '-blockdev', `driver=raw,node-name=uas-disk,file.driver=file,file.filename=${path.join(dir, 'uas.img')}`,
  '-device', 'scsi-hd,bus=uas.0,drive=uas-disk,serial=UAS0001',
];

/** The USB rules of this machine's policy: an approved stick and a headset allowed per interface. */
export function usbPolicy(policy: PolicyDocument): void {
  policy.spec.usb.rules.splice(
    1,
    0,
    'allow id 46f4:0001 serial "APPROVED1" with-interface 08:06:50 label "approved-stick"',
    // A headset's controls, not its sound streams: per-interface targets on a real interface.
    'allow id 46f4:0002 interface-target { 01:01:* allow 01:02:* block } label "audio-control-only"',
  );
}

/** Reads the guest kernel's USB devices. */
export function usbDevices(ctx: VmContext): Promise<KernelUsbDevice[]> {
  return ctx
    .vm()
    .guest.sh('/usr/local/lib/mng-test/usb-state.py')
    .then((text) => JSON.parse(text) as KernelUsbDevice[]);
}

/** Waits until the kernel shows the device and `settled` holds for it. */
function waitDevice(ctx: VmContext, what: string, find: (all: KernelUsbDevice[]) => KernelUsbDevice | undefined, settled: (device: KernelUsbDevice) => boolean = () => true): Promise<KernelUsbDevice> {
  return ctx.vm().guest.waitFor(what, async () => {
    const device = find(await usbDevices(ctx));
    return device !== undefined && settled(device) ? device : undefined;
  });
}

/** Before the agent: the kernel bound every device (the control for what the agent changes). */
export function usbControlChecks(ctx: VmContext): void {
  it('before the agent the kernel has bound every device (the control for what follows)', async () => {
    // The SCSI scans behind the two disks finish a little after boot.
    await waitDevice(ctx, 'the UAS disk', (all) => all.find((device) => device.product === 'USB Attached SCSI HBA'), (device) => device.block.length === 1);
    const all = await usbDevices(ctx);
    expect(all.find((device) => device.serial === 'BOOTSTICK1')?.block.length).toBe(1);
    expect(all.find((device) => device.product === 'QEMU USB SERIAL')?.tty).toEqual(['ttyUSB0']);
    expect(all.filter((device) => device.authorized === '0')).toEqual([]);
  });

}

/** With the agent installed (usbPolicy): present devices, hot-plugs, a hub, an approved stick, BadUSB. */
export function usbChecks(ctx: VmContext): void {
  const auditFor = (what: string, port: string, type: string, afterSeq: number): Promise<VmAuditRecord> =>
    waitForAudit(ctx.vm().guest, what, (record) => record.type === type && record.data.port === port, { afterSeq });

  // A failed check leaves no device behind to confuse the next one.
  afterEach(async () => {
    await ctx.vm().unplugAll();
  });

  it('present devices (decided at the agent\'s start): input, hub and card reader kept; storage, MTP, network and serial blocked; audio per interface', async () => {
    const blocked = (device: KernelUsbDevice): boolean => device.authorized === '0';
    // The agent decides the present devices right after it starts: wait for the last one.
    await waitDevice(ctx, 'the serial adapter blocked', (all) => all.find((device) => device.product === 'QEMU USB SERIAL'), blocked);
    const all = await usbDevices(ctx);
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
    expect((await ctx.vm().guest.sh('ls /sys/block')).split(/\s+/).filter((name) => name.startsWith('sd'))).toEqual([]);
    expect(await ctx.vm().guest.sh('ls /dev')).not.toMatch(/ttyUSB/);
    const audio = find('QEMU USB Audio');
    expect(audio.authorized).toBe('1');
    expect(audio.interfaces.map((entry) => [entry.class.slice(0, 5), entry.authorized])).toEqual([
      ['01:01', '1'],
      ['01:02', '0'],
    ]);
    expect(audio.interfaces[1]?.driver).toBeNull();
    const records = await waitForAudit(ctx.vm().guest, 'the audio device decided', (record) => record.type === 'usb.allowed' && record.data.port === audio.port);
    expect(records.data).toMatchObject({ trigger: 'present', basis: { kind: 'rule' }, interfaces: [{ name: `${audio.port}:1.0`, authorized: true }, { name: `${audio.port}:1.1`, authorized: false }] });
  });

  it('hot-plugged through QMP: a keyboard is authorized by the agent; storage, MTP, network, serial are refused at the kernel', async () => {
    const seq = await lastAuditSeq(ctx.vm().guest);
    await ctx.vm().plug({ id: 'kbd2', driver: 'usb-kbd', props: { port: '10' } });
    const keyboard = await waitDevice(ctx, 'the new keyboard authorized', (all) => all.find((device) => device.port === '1-10'), (device) => device.authorized === '1' && device.interfaces[0]?.driver === 'usbhid');
    expect(keyboard.product).toBe('QEMU USB Keyboard');
    const allowed = await auditFor('keyboard allowed', '1-10', 'usb.allowed', seq);
    expect(allowed.data).toMatchObject({ trigger: 'hotplug', old: { authorized: false }, new: { authorized: true } });

    await ctx.vm().guest.sh('dmesg -C');
    await ctx.vm().qmp.execute('chardev-add', { id: 'ser1', backend: { type: 'file', data: { out: '/dev/null' } } });
    const refused: [VmUsbDevice, string][] = [
      [{ id: 'stick2', driver: 'usb-storage', image: path.join(ctx.share().dir, 'stick2.img'), props: { port: '11', serial: 'STICK2' } }, '1-11'],
      [{ id: 'mtp2', driver: 'usb-mtp', props: { port: '13', rootdir: path.join(ctx.share().dir, 'phone'), readonly: 'on' } }, '1-13'],
      [{ id: 'net2', driver: 'usb-net', props: { port: '14' } }, '1-14'],
      [{ id: 'serial2', driver: 'usb-serial', props: { port: '12', chardev: 'ser1' } }, '1-12'],
    ];
    for (const [device] of refused) await ctx.vm().plug(device);
    for (const [device, port] of refused) {
      const seen = await waitDevice(ctx, `${device.driver} on ${port}`, (all) => all.find((candidate) => candidate.port === port));
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
    expect(await ctx.vm().guest.sh('dmesg')).toContain('Device is not authorized for usage');
    for (const [device, port] of refused) {
      await ctx.vm().unplug(device.id);
      await ctx.vm().guest.waitFor(`${port} gone`, async () => ((await usbDevices(ctx)).some((candidate) => candidate.port === port) ? undefined : true));
      await auditFor(`${device.driver} detached`, port, 'usb.detached', seq);
    }
    await ctx.vm().unplug('kbd2');
  });

  it('behind a hot-plugged hub: the hub is allowed, the stick behind it blocked', async () => {
    const seq = await lastAuditSeq(ctx.vm().guest);
    await ctx.vm().plug({ id: 'hub2', driver: 'usb-hub', props: { port: '11' } });
    await waitDevice(ctx, 'the second hub authorized', (all) => all.find((device) => device.port === '1-11'), (device) => device.authorized === '1' && device.interfaces[0]?.driver === 'hub');
    await ctx.vm().plug({ id: 'behind', driver: 'usb-storage', image: path.join(ctx.share().dir, 'behind-hub.img'), props: { port: '11.3', serial: 'BEHINDHUB1' } });
    const stick = await waitDevice(ctx, 'the stick behind the hub', (all) => all.find((device) => device.serial === 'BEHINDHUB1'));
    expect(stick).toMatchObject({ port: '1-11.3', authorized: '0', block: [] });
    expect((await auditFor('stick behind the hub blocked', '1-11.3', 'usb.blocked', seq)).data).toMatchObject({ trigger: 'hotplug' });
    await ctx.vm().unplug('behind');
    await ctx.vm().unplug('hub2');
  });

  it('an approved stick (its serial in the policy) is authorized and its disk appears', async () => {
    const seq = await lastAuditSeq(ctx.vm().guest);
    await ctx.vm().plug({ id: 'approved', driver: 'usb-storage', image: path.join(ctx.share().dir, 'approved.img'), props: { port: '12', serial: 'APPROVED1' } });
    const stick = await waitDevice(ctx, 'the approved stick with its disk', (all) => all.find((device) => device.serial === 'APPROVED1'), (device) => device.block.length === 1);
    expect(stick.authorized).toBe('1');
    expect(stick.interfaces[0]?.driver).toBe('usb-storage');
    expect((await ctx.vm().guest.sh(`cat /sys/block/${stick.block[0]}/size`)).trim()).toBe(String((16 * 1024 * 1024) / 512));
    expect((await auditFor('approved stick allowed', stick.port, 'usb.allowed', seq)).data).toMatchObject({ trigger: 'hotplug', basis: { kind: 'rule' } });
    await ctx.vm().unplug('approved');
    await ctx.vm().guest.waitFor('the approved disk gone', async () => ((await ctx.vm().guest.sh('ls /sys/block')).includes(stick.block[0] ?? '?') ? undefined : true));
  });

  it('BadUSB stand-in: a storage+keyboard composite on a bus that appears later is born deauthorized and rejected (logically removed)', async () => {
    const seq = await lastAuditSeq(ctx.vm().guest);
    await ctx.vm().guest.sh('/usr/local/lib/mng-test/badusb-gadget.sh load');
    // The new bus started closed (usbcore's parameter set by the agent) and the agent saw it come.
    const bus = await waitDevice(ctx, 'the dummy bus', (all) => all.find((device) => device.product === 'Dummy host controller'));
    expect(bus.authorizedDefault).toBe('0');
    const hubRecord = await auditFor('the new root hub secured', bus.port, 'usb.allowed', seq);
    expect(hubRecord.data).toMatchObject({ trigger: 'hotplug', basis: { kind: 'root-hub' } });
    expect((await ctx.vm().guest.sh('cat /sys/module/usbcore/parameters/authorized_default')).trim()).toBe('0');

    await ctx.vm().guest.sh('/usr/local/lib/mng-test/badusb-gadget.sh plug');
    const busNumber = bus.port.replace('usb', '');
    const record = await auditFor('the composite rejected', `${busNumber}-1`, 'usb.rejected', seq);
    expect(record.data).toMatchObject({ trigger: 'hotplug', interfaces: [], writes: [`${busNumber}-1/remove=1`], new: { authorized: 'removed' } });
    expect(JSON.stringify(record.data)).toContain('badusb-storage-hid');
    // Logically removed: gone from the bus although still plugged; no disk, no keyboard ever bound.
    await ctx.vm().guest.waitFor('the composite gone from the bus', async () => ((await usbDevices(ctx)).some((device) => device.port === `${busNumber}-1`) ? undefined : true));
    expect((await ctx.vm().guest.sh('ls /sys/block')).split(/\s+/).filter((name) => name.startsWith('sd'))).toEqual([]);
    // Neither function ever had a driver: no input device, no storage host for it in the kernel log.
    const kernelLog = await ctx.vm().guest.sh('dmesg');
    expect(kernelLog).toContain(`usb ${busNumber}-1: Product: Innocent Stick`);
    expect(kernelLog).not.toMatch(/input: .*Innocent Stick/);
    expect(kernelLog).not.toContain(`usb-storage ${busNumber}-1:`);
    await ctx.vm().guest.sh('/usr/local/lib/mng-test/badusb-gadget.sh unplug');
    expect((await ctx.vm().guest.sh(`systemctl is-active ${agentUnit}`)).trim()).toBe('active');
  });
}
