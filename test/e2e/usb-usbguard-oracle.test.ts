// Differential test of the device identity against USBGuard itself. `usbguard generate-policy`
// cannot read a umockdev testbed (dev-environment.md §3.6), but it reads any tree mounted on /sys:
// the fixture tree is bind-mounted over /sys in a private mount namespace (`unshare -m`, root only;
// nothing outside the child process sees it), and every rule USBGuard 1.1.2 prints is compared with
// what SysfsUsbBus reads from the same tree: id, serial, name, hash, parent-hash, with-interface,
// with-connect-type. Devices USBGuard refuses (no rule printed) must be failures here too, except
// the documented cases where mynumber-guard is stricter.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SysfsUsbBus } from '../../src/agent/platform/linux';
import { escapeUsbString, parseUsbDeviceFacts, type UsbDeviceRead } from '../../src/agent/usb';
import {
  buildDescriptors,
  cardReaderSpec,
  compositeSpec,
  ethernetSpec,
  hex,
  keyboardSpec,
  makeSysfsRoot,
  phoneSpec,
  rootHubSpec,
  specDescriptors,
  stickSpec,
  writeSysfsTree,
  type SysfsDeviceSpec,
} from '../helpers/sysfs-tree';
import { needTools } from '../helpers/system-tools';

/** True when this process may bind-mount in a private mount namespace; under CI=true it must. */
function canMountPrivately(): boolean {
  const ok = spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs none /mnt'], { stdio: 'ignore' }).status === 0;
  if (ok) return true;
  const reason = 'cannot bind-mount in a private mount namespace (needs root / CAP_SYS_ADMIN)';
  if (process.env.CI === 'true') throw new Error(`CI=true: ${reason}`);
  process.stderr.write(`skipping: ${reason}\n`);
  return false;
}

const hub: SysfsDeviceSpec = { port: '1-1', vendorId: '1234', productId: '4b0b', name: 'Demo Hub', serial: 'HUB1', deviceClass: '09', interfaces: ['09:00:00'] };
const stickDescriptors = specDescriptors(stickSpec());

/** Devices both implementations must read identically. */
const agreed: SysfsDeviceSpec[] = [
  rootHubSpec(1),
  // A connect_type file on a root hub is ignored by USBGuard (with-connect-type "").
  rootHubSpec(2, { productId: '0003', bcdUsb: 0x0310, descriptors: undefined, connectType: 'hardwired' }),
  hub,
  keyboardSpec('1-1.2'),
  stickSpec('1-3'),
  keyboardSpec('1-4'),
  cardReaderSpec('1-5'),
  compositeSpec('1-6'),
  phoneSpec('1-7'),
  ethernetSpec('1-8'),
  stickSpec('1-9', { serial: hex('ff fe 41 01 22 5c'), name: '日本語の名前' }),
  stickSpec('1-10', { serial: 'TAB\t', name: 'Trailing space ' }),
  stickSpec('1-11', { serial: undefined, name: undefined, manufacturer: undefined, connectType: 'hardwired' }),
  {
    port: '1-12',
    vendorId: '1234',
    productId: '0c0c',
    serial: 'MULTI',
    configurations: [
      { value: 1, interfaces: [{ type: '08:06:50' }, { type: '03:01:01', number: 0, alternateSetting: 1 }, { type: 'ff:00:00', number: 1 }] },
      { value: 2, interfaces: [{ type: '02:06:00' }, { type: '0a:00:00' }] },
    ],
  },
];

/** Devices both implementations refuse (USBGuard prints no rule and rejects them). */
const refused: SysfsDeviceSpec[] = [
  stickSpec('2-1', { descriptors: stickDescriptors.subarray(0, 30) }),
  stickSpec('2-2', { descriptors: Uint8Array.from([...stickDescriptors, 0x00]) }),
  stickSpec('2-3', { descriptors: Uint8Array.from([...stickDescriptors.subarray(0, 18), 0x00, 0x02, 0x00, 0x00]) }),
  stickSpec('2-4', { attributes: { idVendor: null } }),
  stickSpec('2-5', { attributes: { descriptors: null } }),
  stickSpec('2-6', { descriptors: hex(`${'12 01 00 02 00 00 00 40 34 12 78 56 00 01 01 02 03 01'} 09 02 20 00 01 01 00 80 32 07 05 81 02 00 02 00`) }),
  stickSpec('2-7', { serial: 'S'.repeat(254) }),
];

/** Devices USBGuard accepts and mynumber-guard refuses on purpose (fail closed), with the reason code. */
const stricter: [SysfsDeviceSpec, string][] = [
  // An unknown descriptor before the device descriptor: no kernel writes that.
  [stickSpec('1-13', { descriptors: Uint8Array.from([0x03, 0x03, 0x41, ...stickDescriptors]) }), 'descriptors-invalid'],
  // sysfs and the device descriptor disagree on the id.
  [stickSpec('1-14', { descriptors: buildDescriptors({ vendorId: '4321', productId: '5678', configurations: [{ interfaces: [{ type: '08:06:50' }] }] }) }), 'attribute-mismatch'],
  // Upper-case hex in idVendor: the kernel always writes lower case.
  [stickSpec('1-15', { attributes: { idVendor: '12AB\n' }, descriptors: buildDescriptors({ vendorId: '12ab', productId: '5678', configurations: [{ interfaces: [{ type: '08:06:50' }] }] }) }), 'attribute-invalid'],
];

interface Rule {
  readonly id: string;
  readonly attributes: Map<string, string | string[]>;
}

/** Parses one `usbguard generate-policy` line: `allow id v:p serial "…" … with-interface { … } …`. */
function parseRule(line: string): Rule {
  const tokens = line.match(/"(?:[^"\\]|\\.)*"|\{[^}]*\}|\S+/g) ?? [];
  const attributes = new Map<string, string | string[]>();
  expect(tokens[0]).toBe('allow');
  expect(tokens[1]).toBe('id');
  for (let i = 3; i < tokens.length; i += 2) {
    const key = tokens[i] ?? '';
    const raw = tokens[i + 1] ?? '';
    if (raw.startsWith('{')) attributes.set(key, raw.slice(1, -1).trim().split(/\s+/));
    else if (raw.startsWith('"')) attributes.set(key, raw.slice(1, -1));
    else attributes.set(key, raw.includes(':') && key === 'with-interface' ? [raw] : raw);
  }
  return { id: tokens[2] ?? '', attributes };
}

describe.skipIf(!needTools('usbguard', 'unshare', 'mount') || !canMountPrivately())('device identity against usbguard generate-policy', () => {
  const made = makeSysfsRoot('mng-usbguard-oracle-');
  const rules = new Map<string, Rule>();
  let reads: UsbDeviceRead[] = [];
  let stderr = '';

  beforeAll(async () => {
    writeSysfsTree(made.root, [...agreed, ...refused, ...stricter.map(([spec]) => spec)]);
    // -p: print via-port for every device, to match rules to ports.
    const result = spawnSync('unshare', ['-m', 'sh', '-c', 'mount --bind "$0" /sys && exec usbguard generate-policy -p', made.root], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (result.status !== 0) throw new Error(`usbguard generate-policy failed (${result.status}): ${result.stderr}`);
    stderr = result.stderr;
    for (const line of result.stdout.split('\n').filter((text) => text.startsWith('allow '))) {
      const rule = parseRule(line);
      rules.set(String(rule.attributes.get('via-port')), rule);
    }
    reads = await new SysfsUsbBus({ sysfsRoot: made.root, parseFacts: parseUsbDeviceFacts }).listDevices();
  });

  afterAll(() => made.cleanup());

  const readOf = (port: string): UsbDeviceRead | undefined => reads.find((read) => (read.ok ? read.device.port : read.failure.port) === port);

  it.each(agreed.map((spec) => spec.port))('%s: same id, serial, name, hash, parent-hash, interfaces and connect type', (port) => {
    const rule = rules.get(port);
    const read = readOf(port);
    expect(rule, `usbguard printed no rule for ${port}; stderr: ${stderr}`).toBeDefined();
    expect(read?.ok, JSON.stringify(read)).toBe(true);
    if (rule === undefined || read === undefined || !read.ok) return;
    const device = read.device;
    expect(rule.id).toBe(`${device.vendorId}:${device.productId}`);
    expect(rule.attributes.get('serial')).toBe(escapeUsbString(device.serial));
    expect(rule.attributes.get('name')).toBe(escapeUsbString(device.name));
    expect(rule.attributes.get('hash')).toBe(device.hash);
    expect(rule.attributes.get('parent-hash')).toBe(device.parentHash);
    const interfaces = device.interfaces.map((entry) => `${entry.classCode}:${entry.subclassCode}:${entry.protocolCode}`);
    expect(rule.attributes.get('with-interface') ?? []).toEqual(interfaces);
    expect(rule.attributes.get('with-connect-type')).toBe(escapeUsbString(device.connectType));
  });

  it.each(refused.map((spec) => spec.port))('%s: refused by both', (port) => {
    expect(rules.has(port)).toBe(false);
    expect(readOf(port)?.ok).toBe(false);
  });

  it.each(stricter.map(([spec, code]) => [spec.port, code]))('%s: accepted by USBGuard, refused here as %s', (port, code) => {
    expect(rules.has(port)).toBe(true);
    const read = readOf(port);
    expect(read?.ok === false && read.failure.code).toBe(code);
  });
});
