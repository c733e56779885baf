// Public Linux adapters. The composition root (src/agent/main.ts) imports them from here.
export { SysfsUsbBus, type SysfsUsbBusOptions } from './sysfs-usb-bus';
export { createUdevadmUsbHotplug, parseUdevadmMonitorBlock, type UdevadmUsbHotplugOptions } from './udevadm-usb-hotplug';
export { findmntPollArgs, MountinfoMountTable, type MountinfoMountTableOptions } from './mountinfo-mount-table';
export { SysfsBlockFacts, type SysfsBlockFactsOptions } from './sysfs-block-facts';
export { BlkidVolumeIdentity, parseBlkidExport, type BlkidVolumeIdentityOptions } from './blkid-volume-identity';
export { MountCommandControl, octalEscape, type MountCommandControlOptions } from './mount-command-control';
export { createIpMonitorNetworkChanges, type IpMonitorNetworkChangesOptions } from './ip-monitor-network-changes';
export { parseRfkillAttributes, SysfsRfkillRadios, type RfkillAttributes, type SysfsRfkillRadiosOptions } from './sysfs-rfkill';
export { classifyCupsFailure, combineLpstat, CupsPrinterQueues, parseLpstatAccepting, parseLpstatPrinters, type CupsPrinterQueuesOptions, type LpstatParse, type LpstatPrinterLine } from './cups-printers';
export { ProcMountHolders, type ProcMountHoldersOptions } from './proc-mount-holders';
export { createDbusMonitorReader, createLogindSessions, loginctlShowArgs, parseLoginctlList, parseLoginctlShow, parseLogindSignal, sessionFactsFromProperties, type LoginctlRunner, type LogindSessionsOptions } from './logind-sessions';
export { createSystemdNotifier, decideWatchdogIntervalMs, readBootId, type NotifyRunner, type SystemdNotifierOptions } from './systemd-notify';
