import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildDescriptors,
  cardReaderSpec,
  compositeSpec,
  ethernetSpec,
  hex,
  keyboardSpec,
  phoneSpec,
  specDescriptors,
  stickSpec,
} from '../../../test/helpers/sysfs-tree';
import { formatInterfaceType, parseUsbDescriptors, type DescriptorProblemCode } from './parse-descriptors';

// Hand-written blobs, independent of the test builder: USB 2.0 §9.6 layouts.
const stickDevice = '12 01 00 02 00 00 00 40 34 12 78 56 00 01 01 02 03 01';
const stickConfig = '09 02 20 00 01 01 00 80 32';
const stickInterface = '09 04 00 00 02 08 06 50 00';
const bulkIn = '07 05 81 02 00 02 00';
const bulkOut = '07 05 02 02 00 02 00';
const stick = `${stickDevice} ${stickConfig} ${stickInterface} ${bulkIn} ${bulkOut}`;
const keyboard =
  '12 01 10 01 00 00 00 08 34 12 cd ab 00 01 01 02 00 01' +
  ' 09 02 22 00 01 01 00 a0 32 09 04 00 00 01 03 01 01 00 09 21 11 01 00 01 22 3f 00 07 05 81 03 08 00 0a';
// The kernel's USB 2.0 root hub (drivers/usb/core/hcd.c usb2_rh_dev_descriptor, hs_rh_config_descriptor).
const rootHub = '12010002090001406b1d020006060302010109021900010100e0000904000001090000000705810304000c';

const types = (bytes: Uint8Array): string[] => {
  const parsed = parseUsbDescriptors(bytes);
  if (!parsed.ok) throw new Error(`expected a valid blob: ${parsed.error.detail}`);
  return parsed.value.interfaces.map(formatInterfaceType);
};

describe('parseUsbDescriptors: valid blobs', () => {
  it('reads the device descriptor fields little-endian', () => {
    const parsed = parseUsbDescriptors(hex(stick));
    expect(parsed).toEqual({
      ok: true,
      value: {
        device: {
          bcdUsb: 0x0200,
          deviceClass: 0,
          deviceSubclass: 0,
          deviceProtocol: 0,
          maxPacketSize0: 64,
          vendorId: 0x1234,
          productId: 0x5678,
          bcdDevice: 0x0100,
          numConfigurations: 1,
        },
        configurations: [{ configurationValue: 1, declaredTotalLength: 32, declaredInterfaceCount: 1, offset: 18 }],
        interfaces: [{ configurationValue: 1, interfaceNumber: 0, alternateSetting: 0, classCode: 8, subclassCode: 6, protocolCode: 0x50 }],
        descriptorCount: 5,
      },
    });
  });

  it.each([
    ['USB stick (hand-written)', hex(stick), ['08:06:50']],
    ['HID keyboard with its HID descriptor (hand-written)', hex(keyboard), ['03:01:01']],
    ['kernel USB 2.0 root hub', hex(rootHub), ['09:00:00']],
    ['USB stick (builder)', specDescriptors(stickSpec()), ['08:06:50']],
    ['HID keyboard (builder)', specDescriptors(keyboardSpec()), ['03:01:01']],
    ['CCID card reader with its 54-byte class descriptor', specDescriptors(cardReaderSpec()), ['0b:00:00']],
    ['composite stick + keyboard', specDescriptors(compositeSpec()), ['08:06:50', '03:01:01']],
    ['phone in MTP mode plus adb', specDescriptors(phoneSpec()), ['ff:ff:00', 'ff:42:01']],
    // The IAD and CDC functional descriptors are skipped; both alternate settings of the data
    // interface are listed, as USBGuard lists them.
    ['CDC ECM Ethernet: IAD, 02:06:00, data 0a with two alternate settings', specDescriptors(ethernetSpec()), ['02:06:00', '0a:00:00', '0a:00:00']],
    ['PTP camera/phone', buildDescriptors({ vendorId: '1234', productId: '0001', configurations: [{ interfaces: [{ type: '06:01:01', endpoints: 3 }] }] }), ['06:01:01']],
    ['device descriptor only (no configuration)', hex(stickDevice), []],
  ])('%s', (_name, bytes, expected) => {
    expect(types(bytes)).toEqual(expected);
  });

  it('lists every configuration and alternate setting in blob order, duplicates kept (USBGuard with-interface)', () => {
    const bytes = buildDescriptors({
      vendorId: '1234',
      productId: '5678',
      configurations: [
        { value: 1, interfaces: [{ type: '08:06:50' }, { type: '03:01:01', number: 0, alternateSetting: 1 }, { type: '08:06:50', number: 1 }] },
        { value: 2, interfaces: [{ type: '02:06:00' }, { type: '0a:00:00' }] },
      ],
    });
    const parsed = parseUsbDescriptors(bytes);
    expect(parsed.ok && parsed.value.interfaces.map((entry) => [entry.configurationValue, entry.interfaceNumber, entry.alternateSetting, formatInterfaceType(entry)])).toEqual([
      [1, 0, 0, '08:06:50'],
      [1, 0, 1, '03:01:01'],
      [1, 1, 0, '08:06:50'],
      [2, 0, 0, '02:06:00'],
      [2, 1, 0, '0a:00:00'],
    ]);
    expect(parsed.ok && parsed.value.configurations.map((entry) => entry.configurationValue)).toEqual([1, 2]);
  });

  it('never trusts wTotalLength or bNumInterfaces: a lying configuration header changes nothing', () => {
    const lying = hex(stick);
    lying[18 + 2] = 0xff; // wTotalLength 0xff20
    lying[18 + 3] = 0xff;
    lying[18 + 4] = 9; // bNumInterfaces 9
    expect(types(lying)).toEqual(['08:06:50']);
  });

  it('accepts audio endpoints of 9 bytes and unknown descriptors of any length ≥ 2', () => {
    const audioEndpoint = '09 05 81 05 c0 00 01 00 00';
    const unknownShort = '02 ff';
    const unknownLong = `ff 42 ${'00 '.repeat(253)}`;
    expect(types(hex(`${stickDevice} 09 02 00 00 01 01 00 80 32 ${unknownShort} 09 04 00 00 01 01 02 00 00 ${audioEndpoint} ${unknownLong}`))).toEqual(['01:02:00']);
  });
});

describe('parseUsbDescriptors: refused blobs', () => {
  const cases: [string, string, DescriptorProblemCode, number][] = [
    ['missing (empty attribute)', '', 'empty', 0],
    ['truncated inside the device descriptor', stick.slice(0, 3 * 10), 'length-beyond-data', 0],
    ['truncated inside the configuration', `${stickDevice} 09 02 20 00 01`, 'length-beyond-data', 18],
    ['truncated inside an endpoint', `${stickDevice} ${stickConfig} ${stickInterface} 07 05 81`, 'length-beyond-data', 36],
    ['one stray byte after the last descriptor', `${stick} 00`, 'truncated-header', 50],
    ['zero bLength (would loop forever)', `${stickDevice} 00 02 00 00`, 'length-below-header', 18],
    ['bLength 1', `${stickDevice} 01 04`, 'length-below-header', 18],
    ['oversized bLength beyond the data', `${stickDevice} ff 04 00 00`, 'length-beyond-data', 18],
    ['device descriptor of 19 bytes', `13 01 00 02 00 00 00 40 34 12 78 56 00 01 01 02 03 01 00`, 'unexpected-length', 0],
    ['configuration of 10 bytes', `${stickDevice} 0a 02 20 00 01 01 00 80 32 00`, 'unexpected-length', 18],
    ['interface of 10 bytes', `${stickDevice} ${stickConfig} 0a 04 00 00 02 08 06 50 00 00`, 'unexpected-length', 27],
    ['endpoint of 8 bytes', `${stickDevice} ${stickConfig} ${stickInterface} 08 05 81 02 00 02 00 00`, 'unexpected-length', 36],
    ['a configuration first', `${stickConfig} ${stickDevice}`, 'device-not-first', 0],
    ['an unknown descriptor first (USBGuard accepts; refused here)', `03 03 41 ${stick}`, 'device-not-first', 0],
    ['two device descriptors', `${stickDevice} ${stickDevice}`, 'duplicate-device', 18],
    ['interface before any configuration', `${stickDevice} ${stickInterface}`, 'interface-outside-configuration', 18],
    ['endpoint before any interface', `${stickDevice} ${stickConfig} ${bulkIn}`, 'endpoint-outside-interface', 27],
    ['endpoint after a new configuration, before its interface', `${stick} ${stickConfig} ${bulkIn}`, 'endpoint-outside-interface', 59],
  ];
  it.each(cases)('%s', (_name, blob, code, offset) => {
    const parsed = parseUsbDescriptors(hex(blob));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error.code).toBe(code);
      expect(parsed.error.offset).toBe(offset);
      expect(parsed.error.detail.length).toBeGreaterThan(0);
    }
  });
});

describe('parseUsbDescriptors: fuzz', () => {
  const valid = [hex(stick), hex(keyboard), hex(rootHub), specDescriptors(compositeSpec()), specDescriptors(ethernetSpec()), specDescriptors(cardReaderSpec())];

  it('never throws on arbitrary bytes, and a success covers the whole blob', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const parsed = parseUsbDescriptors(bytes);
        if (parsed.ok) {
          expect(bytes[0]).toBe(18);
          expect(bytes[1]).toBe(1);
        } else {
          expect(parsed.error.offset).toBeLessThanOrEqual(bytes.length);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws on mutations of valid blobs (byte flips, truncation, insertion)', () => {
    const mutation = fc.record({
      base: fc.constantFrom(...valid),
      flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      cut: fc.option(fc.nat()),
      insert: fc.option(fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 12 }))),
    });
    fc.assert(
      fc.property(mutation, ({ base, flips, cut, insert }) => {
        let bytes = Uint8Array.from(base);
        for (const [position, value] of flips) bytes[position % bytes.length] = value;
        if (insert !== null) {
          const at = insert[0] % (bytes.length + 1);
          bytes = Uint8Array.from([...bytes.subarray(0, at), ...insert[1], ...bytes.subarray(at)]);
        }
        if (cut !== null) bytes = bytes.subarray(0, cut % (bytes.length + 1));
        const parsed = parseUsbDescriptors(bytes);
        // Either a clean parse or a located refusal; with every length checked nothing can overrun.
        if (!parsed.ok) expect(parsed.error.offset).toBeLessThan(Math.max(bytes.length, 1));
      }),
      { numRuns: 3000 },
    );
  });

  it('terminates quickly on a worst case: 1 MiB of 2-byte unknown descriptors after a device descriptor', () => {
    const bytes = new Uint8Array(18 + 1024 * 1024);
    bytes.set(hex(stickDevice));
    for (let i = 18; i < bytes.length; i += 2) {
      bytes[i] = 2;
      bytes[i + 1] = 0x42;
    }
    const parsed = parseUsbDescriptors(bytes);
    expect(parsed.ok && parsed.value.descriptorCount).toBe(1 + 512 * 1024);
  });
});
