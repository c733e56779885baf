import { createHash } from 'node:crypto';
import type { UsbDevice, WeakIdentityReason } from './model';
import { encodeUsbString, isPrintableUsbString } from './usb-string';

/**
 * USBGuard's device identity (pure): the `hash` and `parent-hash` attributes, so rules written for
 * USBGuard match the same devices here, and the weak identities USBGuard users trip over.
 *
 * The hash, as USBGuard 1.1.x computes it (line references are to USBGuard/usbguard):
 * 1. src/Library/DevicePrivate.cpp `DevicePrivate::initializeHash`: a SHA-256 (src/Library/Hash.cpp,
 *    unsalted) is fed `_name`, `vendor_id`, `product_id`, `_serial_number` in that order, each with
 *    `Hash::update(const std::string&)` = its raw bytes, no length, no separator. The values are the
 *    sysfs attributes `product`, `idVendor`, `idProduct`, `serial` with trailing NUL/LF/CR/TAB/BS
 *    trimmed (src/Library/SysFSDevice.cpp `readAttribute`); a missing product or serial is ''.
 * 2. src/Library/DeviceBase.cpp `DeviceBase::parseUSBDescriptor`: then every descriptor of the
 *    `descriptors` blob in order, `bLength` bytes each — i.e. the whole blob, since a blob that does
 *    not walk cleanly is refused — except that a device descriptor of a Linux root hub (idVendor
 *    0x1d6b, idProduct 0x0001/2/3, read from the descriptor itself) is hashed with bcdDevice set to
 *    0 (`isLinuxRootHubDeviceDescriptor`, `updateHashLinuxRootHubDeviceDescriptor`), so a kernel
 *    update does not change the root hub's hash.
 * 3. src/Library/Hash.cpp `Hash::getBase64`: the 32-byte digest in standard base64 with padding.
 *
 * parent-hash (src/Library/DeviceBase.cpp constructor, src/Library/DevicePrivate.cpp
 * `getDeviceRule`): the parent device's hash when the parent directory is a USB device; otherwise
 * (root hubs) `hashString(sysfs_parent_path)`: SHA-256 base64 of the parent directory's path
 * relative to the sysfs root (src/Library/SysFSDevice.cpp, src/Common/Utility.cpp `parentPath`),
 * e.g. `/devices/pci0000:00/0000:00:14.0`.
 *
 * Checked against `usbguard generate-policy` 1.1.2 on fixture trees (test/e2e/usb-usbguard-oracle
 * .test.ts) and against published generate-policy output for real xHCI root hubs (usb-identity.test.ts).
 */

/** The inputs of a device hash: model strings (see usb-string.ts) and the raw descriptors blob. */
export interface UsbHashInput {
  /** `product`, trimmed; '' when absent. */
  readonly name: string;
  /** `idVendor`/`idProduct` exactly as sysfs gives them after trimming (`0781`). */
  readonly vendorId: string;
  readonly productId: string;
  /** `serial`, trimmed; '' when absent. */
  readonly serial: string;
  /** The `descriptors` attribute, untrimmed; callers hash only blobs parseUsbDescriptors accepted. */
  readonly descriptors: Uint8Array;
}

const linuxFoundation = 0x1d6b;
const linuxRootHubProducts = new Set([0x0001, 0x0002, 0x0003]);

/**
 * The blob as USBGuard feeds it to the hash: for a Linux root hub device descriptor (first, 18
 * bytes, 1d6b:0001/2/3) a copy with bcdDevice (bytes 12–13) zeroed; otherwise the blob itself.
 */
export function descriptorsForHash(descriptors: Uint8Array): Uint8Array {
  if (descriptors.length < 18 || descriptors[0] !== 18 || descriptors[1] !== 0x01) return descriptors;
  const vendorId = (descriptors[8] ?? 0) | ((descriptors[9] ?? 0) << 8);
  const productId = (descriptors[10] ?? 0) | ((descriptors[11] ?? 0) << 8);
  if (vendorId !== linuxFoundation || !linuxRootHubProducts.has(productId)) return descriptors;
  const copy = Uint8Array.from(descriptors);
  copy[12] = 0;
  copy[13] = 0;
  return copy;
}

/** USBGuard's device `hash`: base64 SHA-256 of name, vendor id, product id, serial, descriptors. */
export function computeUsbDeviceHash(input: UsbHashInput): string {
  const hash = createHash('sha256');
  hash.update(encodeUsbString(input.name));
  hash.update(encodeUsbString(input.vendorId));
  hash.update(encodeUsbString(input.productId));
  hash.update(encodeUsbString(input.serial));
  hash.update(descriptorsForHash(input.descriptors));
  return hash.digest('base64');
}

/**
 * USBGuard's `hashString`, used as the parent hash of a device whose parent is not a USB device:
 * base64 SHA-256 of the parent's sysfs path below the sysfs root (`/devices/pci0000:00/0000:00:14.0`).
 */
export function hashUsbSysfsPath(sysfsPath: string): string {
  return createHash('sha256').update(encodeUsbString(sysfsPath)).digest('base64');
}

/** The fields weak identities are judged on. */
export type WeakIdentityInput = Pick<UsbDevice, 'port' | 'vendorId' | 'productId' | 'serial' | 'hash'>;

// Reasons are reported in this order, whatever order they were found in.
const reasonOrder: readonly WeakIdentityReason[] = ['serial-empty', 'serial-duplicated', 'hash-duplicated', 'serial-not-printable'];

/**
 * Decides, for every device of a set read together (the devices present), why its identity is
 * weak, i.e. why a rule naming it could also match another device:
 * - `serial-empty`: no serial at all (USBGuard #332); rules fall back to id and name.
 * - `serial-duplicated`: another present device has the same vendor id, product id and non-empty
 *   serial (cheap sticks share one serial: USBGuard #337).
 * - `hash-duplicated`: another present device has the same hash, so even `hash` cannot tell them
 *   apart (USBGuard #229).
 * - `serial-not-printable`: the serial holds control or format characters, bytes that are not
 *   UTF-8, or U+FFFD: nothing an operator can read or type into a rule reliably.
 * Returns the reasons per port (an empty list for a sound identity), in a fixed order.
 */
export function decideWeakIdentities(devices: readonly WeakIdentityInput[]): Map<string, WeakIdentityReason[]> {
  const serialCounts = new Map<string, number>();
  const hashCounts = new Map<string, number>();
  const serialKey = (device: WeakIdentityInput): string => JSON.stringify([device.vendorId, device.productId, device.serial]);
  for (const device of devices) {
    if (device.serial !== '') serialCounts.set(serialKey(device), (serialCounts.get(serialKey(device)) ?? 0) + 1);
    hashCounts.set(device.hash, (hashCounts.get(device.hash) ?? 0) + 1);
  }
  const decided = new Map<string, WeakIdentityReason[]>();
  for (const device of devices) {
    const found = new Set<WeakIdentityReason>();
    if (device.serial === '') found.add('serial-empty');
    if ((serialCounts.get(serialKey(device)) ?? 0) > 1) found.add('serial-duplicated');
    if ((hashCounts.get(device.hash) ?? 0) > 1) found.add('hash-duplicated');
    if (!isPrintableUsbString(device.serial)) found.add('serial-not-printable');
    decided.set(
      device.port,
      reasonOrder.filter((reason) => found.has(reason)),
    );
  }
  return decided;
}
