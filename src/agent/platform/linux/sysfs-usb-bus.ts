import { constants } from 'node:fs';
import { access, open, readdir, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, MngError } from '../../../shared/errors';
import { msg, type Localized } from '../../../shared/i18n';
import {
  compareUsbPorts,
  isUsbDevicePort,
  isUsbInterfaceName,
  isUsbRootHubPort,
  usbInterfaceOwner,
} from '../../usb/model';
import {
  usbDeviceAttributeNames,
  type UsbAttributeRead,
  type UsbBus,
  type UsbBusCapabilities,
  type UsbDeviceAttributeName,
  type UsbDeviceFacts,
  type UsbDeviceRead,
  type UsbFactsParser,
  type UsbInterfaceFacts,
} from '../../usb/ports';

/**
 * UsbBus on Linux sysfs (Documentation/ABI/testing/sysfs-bus-usb; usb-and-media.md §1), under any
 * root: `/sys` in production, `$UMOCKDEV_DIR/sys` under umockdev, a temp-dir tree in tests.
 *
 * The adapter only reads and writes files: the raw facts it reads go to the injected `parseFacts`
 * (the usb module's `parseUsbDeviceFacts`), which checks, decodes and hashes them. It uses plain
 * fs calls (readdir, readlink, stat, open/read/write) on real directories, which is why a umockdev
 * testbed is read through `$UMOCKDEV_DIR/sys` with LD_PRELOAD unset: under the preload, Node's
 * readdir and stat fail (dev-environment.md §3.3).
 *
 * Listing is linear in the number of entries in `bus/usb/devices` (one readdir, then a fixed number
 * of reads per device) and keeps at most `concurrency` files open at once, so 10,000 devices never
 * exhaust file descriptors.
 */

/** Options of {@link SysfsUsbBus}. */
export interface SysfsUsbBusOptions {
  /** Where sysfs is mounted: `/sys`, `$UMOCKDEV_DIR/sys`, or a fixture tree. */
  readonly sysfsRoot: string;
  /** Turns raw facts into the model: the usb module's `parseUsbDeviceFacts`. */
  readonly parseFacts: UsbFactsParser;
  /** Devices read at the same time by `listDevices`; each holds at most one file open. Default 16. */
  readonly concurrency?: number;
}

// A text attribute is at most one page (sysfs `show` callbacks fill a PAGE_SIZE buffer).
const maxTextBytes = 4096;
// `descriptors`: the 18-byte device descriptor plus at most USB_MAXCONFIG (8) configurations of at
// most 65535 bytes each (drivers/usb/core/config.c).
const maxDescriptorsBytes = 18 + 8 * 65535;
const chunkBytes = 16 * 1024;
const readFlags = constants.O_RDONLY | constants.O_NOCTTY | constants.O_NONBLOCK;
// No O_CREAT: a missing attribute must fail (ENOENT), not appear as a new file in a fixture tree.
// O_TRUNC is accepted by sysfs and keeps a plain file from holding stale bytes after a shorter write.
const writeFlags = constants.O_WRONLY | constants.O_TRUNC | constants.O_NOCTTY | constants.O_NONBLOCK;

const errnoOf = (error: unknown): string => {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : 'EUNKNOWN';
};

/** Reads one attribute without trusting its size (sysfs reports 4096 for every text file). */
async function readAttribute(file: string, maxBytes: number): Promise<UsbAttributeRead> {
  let handle;
  try {
    handle = await open(file, readFlags);
  } catch (error) {
    const errno = errnoOf(error);
    return errno === 'ENOENT' ? { state: 'absent' } : { state: 'unreadable', errno };
  }
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(chunkBytes, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) return { state: 'unreadable', errno: 'too-large' };
    }
    return { state: 'present', bytes: new Uint8Array(Buffer.concat(chunks, total)) };
  } catch (error) {
    return { state: 'unreadable', errno: errnoOf(error) };
  } finally {
    await handle.close();
  }
}

function writeHint(errno: string): Localized {
  switch (errno) {
    case 'ENOENT':
    case 'ENODEV':
      return msg(
        '機器が取り外されたか、このカーネルにこの設定がありません（インターフェース単位の許可は 4.4 以降）',
        'the device is gone, or this kernel lacks the setting (per-interface authorization needs 4.4 or later)',
      );
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return msg('root 権限で実行してください', 'run as root');
    case 'EINVAL':
      return msg(
        'カーネルがこの値を受け付けませんでした（ルートハブは remove できません。authorized_default=2 はファームウェアの情報が必要です）',
        'the kernel refused the value (a root hub cannot be removed; authorized_default=2 needs firmware port data)',
      );
    default:
      return msg('カーネルのログ（dmesg）を確認してください', 'check the kernel log (dmesg)');
  }
}

function invalidName(kind: Localized, name: string): MngError {
  return new MngError(
    ErrorCode.InvalidArgument,
    msg(`${kind.ja}の名前として正しくありません: ${JSON.stringify(name)}`, `not a valid ${kind.en} name: ${JSON.stringify(name)}`),
    { hint: msg('sysfs に表示される名前（1-3、1-3:1.0、usb1 など）を指定してください', 'give the name sysfs shows (1-3, 1-3:1.0, usb1, …)') },
  );
}

const deviceKind = msg('USB 機器', 'USB device');
const rootHubKind = msg('USB ルートハブ', 'USB root hub');
const interfaceKind = msg('USB インターフェース', 'USB interface');

/** Runs `work` over `items` with at most `limit` in flight; results in input order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The Linux sysfs USB bus under an injectable root. */

/** usbcore's module parameter: the `authorized_default` every bus created later starts with. */
const usbcoreAuthorizedDefault = path.join('module', 'usbcore', 'parameters', 'authorized_default');
export class SysfsUsbBus implements UsbBus {
  private readonly root: string;
  private readonly devicesDir: string;
  private readonly parseFacts: UsbFactsParser;
  private readonly concurrency: number;

  constructor(options: SysfsUsbBusOptions) {
    this.root = path.resolve(options.sysfsRoot);
    this.devicesDir = path.join(this.root, 'bus', 'usb', 'devices');
    this.parseFacts = options.parseFacts;
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 16));
  }

  async capabilities(): Promise<UsbBusCapabilities> {
    const busDir = path.join(this.root, 'bus', 'usb');
    const present = await stat(busDir).then(
      (stats) => stats.isDirectory(),
      () => false,
    );
    const exists = (file: string): Promise<boolean> =>
      access(file, constants.F_OK).then(
        () => true,
        () => false,
      );
    const newBusAuthorizedDefault = await exists(path.join(this.root, usbcoreAuthorizedDefault));
    const none = { present, deviceAuthorization: false, interfaceAuthorization: false, authorizedDefault: false, newBusAuthorizedDefault };
    if (!present) return none;
    const rootHubs = (await this.listNames()).filter(isUsbRootHubPort);
    if (rootHubs.length === 0) return none;
    const allHubsHave = async (attribute: string): Promise<boolean> =>
      (await Promise.all(rootHubs.map((hub) => exists(path.join(this.devicesDir, hub, attribute))))).every(Boolean);
    return {
      present,
      deviceAuthorization: await allHubsHave('authorized'),
      authorizedDefault: await allHubsHave('authorized_default'),
      interfaceAuthorization: (await allHubsHave('interface_authorized_default')) && (await exists(path.join(busDir, 'drivers_probe'))),
      newBusAuthorizedDefault,
    };
  }

  async listDevices(): Promise<UsbDeviceRead[]> {
    const names = await this.listNames();
    const ports = names.filter(isUsbDevicePort).sort(compareUsbPorts);
    const interfacesByOwner = new Map<string, string[]>();
    for (const name of names) {
      const owner = isUsbInterfaceName(name) ? usbInterfaceOwner(name) : undefined;
      if (owner === undefined) continue;
      const list = interfacesByOwner.get(owner);
      if (list === undefined) interfacesByOwner.set(owner, [name]);
      else list.push(name);
    }
    const facts = await mapLimited(ports, this.concurrency, async (port) => {
      const location = await this.locate(port);
      if (location === undefined) return undefined; // unplugged since the readdir
      return this.readFacts(port, location, (interfacesByOwner.get(port) ?? []).sort());
    });
    return this.parseFacts(facts.filter((fact): fact is UsbDeviceFacts => fact !== undefined));
  }

  async readDevice(port: string): Promise<UsbDeviceRead | undefined> {
    if (!isUsbDevicePort(port)) return undefined;
    const location = await this.locate(port);
    if (location === undefined) return undefined;
    if (location.state !== 'resolved') return this.parseFacts([await this.readFacts(port, location, [])])[0];
    // The device and its USB ancestors (named in its path: …/usb1/1-3/1-3.2), for the parent hash.
    const components = location.sysfsPath.split('/');
    const chain: { port: string; sysfsPath: string }[] = [];
    for (let end = components.length; end > 0; end -= 1) {
      const name = components[end - 1] ?? '';
      if (!isUsbDevicePort(name)) break;
      chain.unshift({ port: name, sysfsPath: components.slice(0, end).join('/') });
    }
    // One device and its few ancestors: read everything at once (a hotplug decision waits on it;
    // a chain is at most 7 deep, so at most ~100 files are open for a moment).
    const facts = await Promise.all(
      chain.map(async (entry) => {
        const interfaces = await this.listInterfaceDirs(entry.port, entry.sysfsPath);
        return this.readFacts(entry.port, { state: 'resolved', sysfsPath: entry.sysfsPath }, interfaces, true);
      }),
    );
    return this.parseFacts(facts).at(-1);
  }

  async setNewBusAuthorizedDefault(value: 0 | 1 | 2): Promise<void> {
    await this.write(usbcoreAuthorizedDefault, String(value));
  }

  async setAuthorizedDefault(rootHubPort: string, value: 0 | 1 | 2): Promise<void> {
    if (!isUsbRootHubPort(rootHubPort)) throw invalidName(rootHubKind, rootHubPort);
    await this.write(path.join('bus', 'usb', 'devices', rootHubPort, 'authorized_default'), String(value));
  }

  async setInterfaceAuthorizedDefault(rootHubPort: string, authorized: boolean): Promise<void> {
    if (!isUsbRootHubPort(rootHubPort)) throw invalidName(rootHubKind, rootHubPort);
    await this.write(path.join('bus', 'usb', 'devices', rootHubPort, 'interface_authorized_default'), authorized ? '1' : '0');
  }

  async setDeviceAuthorized(port: string, authorized: boolean): Promise<void> {
    if (!isUsbDevicePort(port)) throw invalidName(deviceKind, port);
    await this.write(path.join('bus', 'usb', 'devices', port, 'authorized'), authorized ? '1' : '0');
  }

  async setInterfaceAuthorized(interfaceName: string, authorized: boolean): Promise<void> {
    if (!isUsbInterfaceName(interfaceName)) throw invalidName(interfaceKind, interfaceName);
    await this.write(path.join('bus', 'usb', 'devices', interfaceName, 'authorized'), authorized ? '1' : '0');
  }

  async probeInterface(interfaceName: string): Promise<void> {
    if (!isUsbInterfaceName(interfaceName)) throw invalidName(interfaceKind, interfaceName);
    await this.write(path.join('bus', 'usb', 'drivers_probe'), interfaceName);
  }

  async removeDevice(port: string): Promise<void> {
    if (!isUsbDevicePort(port)) throw invalidName(deviceKind, port);
    await this.write(path.join('bus', 'usb', 'devices', port, 'remove'), '1');
  }

  /** Entries of `bus/usb/devices`; [] when the directory does not exist (no USB subsystem). */
  private async listNames(): Promise<string[]> {
    try {
      return await readdir(this.devicesDir);
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return [];
      throw new MngError(
        ErrorCode.FileUnreadable,
        msg(`USB 機器の一覧 ${this.devicesDir} を読めません（${errnoOf(error)}）`, `cannot list USB devices in ${this.devicesDir} (${errnoOf(error)})`),
        { hint: msg('root 権限で実行し、sysfs がマウントされているか確認してください', 'run as root and check that sysfs is mounted'), cause: error },
      );
    }
  }

  /**
   * Where `bus/usb/devices/<port>` really is, below the root (USBGuard resolves the same link with
   * realpath: src/Library/UEventDeviceManager.cpp `ueventEnumerateTriggerDevice`). The kernel's
   * links are relative (`../../../devices/…`), so resolving them lexically needs no further lookups.
   * Undefined when the entry is gone.
   */
  private async locate(port: string): Promise<UsbDeviceFacts['location'] | undefined> {
    const link = path.join(this.devicesDir, port);
    let target: string;
    try {
      target = path.resolve(this.devicesDir, await readlink(link));
    } catch (error) {
      const errno = errnoOf(error);
      if (errno === 'ENOENT') return undefined;
      // A real directory instead of a link (USBGuard accepts both: `ueventEnumerateFilterDevice`).
      if (errno === 'EINVAL') target = link;
      else return { state: 'unresolved', detail: `readlink ${link}: ${errno}` };
    }
    const relative = path.relative(this.root, target);
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
      return { state: 'unresolved', detail: `${link} leads outside the sysfs root ${this.root}` };
    }
    // The kernel names the directory like the link; anything else is not a device directory we know.
    if (path.basename(target) !== port) {
      return { state: 'unresolved', detail: `${link} leads to ${path.basename(target)}, not a directory named ${port}` };
    }
    return { state: 'resolved', sysfsPath: `/${relative.split(path.sep).join('/')}` };
  }

  /** Interface directories of one device, from its own directory (for readDevice). */
  private async listInterfaceDirs(port: string, sysfsPath: string): Promise<string[]> {
    const entries = await readdir(path.join(this.root, sysfsPath)).catch(() => [] as string[]);
    return entries.filter((name) => isUsbInterfaceName(name) && usbInterfaceOwner(name) === port).sort();
  }

  /**
   * Reads every attribute of one device: one file at a time when listing (the file bound of
   * `concurrency` holds), all at once for a single device (`parallel`).
   */
  private async readFacts(port: string, location: UsbDeviceFacts['location'], interfaceNames: readonly string[], parallel = false): Promise<UsbDeviceFacts> {
    const attributes = {} as Record<UsbDeviceAttributeName, UsbAttributeRead>;
    if (location.state !== 'resolved') {
      for (const name of usbDeviceAttributeNames) attributes[name] = { state: 'absent' };
      return { port, location, attributes, interfaces: [] };
    }
    const deviceDir = path.join(this.root, location.sysfsPath);
    const readOne = (name: UsbDeviceAttributeName) => readAttribute(path.join(deviceDir, name), name === 'descriptors' ? maxDescriptorsBytes : maxTextBytes);
    const readInterface = async (name: string): Promise<UsbInterfaceFacts> => ({ name, authorized: await readAttribute(path.join(deviceDir, name, 'authorized'), maxTextBytes) });
    const interfaces: UsbInterfaceFacts[] = [];
    if (parallel) {
      const [values, interfaceValues] = await Promise.all([Promise.all(usbDeviceAttributeNames.map(readOne)), Promise.all(interfaceNames.map(readInterface))]);
      usbDeviceAttributeNames.forEach((name, index) => (attributes[name] = values[index] as UsbAttributeRead));
      interfaces.push(...interfaceValues);
      return { port, location, attributes, interfaces };
    }
    for (const name of usbDeviceAttributeNames) attributes[name] = await readOne(name);
    for (const name of interfaceNames) interfaces.push(await readInterface(name));
    return { port, location, attributes, interfaces };
  }

  /** Writes one sysfs attribute; any failure is an MngError naming the file and the errno. */
  private async write(relativePath: string, value: string): Promise<void> {
    const file = path.join(this.root, relativePath);
    const fail = (error: unknown): MngError => {
      const errno = errnoOf(error);
      return new MngError(
        ErrorCode.UsbApplyFailed,
        msg(`USB の設定を書き込めません: ${file} に ${JSON.stringify(value)}（${errno}）`, `cannot write ${JSON.stringify(value)} to ${file} (${errno})`),
        { hint: writeHint(errno), cause: error },
      );
    };
    let handle;
    try {
      handle = await open(file, writeFlags);
    } catch (error) {
      throw fail(error);
    }
    try {
      const data = Buffer.from(value, 'utf8');
      const { bytesWritten } = await handle.write(data, 0, data.length, null);
      if (bytesWritten !== data.length) {
        throw Object.assign(new Error(`short write: ${bytesWritten} of ${data.length} bytes`), { code: 'EIO' });
      }
    } catch (error) {
      throw fail(error);
    } finally {
      await handle.close();
    }
  }
}
