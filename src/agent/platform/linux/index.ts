// Public Linux adapters. The composition root (src/agent/main.ts) imports them from here.
export { SysfsUsbBus, type SysfsUsbBusOptions } from './sysfs-usb-bus';
export { createUdevadmUsbHotplug, parseUdevadmMonitorBlock, type UdevadmUsbHotplugOptions } from './udevadm-usb-hotplug';
