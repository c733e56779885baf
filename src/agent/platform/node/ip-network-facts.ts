// The Linux network facts reader (issue #4 item 4). It lives in platform/node, not platform/linux,
// because `mng isolation check` needs it and the CLI may import only platform/node (ADR 0001);
// it uses nothing but node:fs and node:child_process. On an OS without `ip` and /sys it rejects,
// and the check fails closed.
import { execFile } from 'node:child_process';
import { lstat, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { NetworkFacts, NetworkInterfaceFacts, RouteFacts } from '../../isolation/model';
import type { NetworkFactsReader } from '../../isolation/ports';
import { classifyInterface, parseIpAddrJson, parseIpRouteJson, parseResolvConf, type SysfsInterfaceFacts } from './parse-network-facts';

/** Options of {@link createIpNetworkFacts}; roots are injectable so tests use fixture trees. */
export interface IpNetworkFactsOptions {
  /** Root of sysfs (default `/sys`). */
  readonly sysfsRoot?: string;
  /** Root under which `etc/resolv.conf` and `run/systemd/resolve/resolv.conf` are read (default `/`). */
  readonly fsRoot?: string;
  /** The `ip` command (default `ip` from PATH). */
  readonly ipCommand?: string;
  /** Bound on each `ip` run, ms (default 3000). */
  readonly commandTimeoutMs?: number;
}

/** resolv.conf files are small; more than this is not a resolv.conf. */
const maxResolvConfBytes = 64 * 1024;
/** systemd-resolved's stub listener (resolved.conf(5)): its upstreams are in run/systemd/resolve. */
const resolvedStubs = new Set(['127.0.0.53', '127.0.0.54']);

function runIp(command: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 8 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error !== null) {
        reject(new Error(`${command} ${args.join(' ')} failed: ${stderr.trim() || error.message}`, { cause: error }));
        return;
      }
      resolve(stdout);
    });
  });
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

async function linkBase(file: string): Promise<string | undefined> {
  try {
    return path.basename(await readlink(file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Reads what sysfs says about one interface (`<sysfsRoot>/class/net/<name>`). */
export async function readSysfsInterface(sysfsRoot: string, name: string): Promise<SysfsInterfaceFacts> {
  // The name comes from the kernel via `ip`, but keep it inside class/net whatever it holds.
  if (name.includes('/') || name === '.' || name === '..') return { wireless: false, hasDevice: false };
  const dir = path.join(sysfsRoot, 'class', 'net', name);
  const [wireless, phy, hasDevice] = await Promise.all([exists(path.join(dir, 'wireless')), exists(path.join(dir, 'phy80211')), exists(path.join(dir, 'device'))]);
  if (!hasDevice) return { wireless: wireless || phy, hasDevice };
  const [subsystem, driver] = await Promise.all([linkBase(path.join(dir, 'device', 'subsystem')), linkBase(path.join(dir, 'device', 'driver'))]);
  return { wireless: wireless || phy, hasDevice, ...(subsystem === undefined ? {} : { subsystem }), ...(driver === undefined ? {} : { driver }) };
}

async function readSmallText(file: string): Promise<string | undefined> {
  try {
    const bytes = await readFile(file);
    return bytes.subarray(0, maxResolvConfBytes).toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Reads the DNS servers: resolv.conf, or systemd-resolved's upstream list when resolv.conf points at its stub. */
export async function readDnsServers(fsRoot: string): Promise<{ servers: string[]; source: string }> {
  const resolvConf = path.join(fsRoot, 'etc', 'resolv.conf');
  const text = await readSmallText(resolvConf);
  const servers = text === undefined ? [] : parseResolvConf(text);
  if (servers.length > 0 && servers.every((s) => resolvedStubs.has(s))) {
    const upstreamFile = path.join(fsRoot, 'run', 'systemd', 'resolve', 'resolv.conf');
    const upstream = await readSmallText(upstreamFile);
    if (upstream !== undefined) return { servers: parseResolvConf(upstream), source: '/run/systemd/resolve/resolv.conf' };
  }
  return { servers, source: '/etc/resolv.conf' };
}

/**
 * Creates the `ip -j` + sysfs + resolv.conf facts reader (Linux, iproute2 ≥ 4.13). Each read runs
 * `ip -j addr`, `ip -j -4 route show table main` and `ip -j -6 route show table main`.
 */
export function createIpNetworkFacts(options: IpNetworkFactsOptions = {}): NetworkFactsReader {
  const sysfsRoot = options.sysfsRoot ?? '/sys';
  const fsRoot = options.fsRoot ?? '/';
  const ip = options.ipCommand ?? 'ip';
  const timeoutMs = options.commandTimeoutMs ?? 3000;
  return {
    async read(): Promise<NetworkFacts> {
      const [addrText, route4Text, route6Text, dns] = await Promise.all([
        runIp(ip, ['-j', 'addr', 'show'], timeoutMs),
        runIp(ip, ['-j', '-4', 'route', 'show', 'table', 'main'], timeoutMs),
        // A kernel without IPv6 makes `ip -6` fail; that is "no IPv6 routes", not an error.
        runIp(ip, ['-j', '-6', 'route', 'show', 'table', 'main'], timeoutMs).catch((error: unknown) => {
          if (error instanceof Error && /Address family not supported|not supported/i.test(error.message)) return '[]';
          throw error;
        }),
        readDnsServers(fsRoot),
      ]);
      const links = parseIpAddrJson(addrText);
      if (!links.ok) throw new Error(links.error.en);
      const routes4 = parseIpRouteJson(route4Text.trim() === '' ? '[]' : route4Text, 4);
      if (!routes4.ok) throw new Error(routes4.error.en);
      const routes6 = parseIpRouteJson(route6Text.trim() === '' ? '[]' : route6Text, 6);
      if (!routes6.ok) throw new Error(routes6.error.en);
      const interfaces = await Promise.all(
        links.value.map(async (link): Promise<NetworkInterfaceFacts> => {
          const sysfs = await readSysfsInterface(sysfsRoot, link.name);
          return { name: link.name, kind: classifyInterface(link, sysfs), up: link.up, addresses: link.addresses, ...(sysfs.driver === undefined ? {} : { driver: sysfs.driver }) };
        }),
      );
      const routes: RouteFacts[] = [...routes4.value, ...routes6.value];
      return { interfaces, routes, dnsServers: dns.servers, dnsSource: dns.source };
    },
  };
}
