/**
 * The USB device model the agent decides on. Built from sysfs on Linux (platform/linux), from
 * PnP data on Windows; attribute values follow USBGuard's so rules move between the two
 * (docs/usb.md). Every field that could not be read is recorded, never guessed: a device whose
 * identity cannot be established is rejected (fail closed).
 */

/** One interface of the active configuration, e.g. `1-3:1.0` with class `08:06:50`. */
export interface UsbInterface {
  /** sysfs name of the interface, e.g. `1-3:1.0`. */
  readonly name: string;
  /** Two lowercase hex digits each, as USBGuard prints them: `08`, `06`, `50`. */
  readonly classCode: string;
  readonly subclassCode: string;
  readonly protocolCode: string;
  /** Current interface authorization (`authorized` file), or null when it could not be read. */
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
  /** `product` string (USBGuard `name`); '' when the device has none. */
  readonly name: string;
  readonly manufacturer: string;
  /** `serial` string; '' when the device has none (a weak identity). */
  readonly serial: string;
  /** `bDeviceClass` as 2 lowercase hex digits. */
  readonly deviceClass: string;
  /** `port/connect_type`: `hotplug`, `hardwired`, `not used`, `unknown`, or '' when absent. */
  readonly connectType: string;
  /** Interfaces of the active configuration, parsed from `descriptors` (authoritative) and sysfs. */
  readonly interfaces: readonly UsbInterface[];
  /** USBGuard-compatible hash (base64 SHA-256), see docs/usb.md. */
  readonly hash: string;
  /** Hash of the parent device (for root hubs: of the parent sysfs path), as USBGuard computes it. */
  readonly parentHash: string;
  /** Current device authorization (`authorized` file), null when it could not be read. */
  readonly authorized: boolean | null;
  /** Reasons this identity is weak; empty when it is not. */
  readonly weakIdentity: readonly WeakIdentityReason[];
}

/** A device that could not be read completely: decided as `reject`, with the reason audited. */
export interface UsbDeviceReadFailure {
  readonly port: string;
  /** Stable code, e.g. `descriptors-truncated`, `attribute-missing`, `attribute-unreadable`. */
  readonly code: string;
  /** What was wrong, for the audit record (English, for operators' tools). */
  readonly detail: string;
}

/** USBGuard's targets. allow: authorize; block: leave connected, deauthorized; reject: remove logically. */
export type UsbTarget = 'allow' | 'block' | 'reject';
