import { describe, expect, it } from 'vitest';
import {
  cardReaderSpec,
  compositeSpec,
  ethernetSpec,
  hex,
  keyboardSpec,
  phoneSpec,
  rootHubSpec,
  specFacts,
  stickSpec,
  type SysfsDeviceSpec,
} from '../../../test/helpers/sysfs-tree';
import type { UsbDevice } from './model';
import { parseUsbDeviceFacts, sysfsParentPath } from './parse-device-facts';
import type { UsbAttributeRead, UsbDeviceAttributeName, UsbDeviceFacts, UsbDeviceRead } from './ports';
import { computeUsbDeviceHash, hashUsbSysfsPath } from './usb-identity';
import { decodeUsbString } from './usb-string';

const withAttribute = (facts: UsbDeviceFacts[], port: string, name: UsbDeviceAttributeName, read: UsbAttributeRead): UsbDeviceFacts[] =>
  facts.map((fact) => (fact.port === port ? { ...fact, attributes: { ...fact.attributes, [name]: read } } : fact));
const present = (text: string | Uint8Array): UsbAttributeRead => ({
  state: 'present',
  bytes: typeof text === 'string' ? new TextEncoder().encode(text) : text,
});

function parse(specs: readonly SysfsDeviceSpec[], change: (facts: UsbDeviceFacts[]) => UsbDeviceFacts[] = (facts) => facts): UsbDeviceRead[] {
  return parseUsbDeviceFacts(change(specFacts(specs)));
}
function deviceOf(reads: readonly UsbDeviceRead[], port: string): UsbDevice {
  const read = reads.find((entry) => (entry.ok ? entry.device.port : entry.failure.port) === port);
  if (read === undefined || !read.ok) throw new Error(`${port}: ${JSON.stringify(read)}`);
  return read.device;
}
function failureOf(reads: readonly UsbDeviceRead[], port: string): { code: string; detail: string } {
  const read = reads.find((entry) => (entry.ok ? entry.device.port : entry.failure.port) === port);
  if (read === undefined || read.ok) throw new Error(`${port} should have failed: ${JSON.stringify(read)}`);
  return read.failure;
}

describe('parseUsbDeviceFacts: the catalogue', () => {
  const reads = parse([rootHubSpec(), stickSpec(), keyboardSpec(), cardReaderSpec(), compositeSpec(), phoneSpec(), ethernetSpec()]);

  it('reads every device', () => {
    expect(reads.map((read) => read.ok)).toEqual([true, true, true, true, true, true, true]);
  });

  it('reads a root hub like USBGuard: hash, parent-hash of the PCI path, interface 1-0:1.0', () => {
    expect(deviceOf(reads, 'usb1')).toEqual({
      port: 'usb1',
      isRootHub: true,
      vendorId: '1d6b',
      productId: '0002',
      name: 'xHCI Host Controller',
      manufacturer: 'Linux 6.1.0-18-amd64 xhci-hcd',
      serial: '0000:00:14.0',
      deviceClass: '09',
      connectType: '',
      interfaces: [
        { name: '1-0:1.0', configurationValue: 1, interfaceNumber: 0, alternateSetting: 0, classCode: '09', subclassCode: '00', protocolCode: '00', authorized: true },
      ],
      configurationValue: 1,
      hash: 'jEP/6WzviqdJ5VSeTUY8PatCNBKeaREvo2OqdplND/o=',
      parentHash: 'rV9bfLq7c2eA4tYjVjwO4bxhm+y6GgZpl9J60L0fBkY=',
      authorized: true,
      weakIdentity: [],
    });
  });

  it('gives a device below the root hub the root hub hash as parent-hash', () => {
    const stick = deviceOf(reads, '1-3');
    expect(stick.parentHash).toBe('jEP/6WzviqdJ5VSeTUY8PatCNBKeaREvo2OqdplND/o=');
    expect(stick.hash).toBe(computeUsbDeviceHash({ name: 'Demo Stick', vendorId: '1234', productId: '5678', serial: 'DEMO0001', descriptors: hexOf(stickSpec()) }));
    expect(stick).toMatchObject({ isRootHub: false, connectType: 'hotplug', deviceClass: '00', manufacturer: 'Demo', weakIdentity: [] });
  });

  it.each([
    ['1-3', ['08:06:50']],
    ['1-4', ['03:01:01']],
    ['1-5', ['0b:00:00']],
    ['1-6', ['08:06:50', '03:01:01']],
    ['1-7', ['ff:ff:00', 'ff:42:01']],
    ['1-8', ['02:06:00', '0a:00:00', '0a:00:00']],
  ])('%s lists its interfaces as USBGuard does: %j', (port, expected) => {
    expect(deviceOf(reads, port).interfaces.map((entry) => `${entry.classCode}:${entry.subclassCode}:${entry.protocolCode}`)).toEqual(expected);
  });

  it('names interfaces after the active configuration; alternate settings share a name', () => {
    expect(deviceOf(reads, '1-8').interfaces.map((entry) => [entry.name, entry.alternateSetting, entry.authorized])).toEqual([
      ['1-8:1.0', 0, true],
      ['1-8:1.1', 0, true],
      ['1-8:1.1', 1, true],
    ]);
  });

  it('flags the keyboard without a serial as a weak identity', () => {
    expect(deviceOf(reads, '1-4').weakIdentity).toEqual(['serial-empty']);
    expect(deviceOf(reads, '1-4').serial).toBe('');
  });
});

function hexOf(spec: SysfsDeviceSpec): Uint8Array {
  const facts = specFacts([spec])[0];
  const read = facts?.attributes.descriptors;
  if (read?.state !== 'present') throw new Error('no descriptors');
  return read.bytes;
}

describe('parseUsbDeviceFacts: attributes', () => {
  const base = [rootHubSpec(), stickSpec()];

  it.each<[string, UsbDeviceAttributeName, UsbAttributeRead, string]>([
    ['missing idVendor', 'idVendor', { state: 'absent' }, 'attribute-missing'],
    ['missing idProduct', 'idProduct', { state: 'absent' }, 'attribute-missing'],
    ['missing descriptors', 'descriptors', { state: 'absent' }, 'attribute-missing'],
    ['missing authorized', 'authorized', { state: 'absent' }, 'attribute-missing'],
    ['unreadable serial', 'serial', { state: 'unreadable', errno: 'EIO' }, 'attribute-unreadable'],
    ['unreadable descriptors', 'descriptors', { state: 'unreadable', errno: 'too-large' }, 'attribute-unreadable'],
    ['uppercase idVendor (the kernel writes lowercase)', 'idVendor', present('1D6B\n'), 'attribute-invalid'],
    ['idVendor of 5 digits', 'idVendor', present('12345\n'), 'attribute-invalid'],
    ['idProduct other than the descriptor says', 'idProduct', present('5679\n'), 'attribute-mismatch'],
    ['bDeviceClass other than the descriptor says', 'bDeviceClass', present('08\n'), 'attribute-mismatch'],
    ['bDeviceClass not hex', 'bDeviceClass', present('zz\n'), 'attribute-invalid'],
    ['bConfigurationValue not a number', 'bConfigurationValue', present('one\n'), 'attribute-invalid'],
    ['truncated descriptors', 'descriptors', present(hex('12 01 00 02 00 00 00 40 34 12 78 56')), 'descriptors-invalid'],
    ['zero-length descriptor', 'descriptors', present(hex('12 01 00 02 00 00 00 40 34 12 78 56 00 01 01 02 03 01 00 00')), 'descriptors-invalid'],
    ['empty descriptors', 'descriptors', present(new Uint8Array()), 'descriptors-invalid'],
    ['a serial of 254 bytes (USBGuard refuses more than 253)', 'serial', present(`${'S'.repeat(254)}\n`), 'attribute-too-long'],
    ['a product of 254 bytes', 'product', present(`${'P'.repeat(254)}\n`), 'attribute-too-long'],
  ])('%s → %s', (_name, attribute, read, code) => {
    const reads = parse(base, (facts) => withAttribute(facts, '1-3', attribute, read));
    expect(failureOf(reads, '1-3').code).toBe(code);
    expect(failureOf(reads, '1-3').detail).not.toBe('');
    expect(deviceOf(reads, 'usb1').port).toBe('usb1');
  });

  it('accepts a serial of exactly 253 bytes', () => {
    const reads = parse(base, (facts) => withAttribute(facts, '1-3', 'serial', present(`${'S'.repeat(253)}\n`)));
    expect(deviceOf(reads, '1-3').serial).toHaveLength(253);
  });

  it('treats a missing product, manufacturer, serial or connect type as empty', () => {
    const reads = parse([rootHubSpec(), stickSpec('1-3', { name: undefined, manufacturer: undefined, serial: undefined, connectType: null })]);
    expect(deviceOf(reads, '1-3')).toMatchObject({ name: '', manufacturer: '', serial: '', connectType: '', weakIdentity: ['serial-empty'] });
  });

  it('ignores connect_type on a root hub, as USBGuard does (a controller sits on no port)', () => {
    const reads = parse([rootHubSpec(1, { connectType: 'hardwired' }), rootHubSpec(2, { attributes: { 'port/connect_type': null } })], (facts) =>
      withAttribute(facts, 'usb2', 'port/connect_type', { state: 'unreadable', errno: 'EIO' }),
    );
    expect(deviceOf(reads, 'usb1').connectType).toBe('');
    expect(deviceOf(reads, 'usb2').connectType).toBe('');
  });

  it('trims values as USBGuard does (trailing NUL/LF/CR/TAB/BS, not spaces)', () => {
    const reads = parse(base, (facts) =>
      withAttribute(withAttribute(facts, '1-3', 'serial', present('AB\t\n')), '1-3', 'product', present('Stick \r\n\u0000')),
    );
    expect(deviceOf(reads, '1-3')).toMatchObject({ serial: 'AB', name: 'Stick ' });
  });

  it('keeps a non-UTF-8 serial losslessly, hashes its raw bytes and flags it', () => {
    const raw = hex('ff fe 41 01 22 5c');
    const reads = parse([rootHubSpec(), stickSpec('1-3', { serial: raw })]);
    const stick = deviceOf(reads, '1-3');
    expect(stick.serial).toBe(decodeUsbString(raw));
    expect(stick.serial).toBe('\udcff\udcfeA\u0001"\\');
    expect(stick.hash).toBe(computeUsbDeviceHash({ name: 'Demo Stick', vendorId: '1234', productId: '5678', serial: stick.serial, descriptors: hexOf(stickSpec()) }));
    expect(stick.weakIdentity).toEqual(['serial-not-printable']);
  });

  it.each([
    ['1', true],
    ['0', false],
    ['2', null],
    ['', null],
  ])('authorized %j → %s', (value, expected) => {
    const reads = parse(base, (facts) => withAttribute(facts, '1-3', 'authorized', present(`${value}\n`)));
    expect(deviceOf(reads, '1-3').authorized).toBe(expected);
  });

  it('reads an unconfigured device: no active configuration, no interface directories, interfaces still listed', () => {
    const reads = parse([rootHubSpec(), stickSpec('1-3', { configurationValue: null, authorized: '0' })]);
    expect(deviceOf(reads, '1-3')).toMatchObject({ configurationValue: null, authorized: false });
    expect(deviceOf(reads, '1-3').interfaces.map((entry) => [entry.name, entry.authorized])).toEqual([['1-3:1.0', null]]);
  });

  it('reads a deauthorized interface', () => {
    const reads = parse([rootHubSpec(), stickSpec('1-3', { interfaceAuthorized: '0' })]);
    expect(deviceOf(reads, '1-3').interfaces[0]?.authorized).toBe(false);
  });

  it('refuses an interface directory the descriptors do not declare (it would escape the policy)', () => {
    const reads = parse([rootHubSpec(), stickSpec('1-3', { extraInterfaceDirs: ['1-3:1.1'] })]);
    expect(failureOf(reads, '1-3')).toMatchObject({ code: 'interface-unknown' });
  });
});

describe('parseUsbDeviceFacts: parents and locations', () => {
  const hub: SysfsDeviceSpec = { port: '1-1', vendorId: '1234', productId: '4b0b', name: 'Demo Hub', serial: 'HUB1', deviceClass: '09', interfaces: ['09:00:00'] };

  it('chains hashes: root hub → hub → device behind it', () => {
    const reads = parse([rootHubSpec(), hub, stickSpec('1-1.2')]);
    expect(deviceOf(reads, '1-1').parentHash).toBe(deviceOf(reads, 'usb1').hash);
    expect(deviceOf(reads, '1-1.2').parentHash).toBe(deviceOf(reads, '1-1').hash);
  });

  it('resolves parents whatever the order of the facts', () => {
    const reads = parse([stickSpec('1-1.2'), hub, rootHubSpec()]);
    expect(reads.map((read) => read.ok)).toEqual([true, true, true]);
    expect(deviceOf(reads, '1-1.2').parentHash).toBe(deviceOf(reads, '1-1').hash);
  });

  it('fails a device whose parent failed (no parent hash), and one whose parent was not read', () => {
    const failedParent = parse([rootHubSpec(), hub, stickSpec('1-1.2')], (facts) => withAttribute(facts, '1-1', 'idVendor', { state: 'absent' }));
    expect(failureOf(failedParent, '1-1.2')).toMatchObject({ code: 'parent-unreadable' });
    const missingParent = parse([rootHubSpec(), stickSpec('1-1.2')]);
    expect(failureOf(missingParent, '1-1.2')).toMatchObject({ code: 'parent-missing' });
  });

  it('hashes the parent directory of any root hub, wherever its controller sits', () => {
    const reads = parse([rootHubSpec(3, { parentPath: '/devices/platform/soc/3f980000.usb' })]);
    expect(deviceOf(reads, 'usb3').parentHash).toBe(hashUsbSysfsPath('/devices/platform/soc/3f980000.usb'));
  });

  it('refuses names that are not USB device names and unresolved locations', () => {
    const facts = specFacts([rootHubSpec(), stickSpec()]);
    const renamed = facts.map((fact) => (fact.port === '1-3' ? { ...fact, port: '1-3:1.0' } : fact));
    expect(failureOf(parseUsbDeviceFacts(renamed), '1-3:1.0')).toMatchObject({ code: 'port-invalid' });
    const unresolved = facts.map((fact) => (fact.port === '1-3' ? { ...fact, location: { state: 'unresolved' as const, detail: 'outside the root' } } : fact));
    expect(failureOf(parseUsbDeviceFacts(unresolved), '1-3')).toEqual({ port: '1-3', code: 'location-unresolved', detail: 'outside the root' });
  });

  it('decides duplicates over the whole set read together', () => {
    const reads = parse([rootHubSpec(), stickSpec('1-3'), stickSpec('1-4')]);
    expect(deviceOf(reads, '1-3').weakIdentity).toEqual(['serial-duplicated', 'hash-duplicated']);
    expect(deviceOf(reads, '1-4').weakIdentity).toEqual(['serial-duplicated', 'hash-duplicated']);
  });
});

describe('sysfsParentPath (USBGuard parentPath)', () => {
  it.each([
    ['/devices/pci0000:00/0000:00:14.0/usb1', '/devices/pci0000:00/0000:00:14.0'],
    ['/foo/bar', '/foo'],
    ['/foo/bar/', '/foo'],
    ['/foo/bar//', '/foo'],
    ['/foo', ''],
    ['/foo/', ''],
    ['/', ''],
    ['//foo', ''],
    ['', ''],
  ])('%j → %j', (input, output) => {
    expect(sysfsParentPath(input)).toBe(output);
  });
});
