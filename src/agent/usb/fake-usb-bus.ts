import { ErrorCode, MngError } from '../../shared/errors';
import { msg } from '../../shared/i18n';
import {
  compareUsbPorts,
  isUsbDevicePort,
  isUsbInterfaceName,
  isUsbRootHubPort,
  usbInterfaceOwner,
  type UsbDevice,
} from './model';
import type { UsbBus, UsbBusCapabilities, UsbDeviceRead } from './ports';

/**
 * An in-memory UsbBus for tests of code that uses the port (the enforcer, the CLI). It behaves like
 * the kernel where the kernel's behaviour is observable through the port: writes update what the
 * next read returns, `remove` makes the device and its children disappear, and a write to a device
 * that is not there fails with the same error code as SysfsUsbBus. test/contracts/usb-bus.test.ts
 * runs the same suite against it and against SysfsUsbBus on fixture trees.
 */

/** One write, named like the sysfs file SysfsUsbBus would write (relative to the sysfs root). */
export interface FakeUsbWrite {
  /** E.g. `bus/usb/devices/1-3/authorized`, `bus/usb/drivers_probe`. */
  readonly path: string;
  /** The bytes written, as text: `0`, `1`, `2`, or an interface name for `drivers_probe`. */
  readonly value: string;
}

/** Options of {@link createFakeUsbBus}. */
export interface FakeUsbBusOptions {
  /** Devices present at the start (successful reads and failures), any order. */
  readonly devices?: readonly UsbDeviceRead[];
  /** Defaults: everything present and supported. */
  readonly capabilities?: Partial<UsbBusCapabilities>;
  /**
   * Makes a write fail like a kernel refusal: return an errno code (`EIO`, `EINVAL`) for the
   * writes that should fail, undefined for the others. A failed write is not recorded.
   */
  readonly failWrite?: (write: FakeUsbWrite) => string | undefined;
}

/** The fake bus plus what a test needs to steer and inspect it. */
export interface FakeUsbBus extends UsbBus {
  /** Every successful write, in order. */
  readonly writes: readonly FakeUsbWrite[];
  /** Root hub port → last `authorized_default` written. */
  readonly authorizedDefaults: ReadonlyMap<string, 0 | 1 | 2>;
  /** The last default written for buses created later, if any. */
  readonly newBusAuthorizedDefault: () => 0 | 1 | 2 | undefined;
  /** Root hub port → last `interface_authorized_default` written. */
  readonly interfaceAuthorizedDefaults: ReadonlyMap<string, boolean>;
  /** Adds or replaces a device (a hotplug, as far as reads are concerned). */
  plug(read: UsbDeviceRead): void;
  /** Removes a device and every device below it (an unplug). */
  unplug(port: string): void;
}

const portOf = (read: UsbDeviceRead): string => (read.ok ? read.device.port : read.failure.port);

function applyFailed(path: string, errno: string): MngError {
  return new MngError(
    ErrorCode.UsbApplyFailed,
    msg(`USB の設定を書き込めません: ${path}（${errno}）`, `cannot write the USB setting ${path} (${errno})`),
    { hint: msg('機器が取り外されていないか確認してください', 'check that the device is still connected') },
  );
}

function invalidName(kind: string, name: string): MngError {
  return new MngError(
    ErrorCode.InvalidArgument,
    msg(`${kind} の名前として正しくありません: ${JSON.stringify(name)}`, `not a valid ${kind} name: ${JSON.stringify(name)}`),
    { hint: msg('sysfs に表示される名前（1-3、1-3:1.0、usb1 など）を指定してください', 'give the name sysfs shows (1-3, 1-3:1.0, usb1, …)') },
  );
}

/** Creates an in-memory bus holding `options.devices`. */
export function createFakeUsbBus(options: FakeUsbBusOptions = {}): FakeUsbBus {
  const devices = new Map<string, UsbDeviceRead>();
  for (const read of options.devices ?? []) devices.set(portOf(read), read);
  const writes: FakeUsbWrite[] = [];
  const authorizedDefaults = new Map<string, 0 | 1 | 2>();
  const interfaceAuthorizedDefaults = new Map<string, boolean>();
  const capabilities: UsbBusCapabilities = {
    present: true,
    deviceAuthorization: true,
    interfaceAuthorization: true,
    authorizedDefault: true,
    newBusAuthorizedDefault: true,
    ...options.capabilities,
  };
  let newBusDefault: 0 | 1 | 2 | undefined;

  const record = (path: string, value: string): void => {
    const write = { path, value };
    const errno = options.failWrite?.(write);
    if (errno !== undefined) throw applyFailed(path, errno);
    writes.push(write);
  };
  const deviceFor = (port: string, path: string): UsbDeviceRead => {
    const read = devices.get(port);
    if (read === undefined) throw applyFailed(path, 'ENOENT');
    return read;
  };
  const update = (port: string, change: (device: UsbDevice) => UsbDevice): void => {
    const read = devices.get(port);
    if (read?.ok === true) devices.set(port, { ok: true, device: change(read.device) });
  };
  const checkDevice = (port: string): void => {
    if (!isUsbDevicePort(port)) throw invalidName('USB device', port);
  };
  const checkRootHub = (port: string): void => {
    if (!isUsbRootHubPort(port)) throw invalidName('USB root hub', port);
  };
  const checkInterface = (name: string): string => {
    const owner = usbInterfaceOwner(name);
    if (owner === undefined || !isUsbInterfaceName(name)) throw invalidName('USB interface', name);
    return owner;
  };
  const removeTree = (port: string): void => {
    for (const other of [...devices.keys()]) {
      if (other === port || other.startsWith(`${port}.`) || (isUsbRootHubPort(port) && other.startsWith(`${port.slice(3)}-`))) {
        devices.delete(other);
      }
    }
  };

  return {
    writes,
    authorizedDefaults,
    interfaceAuthorizedDefaults,
    newBusAuthorizedDefault: () => newBusDefault,
    plug: (read) => void devices.set(portOf(read), read),
    unplug: (port) => removeTree(port),
    capabilities: async () => capabilities,
    listDevices: async () => [...devices.values()].sort((a, b) => compareUsbPorts(portOf(a), portOf(b))),
    readDevice: async (port) => devices.get(port),
    setNewBusAuthorizedDefault: async (value) => {
      const path = 'module/usbcore/parameters/authorized_default';
      if (!capabilities.newBusAuthorizedDefault) throw applyFailed(path, 'ENOENT');
      record(path, String(value));
      newBusDefault = value;
    },
    setAuthorizedDefault: async (rootHubPort, value) => {
      checkRootHub(rootHubPort);
      const path = `bus/usb/devices/${rootHubPort}/authorized_default`;
      deviceFor(rootHubPort, path);
      record(path, String(value));
      authorizedDefaults.set(rootHubPort, value);
    },
    setInterfaceAuthorizedDefault: async (rootHubPort, authorized) => {
      checkRootHub(rootHubPort);
      const path = `bus/usb/devices/${rootHubPort}/interface_authorized_default`;
      deviceFor(rootHubPort, path);
      record(path, authorized ? '1' : '0');
      interfaceAuthorizedDefaults.set(rootHubPort, authorized);
    },
    setDeviceAuthorized: async (port, authorized) => {
      checkDevice(port);
      const path = `bus/usb/devices/${port}/authorized`;
      deviceFor(port, path);
      record(path, authorized ? '1' : '0');
      update(port, (device) => ({ ...device, authorized }));
    },
    setInterfaceAuthorized: async (interfaceName, authorized) => {
      const owner = checkInterface(interfaceName);
      const path = `bus/usb/devices/${interfaceName}/authorized`;
      const read = deviceFor(owner, path);
      // Only interfaces of the active configuration have a directory to write to.
      if (read.ok && !read.device.interfaces.some((entry) => entry.name === interfaceName && entry.configurationValue === read.device.configurationValue)) {
        throw applyFailed(path, 'ENOENT');
      }
      record(path, authorized ? '1' : '0');
      update(owner, (device) => ({
        ...device,
        interfaces: device.interfaces.map((entry) => (entry.name === interfaceName ? { ...entry, authorized } : entry)),
      }));
    },
    probeInterface: async (interfaceName) => {
      checkInterface(interfaceName);
      record('bus/usb/drivers_probe', interfaceName);
    },
    removeDevice: async (port) => {
      checkDevice(port);
      const path = `bus/usb/devices/${port}/remove`;
      deviceFor(port, path);
      record(path, '1');
      removeTree(port);
    },
  };
}
