// Fake sysfs USB trees for tests, built in temp dirs from compact descriptions, plus a builder of
// valid `descriptors` blobs and a catalogue of the devices the tests talk about (stick, keyboard,
// card reader, composite, phone, Ethernet adapter). The layout copies the kernel's:
//   <root>/devices/pci0000:00/0000:00:14.0/usb1/1-3/{idVendor,…,descriptors,port/connect_type}
//   <root>/devices/…/usb1/1-3/1-3:1.0/{authorized,bInterfaceClass,…}
//   <root>/bus/usb/devices/1-3 -> ../../../devices/pci0000:00/0000:00:14.0/usb1/1-3   (relative)
//   <root>/bus/usb/drivers_probe
// Text attributes end in '\n' as in real sysfs.
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { usbDeviceAttributeNames, usbInterfacePrefix, type UsbAttributeRead, type UsbDeviceFacts } from '../../src/agent/usb';

/** Bytes from hex, spaces allowed: `hex('12 01 00 02')`. */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`hex: not an even run of hex digits: ${text}`);
  return Uint8Array.from(clean.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
}

/** Hex of bytes, lowercase, no spaces. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts.map((part) => Buffer.from(part))));
}

/** One interface descriptor of a configuration. */
export interface InterfaceSpec {
  /** `cc:ss:pp`, e.g. `08:06:50`. */
  readonly type: string;
  /** bInterfaceNumber; default: the position of the first interface with this number, else its index. */
  readonly number?: number;
  readonly alternateSetting?: number;
  /** Number of endpoint descriptors (7 bytes each) after it; default 1. */
  readonly endpoints?: number;
  /** Descriptors placed between the interface and its endpoints (HID 0x21, CDC 0x24 …). */
  readonly extra?: readonly Uint8Array[];
}

/** One configuration. */
export interface ConfigurationSpec {
  /** bConfigurationValue; default 1 + index. */
  readonly value?: number;
  readonly interfaces: readonly InterfaceSpec[];
  /** Descriptors placed right after the configuration descriptor (e.g. an interface association). */
  readonly leading?: readonly Uint8Array[];
}

/** What a `descriptors` blob is built from. */
export interface DescriptorSpec {
  /** 4 hex digits. */
  readonly vendorId: string;
  readonly productId: string;
  /** 2 hex digits; default `00`. */
  readonly deviceClass?: string;
  readonly bcdUsb?: number;
  readonly bcdDevice?: number;
  readonly configurations: readonly ConfigurationSpec[];
}

const u16 = (value: number): number[] => [value & 0xff, (value >> 8) & 0xff];
const code = (text: string): number => Number.parseInt(text, 16);

/** Splits `08:06:50` into numbers. */
export function interfaceCodes(type: string): [number, number, number] {
  const parts = type.split(':');
  if (parts.length !== 3 || parts.some((part) => !/^[0-9a-f]{2}$/.test(part))) throw new Error(`bad interface type ${type}`);
  return [code(parts[0] ?? ''), code(parts[1] ?? ''), code(parts[2] ?? '')];
}

/** Builds a valid blob: device descriptor, then each configuration with interfaces and endpoints. */
export function buildDescriptors(spec: DescriptorSpec): Uint8Array {
  const out: number[] = [
    18, 0x01, ...u16(spec.bcdUsb ?? 0x0200), code(spec.deviceClass ?? '00'), 0, 0, 64,
    ...u16(code(spec.vendorId)), ...u16(code(spec.productId)), ...u16(spec.bcdDevice ?? 0x0100),
    1, 2, 3, spec.configurations.length,
  ];
  spec.configurations.forEach((configuration, configIndex) => {
    const body: number[] = [];
    for (const leading of configuration.leading ?? []) body.push(...leading);
    let endpointAddress = 1;
    const numbers = new Set<number>();
    configuration.interfaces.forEach((entry, index) => {
      const number = entry.number ?? index;
      numbers.add(number);
      const endpoints = entry.endpoints ?? 1;
      body.push(9, 0x04, number, entry.alternateSetting ?? 0, endpoints, ...interfaceCodes(entry.type), 0);
      for (const extra of entry.extra ?? []) body.push(...extra);
      for (let e = 0; e < endpoints; e += 1) {
        const address = e % 2 === 0 ? 0x80 | endpointAddress : endpointAddress;
        if (e % 2 === 1) endpointAddress += 1;
        body.push(7, 0x05, address, 0x02, ...u16(512), 0);
      }
    });
    const total = 9 + body.length;
    out.push(9, 0x02, ...u16(total), numbers.size, configuration.value ?? configIndex + 1, 0, 0x80, 50, ...body);
  });
  return Uint8Array.from(out);
}

/** A device in a fake tree. Omitted optional attributes are absent; `null` removes a default. */
export interface SysfsDeviceSpec {
  /** `usb1`, `1-3`, `1-3.2`. */
  readonly port: string;
  readonly vendorId: string;
  readonly productId: string;
  /** `product`; bytes are written as they are (non-UTF-8 allowed). */
  readonly name?: string | Uint8Array;
  readonly manufacturer?: string | Uint8Array;
  readonly serial?: string | Uint8Array;
  /** `bDeviceClass` and the descriptor's class; default `00`. */
  readonly deviceClass?: string;
  readonly bcdUsb?: number;
  /** Shorthand for one configuration with one interface per type. */
  readonly interfaces?: readonly string[];
  readonly configurations?: readonly ConfigurationSpec[];
  /** A raw blob instead of the built one (malformed input). */
  readonly descriptors?: Uint8Array;
  /** `authorized`; default `1`. */
  readonly authorized?: string | null;
  /** `port/connect_type`; default `hotplug` (none for root hubs). */
  readonly connectType?: string | null;
  /** Active configuration; default the first configuration's value (null: unconfigured, no interface dirs). */
  readonly configurationValue?: number | null;
  /** `authorized` of every interface directory; default `1`. */
  readonly interfaceAuthorized?: string;
  /** Attributes written verbatim (a string gets no newline added), or removed with null. */
  readonly attributes?: Readonly<Record<string, string | Uint8Array | null>>;
  /** Interface directories the descriptors do not declare (a tampered tree). */
  readonly extraInterfaceDirs?: readonly string[];
  /** For a root hub: its parent directory below the root; default `/devices/pci0000:00/0000:00:14.0`. */
  readonly parentPath?: string;
}

/** The configurations a spec stands for. */
export function specConfigurations(spec: SysfsDeviceSpec): readonly ConfigurationSpec[] {
  if (spec.configurations !== undefined) return spec.configurations;
  if (spec.interfaces !== undefined) return [{ interfaces: spec.interfaces.map((type) => ({ type, endpoints: 2 })) }];
  return [];
}

/** The descriptors blob of a spec. */
export function specDescriptors(spec: SysfsDeviceSpec): Uint8Array {
  return (
    spec.descriptors ??
    buildDescriptors({
      vendorId: spec.vendorId,
      productId: spec.productId,
      deviceClass: spec.deviceClass,
      bcdUsb: spec.bcdUsb,
      configurations: specConfigurations(spec),
    })
  );
}

const isRootHub = (port: string): boolean => /^usb\d+$/.test(port);

/** Parent port from the name: `1-3.2` → `1-3`, `1-3` → `usb1`; undefined for a root hub. */
export function parentPort(port: string): string | undefined {
  if (isRootHub(port)) return undefined;
  const dot = port.lastIndexOf('.');
  return dot >= 0 ? port.slice(0, dot) : `usb${port.slice(0, port.indexOf('-'))}`;
}

/** The device directory below the root, as the kernel lays it out. */
export function specSysfsPath(spec: SysfsDeviceSpec, byPort: ReadonlyMap<string, SysfsDeviceSpec> = new Map()): string {
  const parent = parentPort(spec.port);
  if (parent === undefined) return `${spec.parentPath ?? '/devices/pci0000:00/0000:00:14.0'}/${spec.port}`;
  const parentSpec = byPort.get(parent) ?? { port: parent, vendorId: '0000', productId: '0000' };
  return `${specSysfsPath(parentSpec, byPort)}/${spec.port}`;
}

const encode = (value: string | Uint8Array): Uint8Array => (typeof value === 'string' ? new TextEncoder().encode(value) : value);
const line = (value: string | Uint8Array): Uint8Array => concatBytes(encode(value), hex('0a'));

/** The text and binary attributes of a spec, by file name (relative to the device directory). */
export function specAttributes(spec: SysfsDeviceSpec): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  files.set('idVendor', line(spec.vendorId));
  files.set('idProduct', line(spec.productId));
  if (spec.name !== undefined) files.set('product', line(spec.name));
  if (spec.manufacturer !== undefined) files.set('manufacturer', line(spec.manufacturer));
  if (spec.serial !== undefined) files.set('serial', line(spec.serial));
  files.set('bDeviceClass', line(spec.deviceClass ?? '00'));
  const configurationValue = specConfigurationValue(spec);
  files.set('bConfigurationValue', line(configurationValue === null ? '' : String(configurationValue)));
  if (spec.authorized !== null) files.set('authorized', line(spec.authorized ?? '1'));
  const connectType = spec.connectType === undefined ? (isRootHub(spec.port) ? null : 'hotplug') : spec.connectType;
  if (connectType !== null) files.set('port/connect_type', line(connectType));
  files.set('descriptors', specDescriptors(spec));
  // Write-only in the kernel (mode 0200); an empty file here so `remove` writes land somewhere.
  files.set('remove', new Uint8Array());
  if (isRootHub(spec.port)) {
    files.set('authorized_default', line('1'));
    files.set('interface_authorized_default', line('1'));
  }
  for (const [name, value] of Object.entries(spec.attributes ?? {})) {
    if (value === null) files.delete(name);
    else files.set(name, encode(value));
  }
  return files;
}

/** The active configuration value of a spec. */
export function specConfigurationValue(spec: SysfsDeviceSpec): number | null {
  if (spec.configurationValue !== undefined) return spec.configurationValue;
  const first = specConfigurations(spec)[0];
  return first === undefined ? null : (first.value ?? 1);
}

/** Interface directory names of a spec (active configuration, one per interface number, plus extras). */
export function specInterfaceDirs(spec: SysfsDeviceSpec): string[] {
  const active = specConfigurationValue(spec);
  const names = new Map<string, InterfaceSpec>();
  specConfigurations(spec).forEach((configuration, index) => {
    const value = configuration.value ?? index + 1;
    if (value !== active) return;
    configuration.interfaces.forEach((entry, position) => {
      const name = `${usbInterfacePrefix(spec.port)}:${value}.${entry.number ?? position}`;
      if (!names.has(name)) names.set(name, entry);
    });
  });
  return [...names.keys(), ...(spec.extraInterfaceDirs ?? [])];
}

/** Options of {@link writeSysfsTree}. */
export interface SysfsTreeOptions {
  /** Create `bus/usb/drivers_probe`; default true. */
  readonly driversProbe?: boolean;
  /** Create usbcore's `module/usbcore/parameters/authorized_default` (the kernel default -1); default true. */
  readonly usbcoreParameter?: boolean;
}

/** Writes the devices into `root` (which may already hold a tree). */
export function writeSysfsTree(root: string, specs: readonly SysfsDeviceSpec[], options: SysfsTreeOptions = {}): void {
  const byPort = new Map(specs.map((spec) => [spec.port, spec]));
  const devicesDir = path.join(root, 'bus/usb/devices');
  mkdirSync(devicesDir, { recursive: true });
  if (options.driversProbe ?? true) writeFileSync(path.join(root, 'bus/usb/drivers_probe'), '');
  if (options.usbcoreParameter ?? true) {
    mkdirSync(path.join(root, 'module/usbcore/parameters'), { recursive: true });
    writeFileSync(path.join(root, 'module/usbcore/parameters/authorized_default'), '-1\n');
  }
  const link = (name: string, sysfsPath: string): void => symlinkSync(`../../..${sysfsPath}`, path.join(devicesDir, name));
  for (const spec of specs) {
    const sysfsPath = specSysfsPath(spec, byPort);
    const dir = path.join(root, sysfsPath);
    mkdirSync(dir, { recursive: true });
    for (const [name, bytes] of specAttributes(spec)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), bytes);
    }
    // udev's view, which USBGuard reads to tell devices from interfaces (DEVTYPE).
    writeFileSync(
      path.join(dir, 'uevent'),
      `DEVTYPE=usb_device\nDRIVER=usb\nPRODUCT=${Number.parseInt(spec.vendorId, 16).toString(16)}/${Number.parseInt(spec.productId, 16).toString(16)}/100\nSUBSYSTEM=usb\n`,
    );
    if (isRootHub(spec.port)) writeFileSync(path.join(path.dirname(dir), 'uevent'), 'DRIVER=xhci_hcd\nSUBSYSTEM=pci\n');
    link(spec.port, sysfsPath);
    const types = new Map<string, string>();
    specConfigurations(spec).forEach((configuration, index) => {
      configuration.interfaces.forEach((entry, position) => {
        const name = `${usbInterfacePrefix(spec.port)}:${configuration.value ?? index + 1}.${entry.number ?? position}`;
        if (!types.has(name)) types.set(name, entry.type);
      });
    });
    for (const name of specInterfaceDirs(spec)) {
      const interfaceDir = path.join(dir, name);
      mkdirSync(interfaceDir, { recursive: true });
      writeFileSync(path.join(interfaceDir, 'uevent'), 'DEVTYPE=usb_interface\nSUBSYSTEM=usb\n');
      writeFileSync(path.join(interfaceDir, 'authorized'), `${spec.interfaceAuthorized ?? '1'}\n`);
      const [classCode, subclass, protocol] = (types.get(name) ?? 'ff:ff:ff').split(':');
      writeFileSync(path.join(interfaceDir, 'bInterfaceClass'), `${classCode}\n`);
      writeFileSync(path.join(interfaceDir, 'bInterfaceSubClass'), `${subclass}\n`);
      writeFileSync(path.join(interfaceDir, 'bInterfaceProtocol'), `${protocol}\n`);
      link(name, `${sysfsPath}/${name}`);
    }
  }
}

// tmpfs, like sysfs, lives in memory: a 10,000-device tree is written and removed in about a
// second there, and takes a minute on the disk of the CI machines.
const memoryTmp = '/dev/shm';

/** A temp dir for a tree (on /dev/shm when it is writable); `cleanup()` removes it. */
export function makeSysfsRoot(prefix = 'mng-sysfs-'): { readonly root: string; cleanup(): void } {
  let base = tmpdir();
  try {
    accessSync(memoryTmp, constants.W_OK);
    base = memoryTmp;
  } catch (_error) {
    // No tmpfs at /dev/shm (or not writable): the disk will do, only slower.
  }
  const root = mkdtempSync(path.join(base, prefix));
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** Reads a file below the root as text (for asserting writes). */
export function readSysfsText(root: string, relativePath: string): string {
  return readFileSync(path.join(root, relativePath), 'utf8');
}

/**
 * The raw facts SysfsUsbBus should read from a tree written by {@link writeSysfsTree}: the same
 * devices for the in-memory bus, so the contract suite compares the two.
 */
export function specFacts(specs: readonly SysfsDeviceSpec[]): UsbDeviceFacts[] {
  const byPort = new Map(specs.map((spec) => [spec.port, spec]));
  return specs.map((spec) => {
    const files = specAttributes(spec);
    const attributes = {} as Record<(typeof usbDeviceAttributeNames)[number], UsbAttributeRead>;
    for (const name of usbDeviceAttributeNames) {
      const bytes = files.get(name);
      attributes[name] = bytes === undefined ? { state: 'absent' } : { state: 'present', bytes };
    }
    return {
      port: spec.port,
      location: { state: 'resolved', sysfsPath: specSysfsPath(spec, byPort) },
      attributes,
      interfaces: specInterfaceDirs(spec)
        .sort()
        .map((name) => ({ name, authorized: { state: 'present', bytes: encode(`${spec.interfaceAuthorized ?? '1'}\n`) } })),
    };
  });
}

// The catalogue. Made-up vendor and product ids except for the Linux Foundation root hub, whose
// descriptors are the kernel's own (drivers/usb/core/hcd.c) so its hash can be checked against
// published `usbguard generate-policy` output.

/** HID class descriptor (HID 1.11 §6.2.1): one report descriptor of 63 bytes. */
export const hidDescriptor = hex('09 21 11 01 00 01 22 3f 00');

/** Root hub `usbN` of an xHCI controller (USB 2.0 part), bcdDevice 6.06. */
export function rootHubSpec(bus = 1, overrides: Partial<SysfsDeviceSpec> = {}): SysfsDeviceSpec {
  return {
    port: `usb${bus}`,
    vendorId: '1d6b',
    productId: '0002',
    name: 'xHCI Host Controller',
    manufacturer: 'Linux 6.1.0-18-amd64 xhci-hcd',
    serial: '0000:00:14.0',
    deviceClass: '09',
    descriptors: hex('12010002090001406b1d020006060302010109021900010100e0000904000001090000000705810304000c'),
    configurations: [{ interfaces: [{ type: '09:00:00' }] }],
    ...overrides,
  };
}

/** Mass-storage stick: one 08:06:50 interface with two bulk endpoints. */
export function stickSpec(port = '1-3', overrides: Partial<SysfsDeviceSpec> = {}): SysfsDeviceSpec {
  return { port, vendorId: '1234', productId: '5678', name: 'Demo Stick', manufacturer: 'Demo', serial: 'DEMO0001', interfaces: ['08:06:50'], ...overrides };
}

/** Boot keyboard without a serial: 03:01:01 with its HID descriptor. */
export function keyboardSpec(port = '1-4', overrides: Partial<SysfsDeviceSpec> = {}): SysfsDeviceSpec {
  return {
    port,
    vendorId: '1234',
    productId: 'abcd',
    name: 'Demo Keyboard',
    manufacturer: 'Demo',
    configurations: [{ interfaces: [{ type: '03:01:01', endpoints: 1, extra: [hidDescriptor] }] }],
    ...overrides,
  };
}

/** CCID smart-card reader (My Number card): 0b:00:00 with its class descriptor (CCID 1.1 §5.1). */
export function cardReaderSpec(port = '1-5', overrides: Partial<SysfsDeviceSpec> = {}): SysfsDeviceSpec {
  const ccid = new Uint8Array(54);
  ccid[0] = 54;
  ccid[1] = 0x21;
  return {
    port,
    vendorId: '1234',
    productId: 'cc1d',
    name: 'Demo Card Reader',
    serial: 'CR-0001',
    configurations: [{ interfaces: [{ type: '0b:00:00', endpoints: 3, extra: [ccid] }] }],
    ...overrides,
  };
}

/** A stick that also claims a keyboard (BadUSB): 08:06:50 and 03:01:01. */
export function compositeSpec(port = '1-6', overrides: Partial<SysfsDeviceSpec> = {}): SysfsDeviceSpec {
  return {
    port,
    vendorId: '1234',
    productId: 'bad0',
    name: 'Demo Composite',
    serial: 'BAD0001',
    configurations: [
      { interfaces: [{ type: '08:06:50', endpoints: 2 }, { type: '03:01:01', endpoints: 1, extra: [hidDescriptor] }] },
    ],
    ...overrides,
  };
}

/** Android phone in MTP mode: vendor-specific ff:ff:00 with three endpoints, plus adb ff:42:01. */
export function phoneSpec(port = '1-7', overrides: Partial<SysfsDeviceSpec> = {}): SysfsDeviceSpec {
  return {
    port,
    vendorId: '1234',
    productId: '4ee1',
    name: 'Demo Phone',
    manufacturer: 'Demo',
    serial: 'R58M12345',
    configurations: [{ interfaces: [{ type: 'ff:ff:00', endpoints: 3 }, { type: 'ff:42:01', endpoints: 2 }] }],
    ...overrides,
  };
}

/** CDC ECM function descriptors (CDC 1.2 §5.2.3): header, union (0 → 1), Ethernet networking. */
export const cdcEcmFunctional: readonly Uint8Array[] = [
  hex('05 24 00 10 01'),
  hex('05 24 06 00 01'),
  hex('0d 24 0f 04 00 00 00 00 ea 05 00 00 00'),
];

/**
 * USB Ethernet adapter (CDC ECM): an interface association, communication interface 02:06:00 with
 * its functional descriptors, and data interface 0a:00:00 with alternate settings 0 (no endpoints)
 * and 1 (two bulk endpoints).
 */
export function ethernetSpec(port = '1-8', overrides: Partial<SysfsDeviceSpec> = {}): SysfsDeviceSpec {
  return {
    port,
    vendorId: '1234',
    productId: 'e7e7',
    name: 'Demo Ethernet',
    serial: '00E04C680001',
    deviceClass: 'ef',
    configurations: [
      {
        leading: [hex('08 0b 00 02 02 06 00 00')],
        interfaces: [
          { type: '02:06:00', number: 0, endpoints: 1, extra: cdcEcmFunctional },
          { type: '0a:00:00', number: 1, alternateSetting: 0, endpoints: 0 },
          { type: '0a:00:00', number: 1, alternateSetting: 1, endpoints: 2 },
        ],
      },
    ],
    ...overrides,
  };
}
