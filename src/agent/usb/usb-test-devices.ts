import type { UsbDevice, UsbInterface } from './model';

/**
 * Builds UsbDevice values for tests of the decision and the enforcer: the device classes of the
 * issue (stick, keyboard, card reader, BadUSB, phone, network adapter) on port names like sysfs.
 */
export function makeUsbDevice(options: {
  readonly port: string;
  readonly id?: string;
  readonly name?: string;
  readonly serial?: string;
  /** `cc:ss:pp` per interface, in interface-number order. */
  readonly interfaces: readonly string[];
  readonly authorized?: boolean | null;
  readonly interfacesAuthorized?: boolean | null;
  readonly isRootHub?: boolean;
}): UsbDevice {
  const [vendorId = '1234', productId = '5678'] = (options.id ?? '1234:5678').split(':');
  const interfaces: UsbInterface[] = options.interfaces.map((code, interfaceNumber) => {
    const [classCode = '00', subclassCode = '00', protocolCode = '00'] = code.split(':');
    return {
      name: `${options.port}:1.${interfaceNumber}`,
      configurationValue: 1,
      interfaceNumber,
      alternateSetting: 0,
      classCode,
      subclassCode,
      protocolCode,
      authorized: options.interfacesAuthorized === undefined ? true : options.interfacesAuthorized,
    };
  });
  return {
    port: options.port,
    isRootHub: options.isRootHub ?? false,
    vendorId,
    productId,
    name: options.name ?? 'Test Device',
    manufacturer: 'Test',
    serial: options.serial ?? `SN-${options.port}`,
    deviceClass: '00',
    connectType: 'hotplug',
    interfaces,
    configurationValue: 1,
    hash: `hash-${options.port}`,
    parentHash: 'parent-hash',
    authorized: options.authorized === undefined ? true : options.authorized,
    weakIdentity: [],
  };
}

/** The devices of the umockdev scenario, as models. */
export const testDevices = {
  rootHub: () => makeUsbDevice({ port: 'usb1', id: '1d6b:0002', interfaces: ['09:00:00'], isRootHub: true }),
  stick: () => makeUsbDevice({ port: '1-3', id: '0781:5567', interfaces: ['08:06:50'] }),
  keyboard: () => makeUsbDevice({ port: '1-4', id: '046d:c31c', interfaces: ['03:01:01', '03:00:00'] }),
  cardReader: () => makeUsbDevice({ port: '1-5', id: '04e6:5116', interfaces: ['0b:00:00'] }),
  badUsb: () => makeUsbDevice({ port: '1-6', id: '1234:abcd', interfaces: ['08:06:50', '03:01:01'] }),
  phoneMtp: () => makeUsbDevice({ port: '1-7', id: '18d1:4ee1', interfaces: ['ff:ff:00'] }),
  phonePtp: () => makeUsbDevice({ port: '1-8', id: '18d1:4ee5', interfaces: ['06:01:01'] }),
  ethernet: () => makeUsbDevice({ port: '1-9', id: '0b95:1790', interfaces: ['02:06:00', '0a:00:00'] }),
  hub: () => makeUsbDevice({ port: '1-2', id: '05e3:0608', interfaces: ['09:00:00'] }),
};
