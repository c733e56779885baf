import {
  isUsbDevicePort,
  isUsbRootHubPort,
  usbInterfacePrefix,
  type UsbDevice,
  type UsbDeviceReadFailure,
  type UsbInterface,
} from './model';
import { formatUsbCode, parseUsbDescriptors, type ParsedDescriptors } from './parse-descriptors';
import type { UsbAttributeRead, UsbDeviceAttributeName, UsbDeviceFacts, UsbDeviceRead } from './ports';
import { computeUsbDeviceHash, decideWeakIdentities, hashUsbSysfsPath } from './usb-identity';
import { decodeUsbString, trimUsbAttribute } from './usb-string';

/**
 * Builds the device model from the raw facts a bus adapter read (pure; implements the
 * `UsbFactsParser` port). Everything that could let a device pass unchecked is a failure, and a
 * failed device is rejected by the enforcer (fail closed, STYLE.md §1.3): USBGuard rejects the same
 * devices when building them throws (src/Library/UEventDeviceManager.cpp `processDeviceInsertion`).
 */

/** Stable failure codes of the Linux reader (UsbDeviceReadFailure.code). */
export type UsbFactsFailureCode =
  /** The sysfs name is not a USB device name. */
  | 'port-invalid'
  /** The device's link in `bus/usb/devices` could not be followed, or leads outside the sysfs root. */
  | 'location-unresolved'
  /** A required attribute (idVendor, idProduct, authorized, descriptors) does not exist. */
  | 'attribute-missing'
  /** An attribute exists but reading it failed (permission, I/O error, larger than the read limit). */
  | 'attribute-unreadable'
  /** An attribute holds a value the kernel never writes (`idVendor` not 4 lowercase hex digits…). */
  | 'attribute-invalid'
  /** product, serial or connect_type longer than 253 bytes, which USBGuard refuses (src/Library/DevicePrivate.cpp `setName`/`setSerial`). */
  | 'attribute-too-long'
  /** idVendor, idProduct or bDeviceClass disagree with the device descriptor. */
  | 'attribute-mismatch'
  /** The descriptors blob is truncated or malformed (parse-descriptors.ts). */
  | 'descriptors-invalid'
  /** sysfs shows an interface directory that the descriptors do not declare: it would escape the policy. */
  | 'interface-unknown'
  /** The parent device could not be read, so there is no parent hash (USBGuard: "unknown sysfs path"). */
  | 'parent-unreadable'
  /** The parent directory is a USB device that was not read with this one. */
  | 'parent-missing';

// USBGuard's USB_GENERIC_STRING_MAX_LENGTH (src/Library/public/usbguard/USB.hpp): UINT8_MAX - 2.
const maxStringBytes = 253;
const lowerHex4 = /^[0-9a-f]{4}$/;
const hex2 = /^[0-9a-fA-F]{2}$/;
const decimal = /^[0-9]{1,3}$/;

/**
 * USBGuard's `parentPath` (src/Common/Utility.cpp): the path without its last component and the
 * slashes before it; '' when there is no parent (`/usb1` has none, `/devices/usb1` has `/devices`).
 */
export function sysfsParentPath(path: string): string {
  let end = path.length;
  while (end > 0 && path[end - 1] === '/') end -= 1;
  if (end === 0) return '';
  const slash = path.lastIndexOf('/', end - 1);
  if (slash < 0) return '';
  let parentEnd = slash;
  while (parentEnd > 0 && path[parentEnd - 1] === '/') parentEnd -= 1;
  return parentEnd === 0 ? '' : path.slice(0, parentEnd);
}

const lastComponent = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

type Own = Omit<UsbDevice, 'parentHash' | 'weakIdentity'>;
type OwnRead = { readonly ok: true; readonly device: Own; readonly sysfsPath: string } | { readonly ok: false; readonly failure: UsbDeviceReadFailure };

function failure(port: string, code: UsbFactsFailureCode, detail: string): { ok: false; failure: UsbDeviceReadFailure } {
  return { ok: false, failure: { port, code, detail } };
}

const textOf = (bytes: Uint8Array): string => decodeUsbString(bytes);

/** Reads the device's own identity, without its parent. */
function parseOwn(facts: UsbDeviceFacts): OwnRead {
  const { port } = facts;
  if (!isUsbDevicePort(port)) return failure(port, 'port-invalid', `'${port}' is not a USB device name`);
  if (facts.location.state !== 'resolved') return failure(port, 'location-unresolved', facts.location.detail);
  const sysfsPath = facts.location.sysfsPath;

  let problem: { ok: false; failure: UsbDeviceReadFailure } | undefined;
  // One attribute, trimmed as USBGuard trims text; undefined when optional and absent, or after a failure.
  const text = (name: UsbDeviceAttributeName, required: boolean): Uint8Array | undefined => {
    const read: UsbAttributeRead = facts.attributes[name];
    if (problem !== undefined) return undefined;
    switch (read.state) {
      case 'present':
        return trimUsbAttribute(read.bytes);
      case 'absent':
        if (required) problem = failure(port, 'attribute-missing', `${name} is missing`);
        return undefined;
      case 'unreadable':
        problem = failure(port, 'attribute-unreadable', `${name} could not be read (${read.errno})`);
        return undefined;
    }
  };
  const limited = (name: UsbDeviceAttributeName, bytes: Uint8Array | undefined): string => {
    if (bytes === undefined) return '';
    if (bytes.length > maxStringBytes && problem === undefined) {
      problem = failure(port, 'attribute-too-long', `${name} is ${bytes.length} bytes, more than ${maxStringBytes}`);
    }
    return decodeUsbString(bytes);
  };

  const vendorBytes = text('idVendor', true);
  const productIdBytes = text('idProduct', true);
  const authorizedBytes = text('authorized', true);
  const descriptorsRead = facts.attributes.descriptors;
  if (problem === undefined && descriptorsRead.state !== 'present') {
    problem =
      descriptorsRead.state === 'absent'
        ? failure(port, 'attribute-missing', 'descriptors is missing')
        : failure(port, 'attribute-unreadable', `descriptors could not be read (${descriptorsRead.errno})`);
  }
  const name = limited('product', text('product', false));
  const manufacturerBytes = text('manufacturer', false);
  const serial = limited('serial', text('serial', false));
  // USBGuard reads connect_type only for devices that are not root hubs: a controller sits on no port
  // (src/Library/DeviceBase.cpp constructor).
  const connectType = isUsbRootHubPort(port) ? '' : limited('port/connect_type', text('port/connect_type', false));
  const deviceClassBytes = text('bDeviceClass', false);
  const configurationBytes = text('bConfigurationValue', false);
  if (problem !== undefined) return problem;
  if (vendorBytes === undefined || productIdBytes === undefined || authorizedBytes === undefined || descriptorsRead.state !== 'present') {
    return failure(port, 'attribute-missing', 'a required attribute is missing');
  }

  const vendorId = textOf(vendorBytes);
  const productId = textOf(productIdBytes);
  for (const [attribute, value] of [
    ['idVendor', vendorId],
    ['idProduct', productId],
  ] as const) {
    if (!lowerHex4.test(value)) {
      return failure(port, 'attribute-invalid', `${attribute} is ${JSON.stringify(value)}, not 4 lowercase hex digits`);
    }
  }

  const parsed = parseUsbDescriptors(descriptorsRead.bytes);
  if (!parsed.ok) {
    return failure(port, 'descriptors-invalid', `descriptors: ${parsed.error.code}: ${parsed.error.detail}`);
  }
  const descriptors: ParsedDescriptors = parsed.value;
  const { device } = descriptors;
  if (Number.parseInt(vendorId, 16) !== device.vendorId || Number.parseInt(productId, 16) !== device.productId) {
    return failure(
      port,
      'attribute-mismatch',
      `sysfs says ${vendorId}:${productId}, the device descriptor ${device.vendorId.toString(16).padStart(4, '0')}:${device.productId.toString(16).padStart(4, '0')}`,
    );
  }
  const deviceClass = formatUsbCode(device.deviceClass);
  if (deviceClassBytes !== undefined) {
    const sysfsClass = textOf(deviceClassBytes);
    if (!hex2.test(sysfsClass)) return failure(port, 'attribute-invalid', `bDeviceClass is ${JSON.stringify(sysfsClass)}`);
    if (sysfsClass.toLowerCase() !== deviceClass) {
      return failure(port, 'attribute-mismatch', `sysfs bDeviceClass ${sysfsClass}, the device descriptor ${deviceClass}`);
    }
  }

  let configurationValue: number | null = null;
  if (configurationBytes !== undefined) {
    // An unconfigured device (e.g. deauthorized) shows an empty value (drivers/usb/core/sysfs.c).
    const value = textOf(configurationBytes).trim();
    if (value !== '') {
      if (!decimal.test(value) || Number(value) > 255) {
        return failure(port, 'attribute-invalid', `bConfigurationValue is ${JSON.stringify(value)}`);
      }
      configurationValue = Number(value);
    }
  }

  const authorizedText = textOf(authorizedBytes);
  const authorized = authorizedText === '1' ? true : authorizedText === '0' ? false : null;

  const prefix = usbInterfacePrefix(port);
  const interfaceAuthorized = new Map<string, boolean | null>();
  for (const entry of facts.interfaces) {
    const value = entry.authorized.state === 'present' ? textOf(trimUsbAttribute(entry.authorized.bytes)) : '';
    interfaceAuthorized.set(entry.name, value === '1' ? true : value === '0' ? false : null);
  }
  const interfaces: UsbInterface[] = descriptors.interfaces.map((descriptor) => {
    const interfaceName = `${prefix}:${descriptor.configurationValue}.${descriptor.interfaceNumber}`;
    return {
      name: interfaceName,
      configurationValue: descriptor.configurationValue,
      interfaceNumber: descriptor.interfaceNumber,
      alternateSetting: descriptor.alternateSetting,
      classCode: formatUsbCode(descriptor.classCode),
      subclassCode: formatUsbCode(descriptor.subclassCode),
      protocolCode: formatUsbCode(descriptor.protocolCode),
      authorized: interfaceAuthorized.get(interfaceName) ?? null,
    };
  });
  const declared = new Set(interfaces.map((entry) => entry.name));
  const unknown = facts.interfaces.map((entry) => entry.name).filter((entryName) => !declared.has(entryName));
  if (unknown.length > 0) {
    return failure(port, 'interface-unknown', `sysfs interface(s) ${unknown.join(', ')} not declared in the descriptors`);
  }

  const hash = computeUsbDeviceHash({ name, vendorId, productId, serial, descriptors: descriptorsRead.bytes });
  return {
    ok: true,
    sysfsPath,
    device: {
      port,
      isRootHub: isUsbRootHubPort(port),
      vendorId,
      productId,
      name,
      manufacturer: manufacturerBytes === undefined ? '' : decodeUsbString(manufacturerBytes),
      serial,
      deviceClass,
      connectType,
      interfaces,
      configurationValue,
      hash,
      authorized,
    },
  };
}

/**
 * Parses the facts of devices read together (implements `UsbFactsParser`). The parent hash comes
 * from the parent directory: the hash of the parent device among `facts` when its name is a USB
 * device name, else USBGuard's hash of the parent path. Weak identities are decided over the
 * devices read successfully. One result per fact, in input order.
 */
export function parseUsbDeviceFacts(facts: readonly UsbDeviceFacts[]): UsbDeviceRead[] {
  const own = facts.map(parseOwn);
  const indexByPath = new Map<string, number>();
  facts.forEach((fact, index) => {
    if (fact.location.state === 'resolved') indexByPath.set(fact.location.sysfsPath, index);
  });
  // Parent paths are strictly shorter than their child's, so this recursion ends (depth ≤ path components).
  const resolved = new Map<number, UsbDeviceRead>();
  const resolve = (index: number): UsbDeviceRead => {
    const done = resolved.get(index);
    if (done !== undefined) return done;
    const read = own[index];
    let result: UsbDeviceRead;
    if (read === undefined) throw new Error(`parseUsbDeviceFacts: no fact at index ${index}`);
    if (!read.ok) {
      result = read;
    } else {
      const { port } = read.device;
      const parentPath = sysfsParentPath(read.sysfsPath);
      if (parentPath === '') {
        result = failure(port, 'location-unresolved', `${read.sysfsPath} has no parent directory`);
      } else if (isUsbDevicePort(lastComponent(parentPath))) {
        const parentIndex = indexByPath.get(parentPath);
        if (parentIndex === undefined) {
          result = failure(port, 'parent-missing', `parent device ${lastComponent(parentPath)} was not read`);
        } else {
          const parent = resolve(parentIndex);
          result = parent.ok
            ? { ok: true, device: { ...read.device, parentHash: parent.device.hash, weakIdentity: [] } }
            : failure(port, 'parent-unreadable', `parent device ${lastComponent(parentPath)} could not be read (${parent.failure.code})`);
        }
      } else {
        result = { ok: true, device: { ...read.device, parentHash: hashUsbSysfsPath(parentPath), weakIdentity: [] } };
      }
    }
    resolved.set(index, result);
    return result;
  };
  const results = facts.map((_fact, index) => resolve(index));
  const weak = decideWeakIdentities(results.flatMap((read) => (read.ok ? [read.device] : [])));
  return results.map((read) =>
    read.ok ? { ok: true, device: { ...read.device, weakIdentity: weak.get(read.device.port) ?? [] } } : read,
  );
}
