import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hex, toHex } from '../../../test/helpers/sysfs-tree';
import { computeUsbDeviceHash, decideWeakIdentities, descriptorsForHash, hashUsbSysfsPath, type WeakIdentityInput } from './usb-identity';
import { decodeUsbString } from './usb-string';

const sha256Base64 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('base64');
const ascii = (text: string): string => toHex(new TextEncoder().encode(text));

// Linux root hub descriptors (drivers/usb/core/hcd.c), as the `descriptors` attribute shows them.
// bcdDevice is the kernel version (06 06 = 6.6); USBGuard hashes it as 00 00.
const usb2RootHub = '12010002090001406b1d020006060302010109021900010100e0000904000001090000000705810304000c';
const usb2RootHubHashed = '12010002090001406b1d020000000302010109021900010100e0000904000001090000000705810304000c';
// USB 3.0 (bcdUSB 3.00) and 3.1 (bcdUSB 3.10) root hubs: SuperSpeed config with an endpoint companion.
const usb30RootHub = '12010003090003096b1d030006060302010109021f00010100e0000904000001090000000705810304000c063000000200';
const usb31RootHub = '12011003090003096b1d030006060302010109021f00010100e0000904000001090000000705810304000c063000000200';
// A stick with a keyboard alternate setting and a second storage interface (lying wTotalLength 27).
const twoAltStick =
  '120100020000004034127856000101020302' + '09021b000201008032' + '090400000008065000' + '090400010003010100' + '090401000008065000';
const stick = '1201000200000040341278560001010203010902200001010080320904000002080650000705810200020007050202000200';

interface Vector {
  readonly name: string;
  readonly fields: { name: string; vendorId: string; productId: string; serial: string; descriptors: string };
  /** Exactly the bytes SHA-256 sees: name ‖ vendor id ‖ product id ‖ serial ‖ descriptors as hashed. */
  readonly message: string;
  readonly hash: string;
  /** Where the expected value comes from. */
  readonly source: string;
}

const vectors: Vector[] = [
  {
    name: 'USB 2.0 root hub of the xHCI controller 0000:00:14.0',
    fields: { name: 'xHCI Host Controller', vendorId: '1d6b', productId: '0002', serial: '0000:00:14.0', descriptors: usb2RootHub },
    message: ascii('xHCI Host Controller') + ascii('1d6b') + ascii('0002') + ascii('0000:00:14.0') + usb2RootHubHashed,
    hash: 'jEP/6WzviqdJ5VSeTUY8PatCNBKeaREvo2OqdplND/o=',
    source: 'published `usbguard generate-policy` output of real machines (public NixOS configurations) and usbguard 1.1.2 here',
  },
  {
    name: 'USB 3.0 root hub at 0000:00:14.0',
    fields: { name: 'xHCI Host Controller', vendorId: '1d6b', productId: '0003', serial: '0000:00:14.0', descriptors: usb30RootHub },
    message:
      ascii('xHCI Host Controller') + ascii('1d6b') + ascii('0003') + ascii('0000:00:14.0') + usb30RootHub.replace('6b1d03000606', '6b1d03000000'),
    hash: '3Wo3XWDgen1hD5xM3PSNl3P98kLp1RUTgGQ5HSxtf8k=',
    source: 'published generate-policy output of a real machine',
  },
  {
    name: 'USB 3.1 root hub at 0000:00:14.0',
    fields: { name: 'xHCI Host Controller', vendorId: '1d6b', productId: '0003', serial: '0000:00:14.0', descriptors: usb31RootHub },
    message:
      ascii('xHCI Host Controller') + ascii('1d6b') + ascii('0003') + ascii('0000:00:14.0') + usb31RootHub.replace('6b1d03000606', '6b1d03000000'),
    hash: 'prM+Jby/bFHCn2lNjQdAMbgc6tse3xVx+hZwjOPHSdQ=',
    source: 'published generate-policy output of a real machine',
  },
  {
    name: 'USB 2.0 root hub of a second controller 0000:00:0d.0',
    fields: { name: 'xHCI Host Controller', vendorId: '1d6b', productId: '0002', serial: '0000:00:0d.0', descriptors: usb2RootHub },
    message: ascii('xHCI Host Controller') + ascii('1d6b') + ascii('0002') + ascii('0000:00:0d.0') + usb2RootHubHashed,
    hash: 'd3YN7OD60Ggqc9hClW0/al6tlFEshidDnQKzZRRk410=',
    source: 'published generate-policy output of a real machine',
  },
  {
    name: 'USB stick',
    fields: { name: 'Demo Stick', vendorId: '1234', productId: '5678', serial: 'DEMO0001', descriptors: stick },
    message: ascii('Demo Stick') + ascii('1234') + ascii('5678') + ascii('DEMO0001') + stick,
    hash: 'RZledBLB/z+wqJAWE92WJjSChbci8KMIOyUUqTn02bU=',
    source: 'usbguard 1.1.2 generate-policy on a fixture tree (test/e2e/usb-usbguard-oracle.test.ts)',
  },
  {
    name: 'no product, no serial: empty strings add no bytes',
    fields: { name: '', vendorId: '1234', productId: '5678', serial: '', descriptors: twoAltStick },
    message: ascii('1234') + ascii('5678') + twoAltStick,
    hash: 'H6TD6beC8y3W4UmSSDJW3t//9/91WmuXM2gWAlEIW7Q=',
    source: 'usbguard 1.1.2 generate-policy on a fixture tree',
  },
  {
    name: 'non-UTF-8 serial and Japanese name: the raw bytes are hashed',
    fields: { name: '日本', vendorId: '1234', productId: '5678', serial: decodeUsbString(hex('ff fe 41 01 22 5c')), descriptors: twoAltStick },
    message: 'e697a5e69cac' + ascii('1234') + ascii('5678') + 'fffe4101225c' + twoAltStick,
    hash: 'zH/qGDpQzN5eRY84nZTksqCv+C7a7nK1YF8Aonf5JSY=',
    source: 'usbguard 1.1.2 generate-policy on a fixture tree',
  },
];

describe('computeUsbDeviceHash: USBGuard hash vectors', () => {
  it.each(vectors)('$name', (vector) => {
    // The stated bytes are what SHA-256 sees, and they give the expected value…
    expect(sha256Base64(hex(vector.message))).toBe(vector.hash);
    // …and the implementation composes exactly those bytes.
    expect(computeUsbDeviceHash({ ...vector.fields, descriptors: hex(vector.fields.descriptors) })).toBe(vector.hash);
  });

  it('a root hub keeps its hash across kernel updates (bcdDevice ignored), other devices do not', () => {
    const newerKernel = hex(usb2RootHub);
    newerKernel[12] = 0x12;
    newerKernel[13] = 0x07;
    const fields = { name: 'xHCI Host Controller', vendorId: '1d6b', productId: '0002', serial: '0000:00:14.0' };
    expect(computeUsbDeviceHash({ ...fields, descriptors: newerKernel })).toBe('jEP/6WzviqdJ5VSeTUY8PatCNBKeaREvo2OqdplND/o=');
    const newerStick = hex(stick);
    newerStick[12] = 0x02;
    expect(computeUsbDeviceHash({ name: 'Demo Stick', vendorId: '1234', productId: '5678', serial: 'DEMO0001', descriptors: newerStick })).not.toBe(
      'RZledBLB/z+wqJAWE92WJjSChbci8KMIOyUUqTn02bU=',
    );
  });

  it.each([
    ['1d6b:0001 root hub', '6b1d0100', true],
    ['1d6b:0002 root hub', '6b1d0200', true],
    ['1d6b:0003 root hub', '6b1d0300', true],
    ['1d6b:0104 multifunction gadget', '6b1d0401', false],
    ['another vendor', '34127856', false],
  ])('descriptorsForHash zeroes bcdDevice only for Linux root hubs: %s', (_name, ids, zeroed) => {
    const blob = hex(`12 01 00 02 09 00 01 40 ${ids} 06 06 03 02 01 01`);
    const hashed = descriptorsForHash(blob);
    expect(toHex(hashed.subarray(12, 14))).toBe(zeroed ? '0000' : '0606');
    expect(toHex(blob.subarray(12, 14))).toBe('0606');
  });
});

describe('hashUsbSysfsPath: parent-hash of a root hub', () => {
  it.each([
    ['/devices/pci0000:00/0000:00:14.0', 'rV9bfLq7c2eA4tYjVjwO4bxhm+y6GgZpl9J60L0fBkY='],
    ['/devices/pci0000:00/0000:00:0d.0', 'Y1kBdG1uWQr5CjULQs7uh2F6pHgFb6VDHcWLk83v+tE='],
  ])('%s (published generate-policy output)', (path, expected) => {
    expect(sha256Base64(new TextEncoder().encode(path))).toBe(expected);
    expect(hashUsbSysfsPath(path)).toBe(expected);
  });
});

describe('decideWeakIdentities', () => {
  const device = (port: string, serial: string, hash = `hash-${port}`, vendorId = '1234', productId = '5678'): WeakIdentityInput => ({
    port,
    vendorId,
    productId,
    serial,
    hash,
  });

  it.each([
    ['a unique serial is sound', [device('1-1', 'A1')], { '1-1': [] }],
    ['an empty serial', [device('1-1', '')], { '1-1': ['serial-empty'] }],
    [
      'the same id and serial on two devices',
      [device('1-1', 'SAME'), device('1-2', 'SAME'), device('1-3', 'OTHER')],
      { '1-1': ['serial-duplicated'], '1-2': ['serial-duplicated'], '1-3': [] },
    ],
    ['the same serial under another product id is no collision', [device('1-1', 'SAME'), device('1-2', 'SAME', 'h2', '1234', '9999')], { '1-1': [], '1-2': [] }],
    [
      'two identical cheap sticks: empty serial and the same hash',
      [device('1-1', '', 'H'), device('1-2', '', 'H')],
      { '1-1': ['serial-empty', 'hash-duplicated'], '1-2': ['serial-empty', 'hash-duplicated'] },
    ],
    [
      'identical promotional drives: duplicated serial and hash',
      [device('1-1', '0123456789ABCDEF', 'H'), device('1-2', '0123456789ABCDEF', 'H')],
      { '1-1': ['serial-duplicated', 'hash-duplicated'], '1-2': ['serial-duplicated', 'hash-duplicated'] },
    ],
    ['a control character in the serial', [device('1-1', 'AB\u0001')], { '1-1': ['serial-not-printable'] }],
    ['a byte that is not UTF-8 in the serial', [device('1-1', decodeUsbString(hex('41 ff')))], { '1-1': ['serial-not-printable'] }],
    ['a Japanese serial is printable', [device('1-1', '日本')], { '1-1': [] }],
    ['no devices', [], {}],
  ])('%s', (_name, devices, expected) => {
    expect(Object.fromEntries(decideWeakIdentities(devices))).toEqual(expected);
  });
});
