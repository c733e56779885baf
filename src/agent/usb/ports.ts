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
  /**
   * The default of buses the kernel creates later can be set (Linux: usbcore's `authorized_default`
   * parameter), so a controller that appears at run time (a dock, a Thunderbolt bridge, dummy_hcd)
   * starts with its devices deauthorized instead of racing the agent.
   */
  readonly newBusAuthorizedDefault: boolean;
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
  /** Writes the default for buses created from now on (0 none, 1 all, 2 internal). */
  setNewBusAuthorizedDefault(value: 0 | 1 | 2): Promise<void>;
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

/**
 * One sysfs attribute as a bus adapter read it: raw bytes (never decoded, never trimmed), absent
 * (ENOENT), or unreadable with its errno code (`EACCES`, `EIO`, `too-large`).
 */
export type UsbAttributeRead =
  | { readonly state: 'present'; readonly bytes: Uint8Array }
  | { readonly state: 'absent' }
  | { readonly state: 'unreadable'; readonly errno: string };

/** The device attributes a Linux bus adapter reads (paths relative to the device directory). */
export const usbDeviceAttributeNames = [
  'idVendor',
  'idProduct',
  'product',
  'manufacturer',
  'serial',
  'bDeviceClass',
  'bConfigurationValue',
  'authorized',
  'port/connect_type',
  'descriptors',
] as const;

/** Name of one attribute in {@link usbDeviceAttributeNames}. */
export type UsbDeviceAttributeName = (typeof usbDeviceAttributeNames)[number];

/** An interface directory that exists in sysfs (`1-3:1.0`), with its `authorized` attribute. */
export interface UsbInterfaceFacts {
  readonly name: string;
  readonly authorized: UsbAttributeRead;
}

/**
 * Raw facts of one USB device as the OS shows them, not yet interpreted. A bus adapter only reads
 * them; `parseUsbDeviceFacts` (usb module, pure) checks, decodes and hashes them, so the adapter
 * holds no logic that tests on fixture trees could not see.
 */
export interface UsbDeviceFacts {
  /** sysfs device name (`1-3`, `usb1`), as listed in `bus/usb/devices`. */
  readonly port: string;
  /**
   * Where the device directory really is, relative to the sysfs root with a leading slash
   * (`/devices/pci0000:00/0000:00:14.0/usb1/1-3`): USBGuard's sysfs path, whose parent directory
   * gives the parent device or, for root hubs, the parent hash. `unresolved` when the link could
   * not be followed or leads outside the root.
   */
  readonly location:
    | { readonly state: 'resolved'; readonly sysfsPath: string }
    | { readonly state: 'unresolved'; readonly detail: string };
  readonly attributes: Readonly<Record<UsbDeviceAttributeName, UsbAttributeRead>>;
  /** Interface directories present in sysfs for this device (active configuration only). */
  readonly interfaces: readonly UsbInterfaceFacts[];
}

/**
 * Port: turns the raw facts of devices read together into the model (pure; implemented by the usb
 * module's `parseUsbDeviceFacts`, handed to bus adapters by the composition root). `facts` holds
 * every device whose hash another one needs as its parent hash; the result has one entry per fact,
 * in the same order.
 */
export type UsbFactsParser = (facts: readonly UsbDeviceFacts[]) => UsbDeviceRead[];

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
