/**
 * The Windows class GUIDs the USB policy uses, and the ones it must never deny. Source: reference
 * usb-and-media.md §5.1 (interface classes of Removable Storage Access) and §5.3 (device setup
 * classes of Device Installation Restrictions). The two kinds are different GUIDs for the same
 * device families: interface classes gate access to an installed device, setup classes gate its
 * installation.
 */

/** Registry key of Removable Storage Access (`RemovableStorage.admx`), reference §5.1. */
export const REMOVABLE_STORAGE_KEY = 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\RemovableStorageDevices';
/** Registry key of Device Installation Restrictions (`DeviceInstallation.admx`), reference §5.3. */
export const DEVICE_INSTALL_RESTRICTIONS_KEY = 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\DeviceInstall\\Restrictions';
/** Service key of the USB mass-storage (bulk-only) driver, reference §5.2. */
export const USBSTOR_SERVICE_KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\USBSTOR';
/** Service key of the USB Attached SCSI driver: a UAS disk never loads USBSTOR, reference §5.2. */
export const UASPSTOR_SERVICE_KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\UASPStor';

/** Interface-class GUIDs under `RemovableStorageDevices` (reference §5.1). */
export const StorageInterfaceClass = {
  /** Removable disks: USB sticks, external disks, SD cards. */
  removableDisk: '{53f5630d-b6bf-11d0-94f2-00a0c91efb8b}',
  /** CD and DVD drives. */
  cdDvd: '{53f56308-b6bf-11d0-94f2-00a0c91efb8b}',
  floppy: '{53f56311-b6bf-11d0-94f2-00a0c91efb8b}',
  tape: '{53f5630b-b6bf-11d0-94f2-00a0c91efb8b}',
  /** Windows Portable Devices (phones, players, cameras over MTP/PTP): both GUIDs must be set. */
  wpdFirst: '{6AC27878-A6FA-4155-BA85-F98F491D4F33}',
  wpdSecond: '{F33FDC04-D1AC-4E8E-9A30-19BBD4B108AE}',
} as const;

/** Device setup-class GUIDs the policy may deny (reference §5.3). */
export const DeniableSetupClass = {
  diskDrive: '{4d36e967-e325-11ce-bfc1-08002be10318}',
  cdrom: '{4d36e965-e325-11ce-bfc1-08002be10318}',
  wpd: '{eec5ad98-8080-425f-922a-dabf3de3f69a}',
  floppyDisk: '{4d36e980-e325-11ce-bfc1-08002be10318}',
  tapeDrive: '{6d807884-7d21-11cf-801c-08002be10318}',
} as const;

/**
 * Setup classes that must never appear in a deny list, whatever the policy says: denying them
 * takes away keyboards, mice, hubs and the IC card readers staff log in with (My Number card,
 * LGWAN card). `USB` is the class of controllers, hubs and composite parents; some third-party
 * guides mislabel it "USB mass storage" (reference §5.3).
 */
export const NEVER_DENIED_SETUP_CLASSES: readonly { readonly name: string; readonly guid: string }[] = [
  { name: 'USB', guid: '{36fc9e60-c465-11cf-8056-444553540000}' },
  { name: 'HIDClass', guid: '{745a17a0-74d3-11d0-b6fe-00a0c90f57da}' },
  { name: 'Keyboard', guid: '{4d36e96b-e325-11ce-bfc1-08002be10318}' },
  { name: 'Mouse', guid: '{4d36e96f-e325-11ce-bfc1-08002be10318}' },
  { name: 'SmartCardReader', guid: '{50dd5230-ba8a-11d1-bf5d-0000f805f530}' },
];

/** True when `guid` (any case, braces optional) is one of `NEVER_DENIED_SETUP_CLASSES`. */
export function isNeverDeniedSetupClass(guid: string): boolean {
  const bare = guid.trim().replace(/^\{|\}$/g, '').toLowerCase();
  return NEVER_DENIED_SETUP_CLASSES.some((entry) => entry.guid.slice(1, -1) === bare);
}
