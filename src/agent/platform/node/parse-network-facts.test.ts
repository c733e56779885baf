import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { readDnsServers, readSysfsInterface } from './ip-network-facts';
import { classifyInterface, parseIpAddrJson, parseIpRouteJson, parseResolvConf } from './parse-network-facts';

const fixtures = path.resolve(__dirname, '../../../../test/fixtures/isolation');
const fixture = (name: string): string => readFileSync(path.join(fixtures, name), 'utf8');

describe('parseIpAddrJson', () => {
  it('reads links, flags and addresses of a real `ip -j addr` output', () => {
    const parsed = parseIpAddrJson(fixture('ip-addr.json'));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.map((l) => [l.name, l.up, l.linkType, l.addresses.map((a) => `${a.address}/${a.prefixLength}`)])).toEqual([
      ['lo', true, 'loopback', ['127.0.0.1/8', '::1/128']],
      ['enp0s31f6', true, 'ether', ['10.20.1.5/24', 'fe80::8e16:45ff:fe00:1/64']],
      ['wlp2s0', false, 'ether', []],
      ['usb0', true, 'ether', ['192.168.42.77/24']],
    ]);
  });

  it.each([
    ['not JSON', '{'],
    ['not an array', '{}'],
    ['no ifname', '[{"flags":[]}]'],
    ['bad address', '[{"ifname":"x","addr_info":[{"local":"10.0.0.300","prefixlen":24}]}]'],
    ['bad prefix', '[{"ifname":"x","addr_info":[{"local":"10.0.0.3","prefixlen":33}]}]'],
  ])('rejects %s', (_name, text) => {
    const parsed = parseIpAddrJson(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.en).toMatch(/ip -j addr/);
  });

  it('never throws, whatever the text (property)', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
      parseIpAddrJson(text);
      parseIpRouteJson(text, 4);
      parseResolvConf(text);
    }));
  });
});

describe('parseIpRouteJson', () => {
  it('reads IPv4 routes: default, kernel, blackhole and host routes', () => {
    const parsed = parseIpRouteJson(fixture('ip-route4.json'), 4);
    expect(parsed.ok && parsed.value.map((r) => [r.destination, r.gateway ?? null, r.interface ?? null, r.type])).toEqual([
      ['default', '10.20.1.1', 'enp0s31f6', 'unicast'],
      ['default', '192.168.42.129', 'usb0', 'unicast'],
      ['10.20.1.0/24', null, 'enp0s31f6', 'unicast'],
      ['192.168.42.0/24', null, 'usb0', 'unicast'],
      ['10.99.0.0/16', null, null, 'blackhole'],
      ['10.20.9.9/32', '10.20.1.1', 'enp0s31f6', 'unicast'],
    ]);
  });

  it('reads IPv6 routes with their family', () => {
    const parsed = parseIpRouteJson(fixture('ip-route6.json'), 6);
    expect(parsed.ok && parsed.value.map((r) => [r.family, r.destination, r.gateway ?? null])).toEqual([
      [6, 'fe80::/64', null],
      [6, 'default', 'fe80::1'],
    ]);
  });

  it.each([
    ['no destination', '[{"dev":"eth0"}]'],
    ['bad destination', '[{"dst":"10.0.0.0/40"}]'],
    ['wrong family', '[{"dst":"fe80::/64"}]'],
    ['bad gateway', '[{"dst":"default","gateway":"router"}]'],
  ])('rejects %s', (_name, text) => {
    expect(parseIpRouteJson(text, 4).ok).toBe(false);
  });
});

describe('parseResolvConf', () => {
  it('keeps valid name servers once, drops comments, zones and junk', () => {
    expect(parseResolvConf(fixture('resolv.conf'))).toEqual(['10.20.0.53', 'fe80::53']);
  });
});

describe('classifyInterface', () => {
  it.each([
    ['lo', 'loopback', { wireless: false, hasDevice: false }, 'loopback'],
    ['wlp2s0', 'ether', { wireless: true, hasDevice: true, subsystem: 'pci', driver: 'iwlwifi' }, 'wifi'],
    ['usb0', 'ether', { wireless: false, hasDevice: true, subsystem: 'usb', driver: 'rndis_host' }, 'tethering'],
    ['eth1', 'ether', { wireless: false, hasDevice: true, subsystem: 'usb', driver: 'ipheth' }, 'tethering'],
    ['enx0050b6', 'ether', { wireless: false, hasDevice: true, subsystem: 'usb', driver: 'r8152' }, 'usb-ethernet'],
    ['enp0s31f6', 'ether', { wireless: false, hasDevice: true, subsystem: 'pci', driver: 'e1000e' }, 'ethernet'],
    ['veth0', 'ether', { wireless: false, hasDevice: false }, 'virtual'],
    ['ib0', 'infiniband', { wireless: false, hasDevice: true, subsystem: 'pci' }, 'other'],
  ] as const)('%s → %s', (name, linkType, sysfs, kind) => {
    expect(classifyInterface({ name, linkType }, sysfs)).toBe(kind);
  });
});

describe('sysfs and resolv.conf readers (fixture trees)', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'mng-iso-sysfs-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const net = path.join(root, 'sys/class/net');
  const device = (name: string, subsystem: string, driver: string): void => {
    const dev = path.join(root, 'sys/devices', name);
    mkdirSync(path.join(root, 'sys/bus', subsystem, 'drivers', driver), { recursive: true });
    mkdirSync(dev, { recursive: true });
    symlinkSync(path.join(root, 'sys/bus', subsystem), path.join(dev, 'subsystem'));
    symlinkSync(path.join(root, 'sys/bus', subsystem, 'drivers', driver), path.join(dev, 'driver'));
    mkdirSync(path.join(net, name), { recursive: true });
    symlinkSync(dev, path.join(net, name, 'device'));
  };
  device('wlan0', 'pci', 'iwlwifi');
  mkdirSync(path.join(net, 'wlan0', 'wireless'));
  device('usb0', 'usb', 'rndis_host');
  device('enx1', 'usb', 'r8152');
  mkdirSync(path.join(net, 'veth0'), { recursive: true });

  it.each([
    ['wlan0', 'wifi', 'iwlwifi'],
    ['usb0', 'tethering', 'rndis_host'],
    ['enx1', 'usb-ethernet', 'r8152'],
    ['veth0', 'virtual', undefined],
  ])('%s reads as %s', async (name, kind, driver) => {
    const sysfs = await readSysfsInterface(path.join(root, 'sys'), name);
    expect(sysfs.driver).toBe(driver);
    expect(classifyInterface({ name, linkType: 'ether' }, sysfs)).toBe(kind);
  });

  it('follows systemd-resolved to its upstream servers when resolv.conf is the stub', async () => {
    mkdirSync(path.join(root, 'etc'), { recursive: true });
    mkdirSync(path.join(root, 'run/systemd/resolve'), { recursive: true });
    writeFileSync(path.join(root, 'etc/resolv.conf'), 'nameserver 127.0.0.53\noptions edns0 trust-ad\n');
    writeFileSync(path.join(root, 'run/systemd/resolve/resolv.conf'), 'nameserver 10.20.0.53\nnameserver 10.20.0.54\n');
    expect(await readDnsServers(root)).toEqual({ servers: ['10.20.0.53', '10.20.0.54'], source: '/run/systemd/resolve/resolv.conf' });
    writeFileSync(path.join(root, 'etc/resolv.conf'), 'nameserver 10.20.0.53\n');
    expect(await readDnsServers(root)).toEqual({ servers: ['10.20.0.53'], source: '/etc/resolv.conf' });
  });
});
