// The umockdev test rig itself: the hand-written recordings are consistent with their own
// `descriptors` blobs and with the conventions of test/fixtures/umockdev/README.md, they load
// under umockdev (lsusb lists them with their interface classes), and the driver plugs, unplugs,
// reads and cleans up as test/helpers/umockdev.ts promises.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { needTools } from '../helpers/system-tools';
import { startUmockdevTestbed, umockdevFixturesDir, type UmockdevTestbed } from '../helpers/umockdev';

interface Block {
  readonly path: string;
  readonly node: string | undefined;
  readonly env: ReadonlyMap<string, string>;
  /** Attribute values as written in the file (C escapes not decoded). */
  readonly attrs: ReadonlyMap<string, string>;
  readonly hex: ReadonlyMap<string, string>;
  readonly links: ReadonlyMap<string, string>;
}

function parseRecording(text: string): Block[] {
  return text
    .split(/\n\n+/)
    .filter((chunk) => chunk.trim() !== '')
    .map((chunk) => {
      const block = { path: '', node: undefined as string | undefined, env: new Map<string, string>(), attrs: new Map<string, string>(), hex: new Map<string, string>(), links: new Map<string, string>() };
      for (const line of chunk.split('\n').filter((entry) => entry !== '')) {
        const [, prefix, rest] = /^([PNEAHL]): (.*)$/.exec(line) ?? [];
        if (prefix === undefined || rest === undefined) throw new Error(`not a umockdev line: ${line}`);
        if (prefix === 'P') block.path = rest;
        else if (prefix === 'N') block.node = rest;
        else {
          const at = rest.indexOf('=');
          const map = { E: block.env, A: block.attrs, H: block.hex, L: block.links }[prefix];
          map?.set(rest.slice(0, at), rest.slice(at + 1));
        }
      }
      return block;
    });
}

interface InterfaceDescriptor {
  readonly number: number;
  readonly alternate: number;
  readonly endpoints: number;
  readonly endpointsSeen: number;
  readonly classes: string;
}

/** Walks a `descriptors` blob by bLength (never by wTotalLength), as the kernel documents. */
function walkDescriptors(hex: string) {
  const bytes = Buffer.from(hex, 'hex');
  expect(bytes.length * 2).toBe(hex.length);
  const device = bytes.subarray(0, 18);
  expect([device[0], device[1]]).toEqual([18, 1]);
  const config = bytes.subarray(18);
  expect([config[0], config[1]]).toEqual([9, 2]);
  const interfaces: InterfaceDescriptor[] = [];
  let offset = 18;
  while (offset < bytes.length) {
    const length = bytes[offset] as number;
    const type = bytes[offset + 1] as number;
    expect(length).toBeGreaterThanOrEqual(2);
    expect(offset + length).toBeLessThanOrEqual(bytes.length);
    if (type === 4) {
      expect(length).toBe(9);
      const hex2 = (value: number | undefined) => (value ?? 0).toString(16).padStart(2, '0');
      interfaces.push({
        number: bytes[offset + 2] as number,
        alternate: bytes[offset + 3] as number,
        endpoints: bytes[offset + 4] as number,
        endpointsSeen: 0,
        classes: `${hex2(bytes[offset + 5])}:${hex2(bytes[offset + 6])}:${hex2(bytes[offset + 7])}`,
      });
    } else if (type === 5) {
      expect(length).toBe(7);
      const last = interfaces.at(-1);
      expect(last).toBeDefined();
      interfaces[interfaces.length - 1] = { ...(last as InterfaceDescriptor), endpointsSeen: (last as InterfaceDescriptor).endpointsSeen + 1 };
    }
    offset += length;
  }
  return {
    vendorId: device.readUInt16LE(8).toString(16).padStart(4, '0'),
    productId: device.readUInt16LE(10).toString(16).padStart(4, '0'),
    bcdDevice: device.readUInt16LE(12).toString(16).padStart(4, '0'),
    deviceClass: (device[4] as number).toString(16).padStart(2, '0'),
    stringIndexes: { manufacturer: device[14], product: device[15], serial: device[16] },
    totalLength: config.readUInt16LE(2),
    configLength: config.length,
    numInterfaces: config[4] as number,
    interfaces,
  };
}

const recordingFiles = readdirSync(umockdevFixturesDir).filter((name) => name.endsWith('.umockdev')).sort();
const recordings = new Map(recordingFiles.map((name) => [name, parseRecording(readFileSync(path.join(umockdevFixturesDir, name), 'utf8'))]));
const isDevice = (block: Block) => block.env.get('DEVTYPE') === 'usb_device';
const stripNewline = (value: string | undefined) => value?.replace(/\\n$/, '');
const connectTypes = ['hotplug', 'hardwired', 'not used', 'unknown'];

describe('umockdev recordings (test/fixtures/umockdev)', () => {
  it('include the root hub and every device kind the USB tests need', () => {
    expect(recordingFiles).toEqual(
      expect.arrayContaining([
        'root-hub.umockdev',
        'usb-hub.umockdev',
        'usb-stick-generic.umockdev',
        'hid-keyboard-no-serial.umockdev',
        'ccid-card-reader.umockdev',
        'badusb-stick-keyboard.umockdev',
        'android-phone-mtp.umockdev',
        'android-phone-ptp.umockdev',
        'usb-ethernet-cdc-ecm.umockdev',
      ]),
    );
  });

  it.each(recordingFiles)('%s: every block follows the conventions and matches its descriptors', (name) => {
    const blocks = recordings.get(name) ?? [];
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) {
      expect(block.path, block.path).toMatch(/^\/devices\//);
      expect(block.env.get('SUBSYSTEM'), block.path).toBe('usb');
      expect(block.attrs.get('authorized'), block.path).toBe('1\\n');
      // dev-environment.md §3.2: values end in \n like real sysfs.
      for (const [attr, value] of block.attrs) expect(value, `${block.path} ${attr}`).toMatch(/\\n$/);
    }
    for (const device of blocks.filter(isDevice)) {
      const name = path.basename(device.path);
      const where = device.path;
      expect(name, where).toMatch(/^(?:usb[0-9]+|[0-9]+-[0-9]+(?:\.[0-9]+)*)$/);
      expect(device.env.get('DRIVER'), where).toBe('usb');
      const busnum = Number(stripNewline(device.attrs.get('busnum')));
      const devnum = Number(stripNewline(device.attrs.get('devnum')));
      const node = `bus/usb/${String(busnum).padStart(3, '0')}/${String(devnum).padStart(3, '0')}`;
      expect(device.node, where).toBe(node);
      expect(device.env.get('DEVNAME'), where).toBe(`/dev/${node}`);
      const descriptors = walkDescriptors(device.hex.get('descriptors') ?? '');
      expect(stripNewline(device.attrs.get('idVendor')), where).toBe(descriptors.vendorId);
      expect(stripNewline(device.attrs.get('idProduct')), where).toBe(descriptors.productId);
      expect(stripNewline(device.attrs.get('bDeviceClass')), where).toBe(descriptors.deviceClass);
      const hexNoZeros = (value: string) => Number.parseInt(value, 16).toString(16);
      expect(device.env.get('PRODUCT'), where).toBe(`${hexNoZeros(descriptors.vendorId)}/${hexNoZeros(descriptors.productId)}/${hexNoZeros(descriptors.bcdDevice)}`);
      // A string attribute exists exactly when the descriptor names a string for it.
      for (const attr of ['manufacturer', 'product', 'serial'] as const) {
        expect(device.attrs.has(attr), `${where} ${attr}`).toBe(descriptors.stringIndexes[attr] !== 0);
      }
      expect(descriptors.totalLength, where).toBe(descriptors.configLength);
      expect(new Set(descriptors.interfaces.map((entry) => entry.number)).size, where).toBe(descriptors.numInterfaces);
      for (const entry of descriptors.interfaces) expect(entry.endpointsSeen, `${where} interface ${entry.number}.${entry.alternate}`).toBe(entry.endpoints);

      const isRootHub = name.startsWith('usb');
      if (isRootHub) {
        expect(stripNewline(device.attrs.get('bDeviceClass')), where).toBe('09');
        expect(device.attrs.get('authorized_default'), where).toBe('1\\n');
        expect(device.attrs.get('interface_authorized_default'), where).toBe('1\\n');
      } else {
        expect(connectTypes, where).toContain(stripNewline(device.attrs.get('port/connect_type')));
      }

      // Interfaces: the sysfs blocks below this device are the active alternate settings.
      const interfaceBlocks = blocks.filter((block) => block.env.get('DEVTYPE') === 'usb_interface' && path.dirname(block.path) === device.path);
      expect(interfaceBlocks.length, where).toBe(descriptors.numInterfaces);
      for (const block of interfaceBlocks) {
        const number = Number.parseInt(stripNewline(block.attrs.get('bInterfaceNumber')) ?? '', 16);
        const alternate = Number(stripNewline(block.attrs.get('bAlternateSetting')));
        expect(path.basename(block.path), block.path).toBe(`${isRootHub ? `${name.slice(3)}-0` : name}:1.${number}`);
        const classes = ['bInterfaceClass', 'bInterfaceSubClass', 'bInterfaceProtocol'].map((attr) => stripNewline(block.attrs.get(attr))).join(':');
        const described = descriptors.interfaces.find((entry) => entry.number === number && entry.alternate === alternate);
        expect(described?.classes, block.path).toBe(classes);
        expect(block.env.get('INTERFACE'), block.path).toBe(classes.split(':').map((code) => Number.parseInt(code, 16)).join('/'));
      }
    }
  });

  it('cover the weak-identity cases: a device without serial and two devices sharing one', () => {
    const devices = [...recordings.values()].flat().filter(isDevice).filter((block) => !path.basename(block.path).startsWith('usb'));
    expect(devices.some((block) => !block.attrs.has('serial') && stripNewline(block.attrs.get('bDeviceClass')) !== '09')).toBe(true);
    const serials = devices.map((block) => block.attrs.get('serial')).filter((serial) => serial !== undefined);
    expect(new Set(serials).size).toBeLessThan(serials.length);
  });
});

describe.skipIf(!needTools('umockdev-run', 'lsusb'))('umockdev recordings load', () => {
  const devicesOf = (name: string) => (recordings.get(name) ?? []).filter(isDevice);
  // The parents a recording needs; none when it brings its own root hub.
  const withParents = (name: string) => {
    const ownRootHub = devicesOf(name).some((block) => path.basename(block.path).startsWith('usb'));
    return [...(ownRootHub ? [] : ['root-hub.umockdev']), ...(name === 'android-phone-ptp.umockdev' ? ['usb-hub.umockdev'] : []), name];
  };

  it.each(recordingFiles.filter((name) => name !== 'root-hub.umockdev'))(
    '%s: lsusb lists it and lsusb -v shows its interface classes',
    (name) => {
      const files = [...new Set(withParents(name))].flatMap((file) => ['-d', path.join(umockdevFixturesDir, file)]);
      for (const device of devicesOf(name)) {
        const descriptors = walkDescriptors(device.hex.get('descriptors') ?? '');
        const bus = stripNewline(device.attrs.get('busnum')) ?? '';
        const dev = stripNewline(device.attrs.get('devnum')) ?? '';
        const listed = spawnSync('umockdev-run', [...files, '--', 'lsusb', '-d', `${descriptors.vendorId}:${descriptors.productId}`], { encoding: 'utf8', timeout: 10_000 });
        expect(listed.stdout, listed.stderr).toContain(`Device ${dev.padStart(3, '0')}: ID ${descriptors.vendorId}:${descriptors.productId}`);
        const verbose = spawnSync('umockdev-run', [...files, '--', 'lsusb', '-v', '-s', `${bus}:${dev}`], { encoding: 'utf8', timeout: 10_000 });
        const shown = [...verbose.stdout.matchAll(/bInterfaceClass\s+([0-9]+)/g)].map((match) => Number(match[1]));
        expect(shown, verbose.stderr).toEqual(descriptors.interfaces.map((entry) => Number.parseInt(entry.classes.slice(0, 2), 16)));
      }
    },
  );
});

describe.skipIf(!needTools('umockdev-wrapper', 'lsusb'))('umockdev driver', () => {
  const usb1 = '/sys/devices/pci0000:00/0000:00:14.0/usb1';
  let bed: UmockdevTestbed | undefined;
  afterEach(async () => {
    await bed?.stop();
    bed = undefined;
  });

  it('plugs, reads, refuses a duplicate, unplugs a hub with its children and plugs them again', async () => {
    bed = await startUmockdevTestbed({ recordings: ['root-hub.umockdev', 'usb-hub.umockdev'] });
    expect(existsSync(path.join(bed.root, 'bus/usb/devices/1-6'))).toBe(true);
    const phone = await bed.add('android-phone-ptp.umockdev');
    expect(phone.syspaths).toEqual([`${usb1}/1-6/1-6.2`, `${usb1}/1-6/1-6.2/1-6.2:1.0`]);
    expect(phone.doneMs).toBeGreaterThanOrEqual(phone.atMs);
    expect(await bed.readAttr(`${usb1}/1-6/1-6.2/1-6.2:1.0`, 'interface')).toBe('PTP\n');

    await expect(bed.add('android-phone-ptp.umockdev')).rejects.toThrow(/1-6\.2 is already in the testbed/);
    await expect(bed.readAttr(`${usb1}/1-3`, 'authorized')).rejects.toThrow(/no device .*1-3 in the testbed/);
    await expect(bed.uevent(`${usb1}/1-6`, 'explode')).rejects.toThrow(/action 'explode'/);

    // Children first, interfaces before their device, as the kernel sends them.
    const removed = await bed.remove(`${usb1}/1-6`);
    expect(removed.syspaths).toEqual([`${usb1}/1-6/1-6.2/1-6.2:1.0`, `${usb1}/1-6/1-6.2`, `${usb1}/1-6/1-6:1.0`, `${usb1}/1-6`]);
    expect(existsSync(path.join(bed.root, 'bus/usb/devices/1-6.2'))).toBe(false);
    // umockdev would abort on a stale /sys/bus link here; the driver removes each device.
    await bed.add('usb-hub.umockdev');
    await bed.add('android-phone-ptp.umockdev');
    expect(await bed.readAttr(`${usb1}/1-6/1-6.2`, 'idProduct')).toBe('4ee5\n');
  });

  it('gives children an env that shows them the testbed', async () => {
    bed = await startUmockdevTestbed({ recordings: ['root-hub.umockdev', 'ccid-card-reader.umockdev'] });
    const listed = spawnSync('lsusb', { env: { ...process.env, ...bed.env }, encoding: 'utf8', timeout: 10_000 });
    expect(listed.stdout).toContain('ID 04e6:5116');
    // Under the preload, Node's fs fails on /sys itself (dev-environment.md §3.3) but works on the
    // testbed root, which is what an adapter with an injected sysfs root reads.
    const script = `const fs = require('node:fs'); process.stdout.write(JSON.stringify(fs.readdirSync(process.argv[1] + '/bus/usb/devices').sort()));`;
    const node = spawnSync(process.execPath, ['-e', script, bed.root], { env: { ...process.env, ...bed.env }, encoding: 'utf8', timeout: 10_000 });
    expect(JSON.parse(node.stdout)).toEqual(['1-0:1.0', '1-4', '1-4:1.0', 'usb1']);
  });

  it('stop() ends the driver, deletes the testbed and is idempotent', async () => {
    const started = await startUmockdevTestbed({ recordings: ['root-hub.umockdev'] });
    expect(existsSync(started.dir)).toBe(true);
    await started.stop();
    await started.stop();
    expect(existsSync(started.dir)).toBe(false);
    await expect(started.readAttr(usb1, 'authorized')).rejects.toThrow(/stopped/);
  });

  it('fails to start with a clear message, leaving nothing behind, when a recording is missing', async () => {
    await expect(startUmockdevTestbed({ recordings: ['no-such-device.umockdev'] })).rejects.toThrow(/cannot read recording .*no-such-device\.umockdev/);
  });
});
