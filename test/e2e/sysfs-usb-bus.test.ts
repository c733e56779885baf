// SysfsUsbBus (src/agent/platform/linux) on fixture trees built in temp dirs: what only the real
// adapter can get wrong — links, odd files, bytes on disk, limits — and a 10,000-device tree.
// The behaviour it shares with the in-memory fake is in test/contracts/usb-bus.test.ts.
import { mkdirSync, readdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SysfsUsbBus } from '../../src/agent/platform/linux';
import { computeUsbDeviceHash, decodeUsbString, hashUsbSysfsPath, parseUsbDeviceFacts, type UsbDevice, type UsbDeviceRead } from '../../src/agent/usb';
import { ErrorCode, isMngError } from '../../src/shared/errors';
import {
  hex,
  keyboardSpec,
  makeSysfsRoot,
  readSysfsText,
  rootHubSpec,
  specDescriptors,
  stickSpec,
  writeSysfsTree,
  type SysfsDeviceSpec,
  type SysfsTreeOptions,
} from '../helpers/sysfs-tree';

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
});

function tree(specs: readonly SysfsDeviceSpec[], options: SysfsTreeOptions = {}): { root: string; bus: SysfsUsbBus } {
  const made = makeSysfsRoot('mng-sysfs-bus-');
  cleanup = made.cleanup;
  writeSysfsTree(made.root, specs, options);
  return { root: made.root, bus: new SysfsUsbBus({ sysfsRoot: made.root, parseFacts: parseUsbDeviceFacts }) };
}

const portOf = (read: UsbDeviceRead): string => (read.ok ? read.device.port : read.failure.port);
function okDevice(read: UsbDeviceRead | undefined): UsbDevice {
  if (read === undefined || !read.ok) throw new Error(`expected a device, got ${JSON.stringify(read)}`);
  return read.device;
}
const stickDir = '/devices/pci0000:00/0000:00:14.0/usb1/1-3';

describe('SysfsUsbBus: reading', () => {
  it('reads a non-UTF-8 serial byte for byte: lossless in the model, raw in the hash', async () => {
    const raw = hex('44 45 4d 4f ff 00 fe');
    const { bus } = tree([rootHubSpec(), stickSpec('1-3', { serial: raw })]);
    const stick = okDevice(await bus.readDevice('1-3'));
    // The trailing newline is trimmed; the NUL inside stays.
    expect(stick.serial).toBe(decodeUsbString(raw));
    expect(stick.serial).toBe('DEMO\udcff\u0000\udcfe');
    expect(stick.hash).toBe(computeUsbDeviceHash({ name: 'Demo Stick', vendorId: '1234', productId: '5678', serial: stick.serial, descriptors: specDescriptors(stickSpec()) }));
    expect(stick.weakIdentity).toEqual(['serial-not-printable']);
  });

  it('reads a Japanese product name as text', async () => {
    const { bus } = tree([rootHubSpec(), stickSpec('1-3', { name: 'マイナンバーカードリーダー' })]);
    expect(okDevice(await bus.readDevice('1-3')).name).toBe('マイナンバーカードリーダー');
  });

  it('reports missing and unreadable attributes as failures of that device only', async () => {
    const { root, bus } = tree([rootHubSpec(), stickSpec('1-3'), stickSpec('1-4', { serial: 'S2' }), keyboardSpec('1-5')]);
    unlinkSync(path.join(root, stickDir, 'descriptors'));
    // A directory where a file should be: reading it fails with EISDIR (as root, permissions cannot make a file unreadable).
    unlinkSync(path.join(root, '/devices/pci0000:00/0000:00:14.0/usb1/1-4/serial'));
    mkdirSync(path.join(root, '/devices/pci0000:00/0000:00:14.0/usb1/1-4/serial'));
    const reads = await bus.listDevices();
    expect(reads.map((read) => (read.ok ? 'ok' : read.failure))).toEqual([
      'ok',
      { port: '1-3', code: 'attribute-missing', detail: 'descriptors is missing' },
      { port: '1-4', code: 'attribute-unreadable', detail: 'serial could not be read (EISDIR)' },
      'ok',
    ]);
  });

  it('refuses an attribute larger than a sysfs page instead of reading it whole', async () => {
    const { bus } = tree([rootHubSpec(), stickSpec('1-3', { name: 'x'.repeat(5000) })]);
    expect(await bus.readDevice('1-3')).toEqual({ ok: false, failure: { port: '1-3', code: 'attribute-unreadable', detail: 'product could not be read (too-large)' } });
  });

  it('fails closed on truncated descriptors', async () => {
    const { bus } = tree([rootHubSpec(), stickSpec('1-3', { descriptors: specDescriptors(stickSpec()).subarray(0, 40) })]);
    const read = await bus.readDevice('1-3');
    expect(read?.ok === false && read.failure.code).toBe('descriptors-invalid');
  });

  it('reads the parent chain for one device: its hash needs its hub', async () => {
    const hub: SysfsDeviceSpec = { port: '1-1', vendorId: '1234', productId: '4b0b', name: 'Hub', serial: 'H', deviceClass: '09', interfaces: ['09:00:00'] };
    const { root, bus } = tree([rootHubSpec(), hub, keyboardSpec('1-1.4')]);
    const keyboard = okDevice(await bus.readDevice('1-1.4'));
    expect(keyboard.parentHash).toBe(okDevice(await bus.readDevice('1-1')).hash);
    // A broken hub leaves the device behind it without a parent hash: fail closed.
    writeFileSync(path.join(root, '/devices/pci0000:00/0000:00:14.0/usb1/1-1/idVendor'), 'zzzz\n');
    expect(await bus.readDevice('1-1.4')).toMatchObject({ ok: false, failure: { code: 'parent-unreadable' } });
  });

  it('refuses a link that leads outside the sysfs root, or to a directory of another name', async () => {
    const { root, bus } = tree([rootHubSpec(), stickSpec('1-3'), stickSpec('1-4', { serial: 'S4' })]);
    const outside = makeSysfsRoot('mng-sysfs-outside-');
    try {
      writeSysfsTree(outside.root, [rootHubSpec(), stickSpec('1-3')]);
      unlinkSync(path.join(root, 'bus/usb/devices/1-3'));
      symlinkSync(path.join(outside.root, stickDir), path.join(root, 'bus/usb/devices/1-3'));
      unlinkSync(path.join(root, 'bus/usb/devices/1-4'));
      symlinkSync(`../../..${stickDir}`, path.join(root, 'bus/usb/devices/1-4'));
      const reads = await bus.listDevices();
      expect(reads.filter((read) => !read.ok).map((read) => !read.ok && [read.failure.port, read.failure.code])).toEqual([
        ['1-3', 'location-unresolved'],
        ['1-4', 'location-unresolved'],
      ]);
    } finally {
      outside.cleanup();
    }
  });

  it('accepts a real directory in bus/usb/devices as USBGuard does; its parent is that directory', async () => {
    const { root, bus } = tree([rootHubSpec()]);
    const dir = path.join(root, 'bus/usb/devices/1-3');
    mkdirSync(dir);
    const files: Record<string, string | Uint8Array> = { idVendor: '1234\n', idProduct: '5678\n', authorized: '1\n', descriptors: specDescriptors(stickSpec()) };
    for (const [name, value] of Object.entries(files)) writeFileSync(path.join(dir, name), value);
    const stick = okDevice(await bus.readDevice('1-3'));
    expect(stick.parentHash).toBe(hashUsbSysfsPath('/bus/usb/devices'));
  });

  it('ignores entries that are neither devices nor interfaces', async () => {
    const { root, bus } = tree([rootHubSpec(), stickSpec('1-3')]);
    writeFileSync(path.join(root, 'bus/usb/devices/README'), 'x');
    mkdirSync(path.join(root, 'bus/usb/devices/usb1-port3'));
    expect((await bus.listDevices()).map(portOf)).toEqual(['usb1', '1-3']);
  });

  it('lists nothing and reports no capability where there is no USB subsystem', async () => {
    const made = makeSysfsRoot('mng-sysfs-empty-');
    cleanup = made.cleanup;
    const bus = new SysfsUsbBus({ sysfsRoot: made.root, parseFacts: parseUsbDeviceFacts });
    expect(await bus.listDevices()).toEqual([]);
    expect(await bus.readDevice('1-3')).toBeUndefined();
    expect(await bus.capabilities()).toEqual({ present: false, deviceAuthorization: false, interfaceAuthorization: false, authorizedDefault: false, newBusAuthorizedDefault: false });
  });

  it('reports the capabilities the tree really has', async () => {
    const old = rootHubSpec(1, { attributes: { interface_authorized_default: null } });
    expect(await tree([old]).bus.capabilities()).toEqual({ present: true, deviceAuthorization: true, interfaceAuthorization: false, authorizedDefault: true, newBusAuthorizedDefault: true });
    cleanup?.();
    // usbcore built without the parameter (or not loaded): buses created later are not covered.
    expect(await tree([rootHubSpec()], { usbcoreParameter: false }).bus.capabilities()).toMatchObject({ newBusAuthorizedDefault: false, authorizedDefault: true });
    cleanup?.();
    expect(await tree([rootHubSpec()], { driversProbe: false }).bus.capabilities()).toMatchObject({ interfaceAuthorization: false });
    cleanup?.();
    expect(await tree([rootHubSpec(1), rootHubSpec(2, { attributes: { authorized_default: null } })]).bus.capabilities()).toMatchObject({
      authorizedDefault: false,
      deviceAuthorization: true,
    });
    cleanup?.();
    // A bus without root hubs: nothing to configure, so nothing can be claimed.
    expect(await tree([stickSpec('1-3')]).bus.capabilities()).toEqual({ present: true, deviceAuthorization: false, interfaceAuthorization: false, authorizedDefault: false, newBusAuthorizedDefault: true });
  });
});

describe('SysfsUsbBus: writing', () => {
  it('writes exactly the bytes the kernel expects, replacing the old content', async () => {
    const { root, bus } = tree([rootHubSpec(), stickSpec('1-3')]);
    await bus.setDeviceAuthorized('1-3', false);
    await bus.setInterfaceAuthorized('1-3:1.0', false);
    await bus.setAuthorizedDefault('usb1', 2);
    await bus.setInterfaceAuthorizedDefault('usb1', false);
    await bus.probeInterface('1-3:1.0');
    await bus.removeDevice('1-3');
    expect(readSysfsText(root, `${stickDir}/authorized`)).toBe('0');
    expect(readSysfsText(root, `${stickDir}/1-3:1.0/authorized`)).toBe('0');
    expect(readSysfsText(root, 'bus/usb/devices/usb1/authorized_default')).toBe('2');
    expect(readSysfsText(root, 'bus/usb/devices/usb1/interface_authorized_default')).toBe('0');
    expect(readSysfsText(root, 'bus/usb/drivers_probe')).toBe('1-3:1.0');
    expect(readSysfsText(root, `${stickDir}/remove`)).toBe('1');
  });

  it('never creates a missing attribute: the write fails with the path and errno', async () => {
    const { root, bus } = tree([rootHubSpec(), stickSpec('1-3')], { driversProbe: false });
    const error = await bus.probeInterface('1-3:1.0').then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(isMngError(error) && error.code).toBe(ErrorCode.UsbApplyFailed);
    expect(isMngError(error) && error.text.en).toBe(`cannot write "1-3:1.0" to ${path.join(root, 'bus/usb/drivers_probe')} (ENOENT)`);
    expect(isMngError(error) && error.text.ja).toContain('ENOENT');
    expect(isMngError(error) && error.hint?.en).toContain('per-interface authorization needs 4.4');
    expect(readdirSync(path.join(root, 'bus/usb'))).toEqual(['devices']);
  });

  it('reports the errno of a refused write', async () => {
    const { root, bus } = tree([rootHubSpec(), stickSpec('1-3')]);
    rmSync(path.join(root, stickDir, 'authorized'));
    mkdirSync(path.join(root, stickDir, 'authorized'));
    const error = await bus.setDeviceAuthorized('1-3', true).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(isMngError(error) && [error.code, error.text.en]).toEqual([
      ErrorCode.UsbApplyFailed,
      `cannot write "1" to ${path.join(root, 'bus/usb/devices/1-3/authorized')} (EISDIR)`,
    ]);
  });
});

describe('SysfsUsbBus: 10,000 devices', () => {
  it('lists them all in order with a bounded number of open files', async () => {
    // 40 root hubs with 250 devices each; the minimal attributes keep the tree quick to write.
    const specs: SysfsDeviceSpec[] = [];
    for (let bus = 1; bus <= 40; bus += 1) {
      specs.push(rootHubSpec(bus, { manufacturer: undefined }));
      for (let port = 1; port <= 250; port += 1) {
        specs.push({ port: `${bus}-${port}`, vendorId: '1234', productId: '5678', serial: `S${bus}-${port}`, interfaces: ['08:06:50'], connectType: null });
      }
    }
    const { bus } = tree(specs);
    const openFiles = (): number => readdirSync('/proc/self/fd').length;
    const baseline = openFiles();
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, openFiles());
    }, 1);
    let reads: UsbDeviceRead[];
    try {
      reads = await bus.listDevices();
    } finally {
      clearInterval(sampler);
    }
    expect(reads).toHaveLength(10_040);
    expect(reads.every((read) => read.ok)).toBe(true);
    expect(reads.slice(0, 3).map(portOf)).toEqual(['usb1', 'usb2', 'usb3']);
    expect(reads.slice(40, 43).map(portOf)).toEqual(['1-1', '1-2', '1-3']);
    expect(portOf(reads.at(-1) as UsbDeviceRead)).toBe('40-250');
    const last = okDevice(reads.at(-1));
    expect(last.parentHash).toBe(okDevice(reads[39]).hash);
    expect(last.weakIdentity).toEqual([]);
    // 16 devices in flight, one file each, plus the runtime's own churn.
    expect(peak - baseline).toBeLessThan(64);
  }, 120_000);
});
