import type { UsbDevice, UsbDeviceReadFailure } from './model';

/** What a bus adapter can do here; a missing capability means block plus a posture finding. */
export interface UsbBusCapabilities {
  /** The OS exposes USB devices at all (Linux: `/sys/bus/usb` exists). */
  readonly present: boolean;
  /** Device authorization can be written (`authorized`). */
  readonly deviceAuthorization: boolean;
  /** Per-interface authorization and `drivers_probe` are available (kernel ≥ 4.4). */
  readonly interfaceAuthorization: boolean;
  /** `authorized_default` can be set on root hubs. */
  readonly authorizedDefault: boolean;
}

/** One device as read from the bus: a complete model, or why it could not be read. */
export type UsbDeviceRead = { readonly ok: true; readonly device: UsbDevice } | { readonly ok: false; readonly failure: UsbDeviceReadFailure };

/**
 * Port: the USB bus. Reads the devices and applies decisions; holds no policy. Implemented by
 * SysfsUsbBus (platform/linux, any sysfs root) and a fake (tests); the contract suite in
 * test/contracts runs against both.
 */
export interface UsbBus {
  capabilities(): Promise<UsbBusCapabilities>;
  /** Every USB device (not interfaces), root hubs included, parents before children. */
  listDevices(): Promise<UsbDeviceRead[]>;
  /** One device by its port name (`1-3`); `undefined` when it is gone. */
  readDevice(port: string): Promise<UsbDeviceRead | undefined>;
  /** Writes the root hub's `authorized_default` (0 none, 1 all, 2 internal). */
  setAuthorizedDefault(rootHubPort: string, value: 0 | 1 | 2): Promise<void>;
  /** Writes the root hub's `interface_authorized_default`. */
  setInterfaceAuthorizedDefault(rootHubPort: string, authorized: boolean): Promise<void>;
  /** Writes the device's `authorized`. */
  setDeviceAuthorized(port: string, authorized: boolean): Promise<void>;
  /** Writes an interface's `authorized` (interface name like `1-3:1.0`). */
  setInterfaceAuthorized(interfaceName: string, authorized: boolean): Promise<void>;
  /** Asks the kernel to bind drivers to a (re-)authorized interface (`drivers_probe`). */
  probeInterface(interfaceName: string): Promise<void>;
  /** Logically removes the device (`remove`): USBGuard's `reject`. */
  removeDevice(port: string): Promise<void>;
}

/** A hotplug event: which device changed and how. */
export interface UsbHotplugEvent {
  readonly action: 'add' | 'remove' | 'change';
  /** Device port name (`1-3`), as in sysfs. */
  readonly port: string;
  /** Where the event came from, for audit and latency figures: `udev`, `node-usb`, `rescan`. */
  readonly source: string;
  /** When the source saw it (ms since the epoch, from the injected clock). */
  readonly atMs: number;
}

/** Port: a source of hotplug events. Several may run at once; the service de-duplicates. */
export interface UsbHotplugSource {
  start(onEvent: (event: UsbHotplugEvent) => void, onError: (error: Error) => void): Promise<void>;
  stop(): Promise<void>;
}
