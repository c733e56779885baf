/**
 * Strict, pure parsers for the network values a zone policy names: IP addresses, CIDR blocks,
 * host names, the collector URL and network-share locations. The policy schema uses them as
 * refinements and the linter uses the parsed forms to compare blocks (overlap, containment).
 *
 * Strict on purpose: forms that different tools read differently are rejected instead of guessed
 * (`010.0.0.1` is octal for some resolvers and decimal for others; `fe80::1%eth0` carries a zone
 * that firewalls ignore).
 */

/** An IP address as a number: 32 bits for IPv4, 128 bits for IPv6. */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly value: bigint;
}

/** A CIDR block. `hostBitsSet` is true when the address has bits set beyond the prefix. */
export interface CidrBlock {
  readonly family: 4 | 6;
  /** The network address with host bits cleared. */
  readonly network: bigint;
  readonly prefixLength: number;
  readonly hostBitsSet: boolean;
  /** Canonical text, e.g. `10.20.0.0/16`, `2001:db8::/32`. */
  readonly text: string;
}

const IPV4_OCTET = /^(?:0|[1-9][0-9]{0,2})$/;
const IPV6_GROUP = /^[0-9A-Fa-f]{1,4}$/;

/** Parses a dotted-quad IPv4 address without leading zeros; undefined when malformed. */
export function parseIpv4(text: string): IpAddress | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!IPV4_OCTET.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return { family: 4, value };
}

/**
 * Parses an IPv6 address in RFC 4291 §2.2 text form (full, `::`-compressed, or with a trailing
 * dotted IPv4). Zone indices (`%eth0`) are rejected. Undefined when malformed.
 */
export function parseIpv6(text: string): IpAddress | undefined {
  if (text.length < 2 || text.length > 45) return undefined;
  const doubleColon = text.indexOf('::');
  if (doubleColon !== -1 && text.indexOf('::', doubleColon + 1) !== -1) return undefined;
  const head = doubleColon === -1 ? text : text.slice(0, doubleColon);
  const tail = doubleColon === -1 ? '' : text.slice(doubleColon + 2);
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const groups: number[] = [];
  const all = [...headGroups, ...tailGroups];
  const pushGroups = (list: string[], isLastList: boolean): boolean => {
    for (let i = 0; i < list.length; i += 1) {
      const group = list[i] as string;
      if (isLastList && i === list.length - 1 && group.includes('.')) {
        const v4 = parseIpv4(group);
        if (v4 === undefined) return false;
        groups.push(Number((v4.value >> 16n) & 0xffffn), Number(v4.value & 0xffffn));
        continue;
      }
      if (!IPV6_GROUP.test(group)) return false;
      groups.push(Number.parseInt(group, 16));
    }
    return true;
  };
  if (doubleColon === -1) {
    if (!pushGroups(all, true) || groups.length !== 8) return undefined;
  } else {
    if (!pushGroups(headGroups, tailGroups.length === 0)) return undefined;
    const headCount = groups.length;
    if (!pushGroups(tailGroups, true)) return undefined;
    const missing = 8 - groups.length;
    // RFC 4291 §2.2: "::" stands for one or more groups of zeros.
    if (missing < 1) return undefined;
    groups.splice(headCount, 0, ...new Array<number>(missing).fill(0));
  }
  let value = 0n;
  for (const group of groups) value = (value << 16n) | BigInt(group);
  return { family: 6, value };
}

/** Parses an IPv4 or IPv6 address; undefined when it is neither. */
export function parseIpAddress(text: string): IpAddress | undefined {
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text);
}

/** True when `text` is a strict IPv4 or IPv6 address. */
export function isIpAddress(text: string): boolean {
  return parseIpAddress(text) !== undefined;
}

const PREFIX = /^(?:0|[1-9][0-9]{0,2})$/;

/**
 * Parses `address/prefix`. The prefix is mandatory (a bare address is not a block). Host bits set
 * beyond the prefix are reported through `hostBitsSet` rather than rejected, so the linter can say
 * exactly what is wrong.
 */
export function parseCidr(text: string): CidrBlock | undefined {
  const slash = text.indexOf('/');
  if (slash === -1 || slash !== text.lastIndexOf('/')) return undefined;
  const address = parseIpAddress(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (address === undefined || !PREFIX.test(prefixText)) return undefined;
  const prefixLength = Number(prefixText);
  const bits = address.family === 4 ? 32 : 128;
  if (prefixLength > bits) return undefined;
  const hostMask = (1n << BigInt(bits - prefixLength)) - 1n;
  const network = address.value & ~hostMask;
  return {
    family: address.family,
    network,
    prefixLength,
    hostBitsSet: (address.value & hostMask) !== 0n,
    text: `${formatIpAddress({ family: address.family, value: network })}/${prefixLength}`,
  };
}

/** True when `text` is a syntactically valid CIDR block (host bits may be set). */
export function isCidr(text: string): boolean {
  return parseCidr(text) !== undefined;
}

/** Formats an address canonically (RFC 5952 for IPv6: lowercase, longest zero run compressed). */
export function formatIpAddress(address: IpAddress): string {
  if (address.family === 4) {
    const v = address.value;
    return [24n, 16n, 8n, 0n].map((shift) => String((v >> shift) & 0xffn)).join('.');
  }
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((address.value >> shift) & 0xffffn));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    // RFC 5952 §4.2.2: a single zero group is not compressed.
    if (j - i > bestLength && j - i > 1) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** True when `block` contains `address` (same family only). */
export function cidrContains(block: CidrBlock, address: IpAddress): boolean {
  if (block.family !== address.family) return false;
  const bits = block.family === 4 ? 32 : 128;
  const hostMask = (1n << BigInt(bits - block.prefixLength)) - 1n;
  return (address.value & ~hostMask) === block.network;
}

/** True when two blocks share at least one address: for CIDR blocks that means one contains the other. */
export function cidrOverlaps(a: CidrBlock, b: CidrBlock): boolean {
  if (a.family !== b.family) return false;
  const wider = a.prefixLength <= b.prefixLength ? a : b;
  const narrower = wider === a ? b : a;
  return cidrContains(wider, { family: narrower.family, value: narrower.network });
}

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * True for an RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens,
 * each 1..63 characters, 253 in all, no trailing dot. The last label may not be all digits, so a
 * malformed IPv4 address such as `999.1.1.1` is not mistaken for a name.
 */
export function isHostname(text: string): boolean {
  if (text.length === 0 || text.length > 253) return false;
  const labels = text.split('.');
  if (!labels.every((label) => LABEL.test(label))) return false;
  return !/^[0-9]+$/.test(labels[labels.length - 1] as string);
}

/** True for an IP address or a host name. */
export function isHost(text: string): boolean {
  return isIpAddress(text) || isHostname(text);
}

/** True when the host is the local machine: `localhost`, 127.0.0.0/8 or ::1. */
export function isLoopbackHost(host: string): boolean {
  if (host.toLowerCase() === 'localhost') return true;
  const address = parseIpAddress(host);
  if (address === undefined) return false;
  if (address.family === 4) return address.value >> 24n === 127n;
  return address.value === 1n;
}

/** The parts of a collector URL that the agent and the linter care about. */
export interface CollectorUrl {
  readonly scheme: 'https' | 'http';
  /** Host without brackets: a host name, an IPv4 or an IPv6 address. */
  readonly host: string;
  readonly port: number | undefined;
  /** Path and query, starting with `/` (`/` when the URL had none). */
  readonly pathAndQuery: string;
}

// scheme://host[:port][/path][?query]; no user info (credentials do not belong in a policy),
// no fragment (never sent to a server), printable ASCII only.
const URL_SHAPE = /^(https|http):\/\/(\[[0-9A-Fa-f:.]+\]|[^/:?#[\]@\s]+)(?::([0-9]{1,5}))?((?:\/[!$%&-;=@-Z_a-z~]*)*)(\?[!$%&-;=?@-Z_a-z~/]*)?$/;

/**
 * Parses an absolute http(s) URL without user info or fragment. Undefined when malformed; the
 * scheme rule (https, or http only for loopback) is checked by the schema, not here.
 */
export function parseCollectorUrl(text: string): CollectorUrl | undefined {
  if (text.length > 2048) return undefined;
  const match = URL_SHAPE.exec(text);
  if (match === null) return undefined;
  const [, scheme, rawHost, portText, path, query] = match;
  const bracketed = (rawHost as string).startsWith('[');
  const host = bracketed ? (rawHost as string).slice(1, -1) : (rawHost as string);
  if (bracketed ? parseIpv6(host) === undefined : !isHost(host)) return undefined;
  let port: number | undefined;
  if (portText !== undefined) {
    port = Number(portText);
    if (port < 1 || port > 65535 || /^0/.test(portText)) return undefined;
  }
  return {
    scheme: scheme as 'https' | 'http',
    host,
    port,
    pathAndQuery: `${path === undefined || path === '' ? '/' : path}${query ?? ''}`,
  };
}

// A share or path segment: printable, no separators or characters Windows forbids in names.
const SHARE_SEGMENT = /^[^\\/:*?"<>|\u0000-\u001f\u007f]{1,255}$/;

/**
 * True for a network share location: SMB as `//server/share[/path]` (forward slashes, so YAML
 * needs no escaping) or NFS as `server:/export[/path]`. The server is a host name or an IP address
 * (IPv6 in brackets).
 */
export function isNetworkShare(text: string): boolean {
  if (text.length === 0 || text.length > 1024) return false;
  if (text.startsWith('//')) {
    const segments = text.slice(2).split('/');
    const server = segments.shift() as string;
    if (!isShareServer(server) || segments.length === 0) return false;
    return segments.every((segment) => SHARE_SEGMENT.test(segment));
  }
  const colon = text.startsWith('[') ? text.indexOf(']:') + 1 : text.indexOf(':');
  if (colon <= 0) return false;
  const server = text.slice(0, colon);
  const exportPath = text.slice(colon + 1);
  if (!isShareServer(server) || !exportPath.startsWith('/')) return false;
  if (exportPath === '/') return true;
  return exportPath
    .slice(1)
    .split('/')
    .every((segment) => /^[^/\u0000-\u001f\u007f]{1,255}$/.test(segment));
}

function isShareServer(server: string): boolean {
  if (server.startsWith('[') && server.endsWith(']')) return parseIpv6(server.slice(1, -1)) !== undefined;
  return isHost(server) && !server.includes(':');
}

/**
 * True for an absolute local path: POSIX (`/var/...`) or Windows with a drive letter
 * (`C:\...` or `C:/...`). UNC paths are network locations, not local export destinations.
 */
export function isAbsoluteLocalPath(text: string): boolean {
  return text.startsWith('/') || /^[A-Za-z]:[\\/]/.test(text);
}

/** True when a path contains `.` or `..` segments (so its meaning depends on resolution). */
export function hasDotSegments(text: string): boolean {
  return text.split(/[\\/]/).some((segment) => segment === '.' || segment === '..');
}
