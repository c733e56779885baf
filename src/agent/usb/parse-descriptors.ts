import { err, ok, type Result } from '../../shared/result';

/**
 * Parser of the sysfs `descriptors` attribute (pure): the device descriptor (18 bytes) followed by
 * every configuration as the device sent it. The blob comes from the device, so it is walked by
 * each descriptor's own bLength and nothing else (wTotalLength and bNumInterfaces are not trusted),
 * and every length is checked before a byte is read.
 *
 * What is accepted, rejected and listed follows USBGuard (1.1.x), whose device hash and
 * `with-interface` attribute are defined by this walk:
 * - src/Library/public/usbguard/USB.cpp `USBDescriptorParser::parse`: 2-byte header; bLength < 2
 *   is an error (this also stops the endless loop of a zero length); a descriptor longer than the
 *   remaining data is an error; 1 stray byte at the end is an error ("partial read").
 * - same file, `USBDescriptorParserHooks::parseUSBDescriptor`: device descriptors must be exactly
 *   18 bytes, configuration 9, interface 9, endpoint 7 or 9 (audio); other types (string, interface
 *   association, class-specific such as HID 0x21, SuperSpeed companions) of any length are skipped.
 * - src/Library/DevicePrivate.cpp `load*Descriptor`: a second device descriptor is an error; a
 *   configuration needs the device descriptor, an interface needs a configuration, an endpoint an
 *   interface of the current configuration; every interface descriptor of every configuration is
 *   appended to the interface list (all alternate settings, duplicates kept, in blob order).
 * - src/Library/DeviceBase.cpp: fewer than 18 bytes processed is an error.
 *
 * Stricter than USBGuard, to fail closed on blobs no kernel produces: the first descriptor must be
 * the device descriptor (USBGuard also accepts unknown descriptors before it, or none at all).
 */

/** USB 2.0 §9.4 Table 9-5 descriptor types the parser acts on. */
export const UsbDescriptorType = {
  Device: 0x01,
  Configuration: 0x02,
  String: 0x03,
  Interface: 0x04,
  Endpoint: 0x05,
  InterfaceAssociation: 0x0b,
} as const;

/** The fields of the device descriptor (USB 2.0 §9.6.1), multi-byte fields little-endian decoded. */
export interface ParsedDeviceDescriptor {
  readonly bcdUsb: number;
  readonly deviceClass: number;
  readonly deviceSubclass: number;
  readonly deviceProtocol: number;
  readonly maxPacketSize0: number;
  readonly vendorId: number;
  readonly productId: number;
  readonly bcdDevice: number;
  readonly numConfigurations: number;
}

/** One configuration descriptor (USB 2.0 §9.6.3), as declared: the declared lengths are not used. */
export interface ParsedConfiguration {
  readonly configurationValue: number;
  /** Declared wTotalLength: informational only, never used to walk the blob. */
  readonly declaredTotalLength: number;
  readonly declaredInterfaceCount: number;
  /** Byte offset of the descriptor in the blob. */
  readonly offset: number;
}

/** One interface descriptor (USB 2.0 §9.6.5) with the configuration it belongs to. */
export interface ParsedInterface {
  readonly configurationValue: number;
  readonly interfaceNumber: number;
  readonly alternateSetting: number;
  readonly classCode: number;
  readonly subclassCode: number;
  readonly protocolCode: number;
}

/** What a valid blob holds. */
export interface ParsedDescriptors {
  readonly device: ParsedDeviceDescriptor;
  readonly configurations: readonly ParsedConfiguration[];
  /** Every interface descriptor of every configuration, in blob order (USBGuard's `with-interface`). */
  readonly interfaces: readonly ParsedInterface[];
  /** Number of descriptors walked, all types. */
  readonly descriptorCount: number;
}

/** Why a blob was refused; each maps to one of USBGuard's exceptions or to the stricter rule above. */
export type DescriptorProblemCode =
  | 'empty'
  | 'truncated-header'
  | 'length-below-header'
  | 'length-beyond-data'
  | 'unexpected-length'
  | 'device-not-first'
  | 'duplicate-device'
  | 'configuration-outside-device'
  | 'interface-outside-configuration'
  | 'endpoint-outside-interface';

/** A refused blob: what, and at which byte offset. */
export interface DescriptorProblem {
  readonly code: DescriptorProblemCode;
  readonly offset: number;
  /** English, for audit records. */
  readonly detail: string;
}

const expectedLengths: Readonly<Record<number, readonly number[]>> = {
  [UsbDescriptorType.Device]: [18],
  [UsbDescriptorType.Configuration]: [9],
  [UsbDescriptorType.Interface]: [9],
  // 7 bytes; 9 for the audio class endpoint with bRefresh and bSynchAddress (USB Audio 1.0 §4.6.1.1).
  [UsbDescriptorType.Endpoint]: [7, 9],
};

const typeNames: Readonly<Record<number, string>> = {
  [UsbDescriptorType.Device]: 'device',
  [UsbDescriptorType.Configuration]: 'configuration',
  [UsbDescriptorType.Interface]: 'interface',
  [UsbDescriptorType.Endpoint]: 'endpoint',
};

const hex2 = (value: number): string => value.toString(16).padStart(2, '0');

/**
 * Parses a `descriptors` blob. Never throws and runs in time linear in the blob length: every
 * step advances by bLength ≥ 2 or stops.
 */
export function parseUsbDescriptors(bytes: Uint8Array): Result<ParsedDescriptors, DescriptorProblem> {
  const problem = (code: DescriptorProblemCode, offset: number, detail: string) => err({ code, offset, detail });
  if (bytes.length === 0) return problem('empty', 0, 'the descriptors attribute is empty');

  let device: ParsedDeviceDescriptor | undefined;
  let currentConfiguration: number | undefined;
  let interfaceSeen = false;
  const configurations: ParsedConfiguration[] = [];
  const interfaces: ParsedInterface[] = [];
  let descriptorCount = 0;
  let offset = 0;

  while (offset < bytes.length) {
    const remaining = bytes.length - offset;
    if (remaining < 2) {
      return problem('truncated-header', offset, `${remaining} byte(s) left at offset ${offset}, less than a descriptor header`);
    }
    const length = bytes[offset] ?? 0;
    const type = bytes[offset + 1] ?? 0;
    if (length < 2) {
      return problem('length-below-header', offset, `bLength ${length} at offset ${offset} is less than the 2-byte header`);
    }
    if (length > remaining) {
      return problem(
        'length-beyond-data',
        offset,
        `descriptor type 0x${hex2(type)} at offset ${offset} claims ${length} bytes, only ${remaining} left`,
      );
    }
    const allowed = expectedLengths[type];
    if (allowed !== undefined && !allowed.includes(length)) {
      return problem(
        'unexpected-length',
        offset,
        `${typeNames[type] ?? 'descriptor'} descriptor at offset ${offset} has bLength ${length}, expected ${allowed.join(' or ')}`,
      );
    }
    if (offset === 0 && type !== UsbDescriptorType.Device) {
      return problem('device-not-first', 0, `the first descriptor has type 0x${hex2(type)}, not the device descriptor`);
    }
    const at = (k: number): number => bytes[offset + k] ?? 0;
    switch (type) {
      case UsbDescriptorType.Device:
        if (device !== undefined) {
          return problem('duplicate-device', offset, `a second device descriptor at offset ${offset}`);
        }
        device = {
          bcdUsb: at(2) | (at(3) << 8),
          deviceClass: at(4),
          deviceSubclass: at(5),
          deviceProtocol: at(6),
          maxPacketSize0: at(7),
          vendorId: at(8) | (at(9) << 8),
          productId: at(10) | (at(11) << 8),
          bcdDevice: at(12) | (at(13) << 8),
          numConfigurations: at(17),
        };
        break;
      case UsbDescriptorType.Configuration:
        // Unreachable while the device descriptor must come first; kept so the rule stays local.
        if (device === undefined) {
          return problem('configuration-outside-device', offset, `configuration at offset ${offset} before the device descriptor`);
        }
        currentConfiguration = at(5);
        interfaceSeen = false;
        configurations.push({
          configurationValue: at(5),
          declaredTotalLength: at(2) | (at(3) << 8),
          declaredInterfaceCount: at(4),
          offset,
        });
        break;
      case UsbDescriptorType.Interface:
        if (currentConfiguration === undefined) {
          return problem('interface-outside-configuration', offset, `interface at offset ${offset} before any configuration`);
        }
        interfaceSeen = true;
        interfaces.push({
          configurationValue: currentConfiguration,
          interfaceNumber: at(2),
          alternateSetting: at(3),
          classCode: at(5),
          subclassCode: at(6),
          protocolCode: at(7),
        });
        break;
      case UsbDescriptorType.Endpoint:
        if (!interfaceSeen) {
          return problem('endpoint-outside-interface', offset, `endpoint at offset ${offset} outside an interface of its configuration`);
        }
        break;
      default:
        // String, interface association, class-specific and unknown descriptors: skipped whole.
        break;
    }
    descriptorCount += 1;
    offset += length;
  }

  // The loop only ends after a device descriptor came first, so `device` is set.
  if (device === undefined) return problem('device-not-first', 0, 'no device descriptor');
  return ok({ device, configurations, interfaces, descriptorCount });
}

/** A class, subclass or protocol code as USBGuard prints it: two lowercase hex digits. */
export function formatUsbCode(code: number): string {
  return hex2(code & 0xff);
}

/** An interface's `cc:ss:pp` as in USBGuard's `with-interface`, e.g. `08:06:50`. */
export function formatInterfaceType(descriptor: Pick<ParsedInterface, 'classCode' | 'subclassCode' | 'protocolCode'>): string {
  return `${formatUsbCode(descriptor.classCode)}:${formatUsbCode(descriptor.subclassCode)}:${formatUsbCode(descriptor.protocolCode)}`;
}
