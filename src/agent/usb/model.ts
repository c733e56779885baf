/**
 * The USB device model the agent decides on. Built from sysfs on Linux (platform/linux), from
 * PnP data on Windows; attribute values follow USBGuard's so rules move between the two
 * (docs/usb.md). Every field that could not be read is recorded, never guessed: a device whose
 * identity cannot be established is rejected (fail closed).
 */

/**
 * One interface descriptor, e.g. `1-3:1.0` with class `08:06:50`. A device lists every interface
 * descriptor of every configuration (see `UsbDevice.interfaces`), so several entries share a name
 * when an interface has alternate settings: a decision about interface `1-3:1.0` must hold for all
 * of them, since the host may switch to any alternate setting without re-authorizing.
 */
export interface UsbInterface {
  /**
   * sysfs name `<device>:<configuration>.<interface number>`, e.g. `1-3:1.0`. Root hub `usbN` names
   * its interfaces `N-0:1.0`, as the kernel does.
   */
  readonly name: string;
  /** `bConfigurationValue` of the configuration this descriptor belongs to (1–255). */
  readonly configurationValue: number;
  /** `bInterfaceNumber` (0–255). */
  readonly interfaceNumber: number;
  /** `bAlternateSetting` (0–255). */
  readonly alternateSetting: number;
  /** Two lowercase hex digits each, as USBGuard prints them: `08`, `06`, `50`. */
  readonly classCode: string;
  readonly subclassCode: string;
  readonly protocolCode: string;
  /**
   * Current interface authorization (`authorized` of the interface directory); null when there is
   * no such directory (configuration not active, device deauthorized) or the value is unreadable
   * or neither `0` nor `1`.
   */
  readonly authorized: boolean | null;
}

/** Why a device's identity is weak: rules that match on it can match other devices too. */
export type WeakIdentityReason = 'serial-empty' | 'serial-duplicated' | 'hash-duplicated' | 'serial-not-printable';

/** A USB device (not an interface). */
export interface UsbDevice {
  /** sysfs name, unique while plugged: `1-3`, `1-3.2`, or `usb1` for a root hub. USBGuard's `via-port`. */
  readonly port: string;
  /** True for a root hub (`usbN`): never deauthorized, carries `authorized_default`. */
  readonly isRootHub: boolean;
  /** `idVendor`/`idProduct` as 4 lowercase hex digits. */
  readonly vendorId: string;
  readonly productId: string;
  /**
   * `product` string (USBGuard `name`); '' when the device has none. Strings from the device are
   * kept losslessly (usb-string.ts): valid UTF-8 is decoded as text, every byte that is not part of
   * valid UTF-8 becomes the lone surrogate U+DC00+byte, so the exact bytes (which USBGuard hashes and
   * prints as `\xHH`) can be recovered with `encodeUsbString`. Trailing NUL, LF, CR, TAB and BS are
   * trimmed as USBGuard does (src/Library/SysFSDevice.cpp `readAttribute`).
   */
  readonly name: string;
  /** `manufacturer` string, same representation; '' when absent. Not part of USBGuard's identity. */
  readonly manufacturer: string;
  /** `serial` string, same representation; '' when the device has none (a weak identity). */
  readonly serial: string;
  /** `bDeviceClass` as 2 lowercase hex digits (from the device descriptor; sysfs must agree). */
  readonly deviceClass: string;
  /**
   * `port/connect_type`: `hotplug`, `hardwired`, `not used`, `unknown`, or '' when absent; always ''
   * for a root hub, which sits on no port (USBGuard reads it only for other devices).
   */
  readonly connectType: string;
  /**
   * Every interface descriptor of every configuration, in descriptor order, parsed from
   * `descriptors` (authoritative; sysfs only adds `authorized`). Mapped to `cc:ss:pp` this is
   * exactly USBGuard's `with-interface` list: all configurations, all alternate settings,
   * duplicates kept (src/Library/DevicePrivate.cpp `loadInterfaceDescriptor`).
   */
  readonly interfaces: readonly UsbInterface[];
  /** Active configuration (`bConfigurationValue`); null when the device is not configured. */
  readonly configurationValue: number | null;
  /** USBGuard-compatible hash (base64 SHA-256), see usb-identity.ts `computeUsbDeviceHash`. */
  readonly hash: string;
  /**
   * Hash of the parent device; for a device whose parent is not a USB device (root hubs), the hash
   * of the parent's sysfs path below the sysfs root, e.g. of `/devices/pci0000:00/0000:00:14.0`.
   */
  readonly parentHash: string;
  /** Current device authorization (`authorized` file); null when it holds neither `0` nor `1`. */
  readonly authorized: boolean | null;
  /**
   * Reasons this identity is weak; empty when it is not. Duplicates are judged among the devices
   * read together (`listDevices`); usb-identity.ts `decideWeakIdentities` recomputes them for any set.
   */
  readonly weakIdentity: readonly WeakIdentityReason[];
}

/** A device that could not be read completely: decided as `reject`, with the reason audited. */
export interface UsbDeviceReadFailure {
  readonly port: string;
  /**
   * Stable code, e.g. `descriptors-invalid`, `attribute-missing`, `attribute-unreadable` (the codes
   * of the Linux reader are listed in parse-device-facts.ts `UsbFactsFailureCode`).
   */
  readonly code: string;
  /** What was wrong, for the audit record (English, for operators' tools). */
  readonly detail: string;
}

/** USBGuard's targets. allow: authorize; block: leave connected, deauthorized; reject: remove logically. */
export type UsbTarget = 'allow' | 'block' | 'reject';

// Kernel device names (drivers/usb/core/usb.c `usb_alloc_dev`): `usb<bus>` for a root hub,
// `<bus>-<port>[.<port>…]` below it; numbers are decimal without leading zeros.
const number = '[1-9][0-9]{0,2}';
const rootHubPattern = new RegExp(`^usb(${number})$`);
const devicePattern = new RegExp(`^(?:usb${number}|${number}-${number}(?:\\.${number}){0,6})$`);
// Interfaces (drivers/usb/core/message.c `usb_set_configuration`): `<device>:<config>.<interface>`,
// where a root hub `usbN` is `N-0`. Configuration and interface numbers come from the device (0–255).
const interfacePattern = new RegExp(`^(${number}-(?:0|${number}(?:\\.${number}){0,6})):([0-9]{1,3})\\.([0-9]{1,3})$`);

/** True for a USB device name as sysfs lists it (`usb1`, `1-3`, `1-3.2`), never an interface. */
export function isUsbDevicePort(name: string): boolean {
  return devicePattern.test(name);
}

/** True for a root hub name (`usb1`). */
export function isUsbRootHubPort(name: string): boolean {
  return rootHubPattern.test(name);
}

/** The prefix of a device's interface names: `1-3` for `1-3`, `1-0` for root hub `usb1`. */
export function usbInterfacePrefix(port: string): string {
  const rootHub = rootHubPattern.exec(port);
  return rootHub === null ? port : `${rootHub[1] ?? ''}-0`;
}

/** True for a USB interface name (`1-3:1.0`, `1-0:1.0`). */
export function isUsbInterfaceName(name: string): boolean {
  return interfacePattern.test(name);
}

/** The device an interface belongs to (`1-3:1.0` → `1-3`, `1-0:1.0` → `usb1`); undefined if not an interface name. */
export function usbInterfaceOwner(name: string): string | undefined {
  const match = interfacePattern.exec(name);
  if (match === null) return undefined;
  const prefix = match[1] ?? '';
  return prefix.endsWith('-0') ? `usb${prefix.slice(0, -2)}` : prefix;
}

/**
 * USBGuard's enumeration order (src/Library/UEventDeviceManager.cpp `ueventEnumerateComparePath`):
 * root hubs first, then shorter names, then by name. A parent's name is a prefix of its child's,
 * so parents always come before their children.
 */
export function compareUsbPorts(a: string, b: string): number {
  const aRoot = a.startsWith('usb');
  const bRoot = b.startsWith('usb');
  if (aRoot !== bRoot) return aRoot ? -1 : 1;
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
