// Network namespaces made by tests and benchmarks (issue #4: terminals as `ip netns`, veth). Every
// address is in 10.77.0.0/16 inside namespaces the caller created; nothing outside them is contacted.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

/** Runs `ip …` and throws with its stderr when it fails. */
export function ip(...args: string[]): string {
  const result = spawnSync('ip', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${result.stderr.trim()}`);
  return result.stdout;
}

/** Runs a command inside a namespace and throws when it fails. */
export function inNetns(ns: string, ...command: string[]): string {
  return ip('netns', 'exec', ns, ...command);
}

/** A set of namespaces with a common random suffix; `destroy` removes them all. */
export interface NetnsLab {
  /** `mng-iso-<role>-<random>`. */
  readonly name: (role: string) => string;
  /** Creates a namespace with loopback up and, when given, its own resolv.conf (`/etc/netns/<ns>/`). */
  add(role: string, resolvConf?: string): string;
  /** A veth pair between two namespaces, each end with an address (CIDR), both up. */
  link(a: { ns: string; ifname: string; cidr: string }, b: { ns: string; ifname: string; cidr: string }): void;
  /** Starts a TCP listener inside `ns` on host:port; resolves when it listens. */
  listen(ns: string, host: string, port: number): Promise<void>;
  destroy(): void;
}

/** Creates a lab; call `destroy` in afterEach/afterAll whatever happened. */
export function createNetnsLab(): NetnsLab {
  const suffix = randomBytes(3).toString('hex');
  const made: string[] = [];
  const children: ChildProcess[] = [];
  const name = (role: string): string => `mng-iso-${role}-${suffix}`;
  return {
    name,
    add(role, resolvConf) {
      const ns = name(role);
      ip('netns', 'add', ns);
      made.push(ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      if (resolvConf !== undefined) {
        mkdirSync(`/etc/netns/${ns}`, { recursive: true });
        writeFileSync(`/etc/netns/${ns}/resolv.conf`, resolvConf);
      }
      return ns;
    },
    link(a, b) {
      ip('link', 'add', a.ifname, 'netns', a.ns, 'type', 'veth', 'peer', 'name', b.ifname, 'netns', b.ns);
      for (const end of [a, b]) {
        ip('-n', end.ns, 'addr', 'add', end.cidr, 'dev', end.ifname);
        ip('-n', end.ns, 'link', 'set', end.ifname, 'up');
      }
    },
    listen(ns, host, port) {
      const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', `require('node:net').createServer((s) => s.destroy()).listen(${port}, ${JSON.stringify(host)}, () => console.log('ready'))`], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      return new Promise((resolve, reject) => {
        let err = '';
        child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
        child.stdout?.once('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`listener in ${ns} exited (${String(code)}): ${err}`)));
      });
    },
    destroy() {
      for (const child of children) {
        child.removeAllListeners('exit');
        child.kill('SIGKILL');
      }
      for (const ns of made) {
        spawnSync('ip', ['netns', 'del', ns]);
        rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
      }
      made.length = 0;
    },
  };
}

/**
 * The isolation lab: terminal T (t0 10.77.1.2/24) — router R (r0 10.77.1.1/24, r1 10.77.2.1/24,
 * forwarding on, blackhole for 10.77.3.0/24: packets there vanish, so a canary times out) —
 * listener zone L (l0 10.77.2.2/24, default via R). T starts with only its connected route, and
 * its resolv.conf names 10.77.1.53.
 */
export function createIsolationLab(): NetnsLab & { readonly terminal: string; readonly router: string; readonly listener: string } {
  const lab = createNetnsLab();
  try {
    const terminal = lab.add('t', 'nameserver 10.77.1.53\noptions timeout:1 attempts:1\n');
    const router = lab.add('r');
    const listener = lab.add('l');
    lab.link({ ns: terminal, ifname: 't0', cidr: '10.77.1.2/24' }, { ns: router, ifname: 'r0', cidr: '10.77.1.1/24' });
    lab.link({ ns: listener, ifname: 'l0', cidr: '10.77.2.2/24' }, { ns: router, ifname: 'r1', cidr: '10.77.2.1/24' });
    // /proc/sys/net is per namespace: this turns forwarding on in R only.
    inNetns(router, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward');
    ip('-n', router, 'route', 'add', 'blackhole', '10.77.3.0/24');
    ip('-n', listener, 'route', 'add', 'default', 'via', '10.77.2.1');
    return { ...lab, terminal, router, listener };
  } catch (error) {
    lab.destroy();
    throw error;
  }
}
