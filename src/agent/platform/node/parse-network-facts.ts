/**
 * Pure parsers of the OS text the Linux facts reader collects: `ip -j addr`, `ip -j route show
 * table main`, resolv.conf, and the sysfs attributes that tell a Wi-Fi card, a USB Ethernet
 * adapter or a tethered phone apart. Input is untrusted text: anything malformed is an error
 * value, never a guess (STYLE.md §4).
 */
import { msg, type Localized } from '../../../shared/i18n';
import { parseCidr, parseIpAddress } from '../../../shared/policy/net';
import { err, ok, type Result } from '../../../shared/result';
import type { InterfaceAddress, NetworkInterfaceKind, RouteFacts } from '../../isolation/model';

/** One link of `ip -j addr`, before sysfs classification. */
export interface IpLink {
  readonly name: string;
  readonly up: boolean;
  /** `link_type` of iproute2: `ether`, `loopback`, `none` (tun, wireguard), `ppp`… */
  readonly linkType: string;
  readonly addresses: readonly InterfaceAddress[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJsonArray(text: string, what: string): Result<unknown[], Localized> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The parse error itself says nothing the operator can use; the command name does.
    return err(msg(`${what} の出力が JSON ではありません`, `the output of ${what} is not JSON`));
  }
  if (!Array.isArray(value)) return err(msg(`${what} の出力が配列ではありません`, `the output of ${what} is not an array`));
  return ok(value);
}

/** Parses `ip -j addr show` (iproute2 ≥ 4.13). Addresses that are not strict IPs are an error. */
export function parseIpAddrJson(text: string): Result<IpLink[], Localized> {
  const array = parseJsonArray(text, 'ip -j addr');
  if (!array.ok) return array;
  const links: IpLink[] = [];
  for (const [index, entry] of array.value.entries()) {
    if (!isRecord(entry) || typeof entry.ifname !== 'string' || entry.ifname === '') {
      return err(msg(`ip -j addr の ${index + 1} 件目にインターフェース名がありません`, `entry ${index + 1} of ip -j addr has no interface name`));
    }
    const name = entry.ifname;
    const flags = Array.isArray(entry.flags) ? entry.flags.filter((f): f is string => typeof f === 'string') : [];
    const addresses: InterfaceAddress[] = [];
    const addrInfo = Array.isArray(entry.addr_info) ? entry.addr_info : [];
    for (const info of addrInfo) {
      if (!isRecord(info)) continue;
      // An entry with only lifetimes (no `local`) carries no address.
      if (info.local === undefined) continue;
      const parsed = typeof info.local === 'string' ? parseIpAddress(info.local) : undefined;
      const prefixLength = info.prefixlen;
      if (parsed === undefined || typeof prefixLength !== 'number' || !Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > (parsed.family === 4 ? 32 : 128)) {
        return err(msg(`ip -j addr: ${name} のアドレス ${String(info.local)}/${String(prefixLength)} を読めません`, `ip -j addr: cannot read address ${String(info.local)}/${String(prefixLength)} of ${name}`));
      }
      addresses.push({ family: parsed.family, address: info.local as string, prefixLength });
    }
    links.push({ name, up: flags.includes('UP'), linkType: typeof entry.link_type === 'string' ? entry.link_type : 'unknown', addresses });
  }
  return ok(links);
}

/** Parses `ip -j [-4|-6] route show table main`. `family` is the family the command was asked for. */
export function parseIpRouteJson(text: string, family: 4 | 6): Result<RouteFacts[], Localized> {
  const array = parseJsonArray(text, `ip -j -${family} route`);
  if (!array.ok) return array;
  const routes: RouteFacts[] = [];
  for (const [index, entry] of array.value.entries()) {
    if (!isRecord(entry) || typeof entry.dst !== 'string') {
      return err(msg(`ip -j route の ${index + 1} 件目に宛先がありません`, `entry ${index + 1} of ip -j route has no destination`));
    }
    const destination = normalizeDestination(entry.dst, family);
    if (destination === undefined) {
      return err(msg(`ip -j route: 宛先 ${entry.dst} を読めません`, `ip -j route: cannot read destination ${entry.dst}`));
    }
    if (entry.gateway !== undefined && (typeof entry.gateway !== 'string' || parseIpAddress(entry.gateway) === undefined)) {
      return err(msg(`ip -j route: ${entry.dst} のゲートウェイ ${String(entry.gateway)} を読めません`, `ip -j route: cannot read gateway ${String(entry.gateway)} of ${entry.dst}`));
    }
    routes.push({
      destination,
      family,
      ...(typeof entry.gateway === 'string' ? { gateway: entry.gateway } : {}),
      ...(typeof entry.dev === 'string' ? { interface: entry.dev } : {}),
      // iproute2 omits `type` for unicast routes.
      type: typeof entry.type === 'string' ? entry.type : 'unicast',
      table: 'main',
    });
  }
  return ok(routes);
}

/** `default` stays; a bare address becomes a host route (`/32`, `/128`); a CIDR is canonicalized. */
function normalizeDestination(dst: string, family: 4 | 6): string | undefined {
  if (dst === 'default') return 'default';
  const text = dst.includes('/') ? dst : `${dst}/${family === 4 ? 32 : 128}`;
  const block = parseCidr(text);
  if (block === undefined || block.family !== family) return undefined;
  return block.text;
}

/**
 * Name servers of a resolv.conf (resolv.conf(5)): `nameserver <address>` lines; comments start
 * with `#` or `;`. An IPv6 server with a zone (`fe80::1%eth0`) keeps only the address. Lines that
 * are not valid addresses are skipped, as the resolver itself skips them.
 */
export function parseResolvConf(text: string): string[] {
  const servers: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const match = /^nameserver\s+(\S+)$/.exec(line);
    if (match === null) continue;
    const address = (match[1] as string).replace(/%.*$/, '');
    if (parseIpAddress(address) !== undefined && !servers.includes(address)) servers.push(address);
  }
  return servers;
}

/** What sysfs says about one interface (`/sys/class/net/<name>`). */
export interface SysfsInterfaceFacts {
  /** `wireless/` or `phy80211` exists (cfg80211 device). */
  readonly wireless: boolean;
  /** `device` link exists: a physical device backs the interface (absent for veth, bridge, tun…). */
  readonly hasDevice: boolean;
  /** Base name of `device/subsystem` (`usb`, `pci`…), when there is a device. */
  readonly subsystem?: string;
  /** Base name of `device/driver` (`rndis_host`, `e1000e`…), when bound. */
  readonly driver?: string;
}

/**
 * USB network drivers used by phones sharing their connection: Android RNDIS, Apple iPhone, and
 * CDC Ethernet (many phones and some modems). A cdc_ether dongle is classed as tethering too: both
 * are unexpected on a zone terminal, and the stricter name makes the operator look.
 */
const tetheringDrivers = new Set(['rndis_host', 'ipheth', 'cdc_ether', 'cdc_ncm', 'cdc_mbim', 'qmi_wwan']);

/** Classifies an interface from its iproute2 link type and sysfs facts (pure). */
export function classifyInterface(link: { readonly name: string; readonly linkType: string }, sysfs: SysfsInterfaceFacts): NetworkInterfaceKind {
  if (link.linkType === 'loopback' || link.name === 'lo') return 'loopback';
  if (sysfs.wireless) return 'wifi';
  if (sysfs.driver !== undefined && tetheringDrivers.has(sysfs.driver)) return 'tethering';
  if (sysfs.hasDevice && sysfs.subsystem === 'usb') return 'usb-ethernet';
  if (!sysfs.hasDevice) return 'virtual';
  return link.linkType === 'ether' ? 'ethernet' : 'other';
}
