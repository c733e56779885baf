import { describe, expect, it } from 'vitest';
import { decideIsolation, type IsolationRules } from './decide-isolation';
import type { CanaryProbe, NetworkFacts, NetworkInterfaceFacts, ProbeResult, RouteFacts } from './model';

const rules: IsolationRules = { allowedCidrs: ['10.20.0.0/16'], dnsServers: ['10.20.0.53'] };
const lo: NetworkInterfaceFacts = { name: 'lo', kind: 'loopback', up: true, addresses: [{ family: 4, address: '127.0.0.1', prefixLength: 8 }, { family: 6, address: '::1', prefixLength: 128 }] };
const eth0: NetworkInterfaceFacts = { name: 'eth0', kind: 'ethernet', up: true, addresses: [{ family: 4, address: '10.20.1.5', prefixLength: 24 }, { family: 6, address: 'fe80::1', prefixLength: 64 }] };
const route = (destination: string, extra: Partial<RouteFacts> = {}): RouteFacts => ({ destination, family: destination.includes(':') ? 6 : 4, type: 'unicast', table: 'main', interface: 'eth0', ...extra });
const clean: NetworkFacts = {
  interfaces: [lo, eth0],
  routes: [route('10.20.1.0/24'), route('10.20.0.0/16', { gateway: '10.20.1.1' }), route('fe80::/64', { family: 6 }), route('127.0.0.0/8', { type: 'local', interface: 'lo' })],
  dnsServers: ['10.20.0.53'],
  dnsSource: '/etc/resolv.conf',
};
const probe = (outcome: ProbeResult['outcome'], name = 'lgwan-gw'): CanaryProbe => ({ name, host: '198.51.100.20', port: 443, zone: 'lgwan', result: { outcome, elapsedMs: 12.4, detail: 'x' } });

describe('decideIsolation', () => {
  it('finds nothing on a terminal wired only into the allowed range', () => {
    expect(decideIsolation(rules, clean, [probe('timeout'), probe('unreachable', 'b')])).toEqual({ isolated: true, findings: [] });
  });

  const cases: { name: string; facts?: Partial<NetworkFacts>; probes?: CanaryProbe[]; rules?: Partial<IsolationRules>; code: string; severity: string; subject: string; text: string }[] = [
    { name: 'up Wi-Fi', facts: { interfaces: [lo, eth0, { name: 'wlan0', kind: 'wifi', up: true, addresses: [] }] }, code: 'unexpected-interface', severity: 'violation', subject: 'interface:wlan0', text: 'wlan0' },
    { name: 'down tethering', facts: { interfaces: [lo, eth0, { name: 'usb0', kind: 'tethering', up: false, addresses: [] }] }, code: 'unexpected-interface', severity: 'warning', subject: 'interface:usb0', text: 'usb0' },
    { name: 'interface not in allowedInterfaces', rules: { allowedInterfaces: ['eth1'] }, code: 'interface-not-allowed', severity: 'violation', subject: 'interface:eth0', text: 'eth0' },
    { name: 'address outside', facts: { interfaces: [lo, { ...eth0, addresses: [{ family: 4, address: '192.168.1.9', prefixLength: 24 }] }], routes: [] }, code: 'address-outside-allowed', severity: 'violation', subject: 'address:eth0:192.168.1.9', text: '192.168.1.9/24' },
    { name: 'route outside', facts: { routes: [...clean.routes, route('10.9.0.0/16', { gateway: '10.20.1.1' })] }, code: 'route-outside-allowed', severity: 'violation', subject: 'route:10.9.0.0/16', text: '10.9.0.0/16 via 10.20.1.1 dev eth0' },
    { name: 'route wider than allowed', facts: { routes: [route('10.0.0.0/8')] }, code: 'route-outside-allowed', severity: 'violation', subject: 'route:10.0.0.0/8', text: '10.0.0.0/8' },
    { name: 'gateway outside', facts: { routes: [route('10.20.5.0/24', { gateway: '172.16.0.1' })] }, code: 'gateway-outside-allowed', severity: 'violation', subject: 'route:10.20.5.0/24', text: '172.16.0.1' },
    { name: 'default via outside gateway', facts: { routes: [route('default', { gateway: '192.168.0.1' })] }, code: 'default-gateway-outside', severity: 'violation', subject: 'route:default', text: '192.168.0.1' },
    { name: 'default without gateway', facts: { routes: [route('default', { interface: 'ppp0' })] }, code: 'default-gateway-outside', severity: 'violation', subject: 'route:default', text: 'ppp0' },
    { name: 'IPv6 default via global gateway', facts: { routes: [route('default', { family: 6, gateway: '2001:db8::1' })] }, code: 'default-gateway-outside', severity: 'violation', subject: 'route:default6', text: '2001:db8::1' },
    { name: 'IPv6 default via an unlisted link-local router', facts: { routes: [route('default', { family: 6, gateway: 'fe80::1' })] }, code: 'default-gateway-outside', severity: 'violation', subject: 'route:default6', text: 'fe80::1' },
    { name: 'foreign DNS', facts: { dnsServers: ['8.8.8.8'] }, code: 'dns-outside', severity: 'violation', subject: 'dns:8.8.8.8', text: '8.8.8.8' },
    { name: 'local stub DNS', facts: { dnsServers: ['127.0.0.53'] }, code: 'dns-local-resolver', severity: 'warning', subject: 'dns:127.0.0.53', text: '127.0.0.53' },
    { name: 'canary connected', probes: [probe('connected')], code: 'canary-reachable', severity: 'violation', subject: 'canary:lgwan-gw', text: '198.51.100.20:443' },
    { name: 'canary refused (RST)', probes: [probe('refused')], code: 'canary-reachable', severity: 'violation', subject: 'canary:lgwan-gw', text: '12 ms' },
    { name: 'canary error', probes: [probe('error')], code: 'canary-unverified', severity: 'violation', subject: 'canary:lgwan-gw', text: 'lgwan-gw' },
    { name: 'canary name unresolved', probes: [probe('dns-failed')], code: 'canary-unresolved', severity: 'warning', subject: 'canary:lgwan-gw', text: 'lgwan-gw' },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.code} (${c.severity})`, () => {
      const report = decideIsolation({ ...rules, ...c.rules }, { ...clean, ...c.facts }, c.probes ?? []);
      expect(report.findings.map((f) => [f.code, f.severity, f.subject])).toEqual([[c.code, c.severity, c.subject]]);
      const finding = report.findings[0];
      expect(finding?.message.en).toContain(c.text);
      expect(finding?.message.ja).toContain(c.text.split(' ')[0]);
      expect(report.isolated).toBe(c.severity !== 'violation');
    });
  }

  it('accepts a default route through a gateway inside the allowed ranges (the zone router)', () => {
    expect(decideIsolation(rules, { ...clean, routes: [route('default', { gateway: '10.20.1.1' })] }, []).findings).toEqual([]);
  });

  it('ignores blackhole/unreachable routes, loopback, link-local and multicast', () => {
    const routes = [route('0.0.0.0/0', { type: 'blackhole' }), route('192.168.0.0/16', { type: 'unreachable' }), route('169.254.0.0/16'), route('224.0.0.0/4'), route('ff00::/8', { family: 6 }), route('::1/128', { family: 6, interface: 'lo' })];
    expect(decideIsolation(rules, { ...clean, routes }, []).findings).toEqual([]);
  });

  it('accepts an IPv6 route through a link-local gateway (router advertisements) when its destination is allowed', () => {
    const v6 = { ...rules, allowedCidrs: ['10.20.0.0/16', '2001:db8:20::/48'] };
    expect(decideIsolation(v6, { ...clean, routes: [route('2001:db8:20:1::/64', { family: 6, gateway: 'fe80::1' })] }, []).findings).toEqual([]);
  });

  it('accepts a Wi-Fi NIC that allowedInterfaces names explicitly', () => {
    const facts = { ...clean, interfaces: [lo, eth0, { name: 'wlan0', kind: 'wifi' as const, up: true, addresses: [{ family: 4 as const, address: '10.20.9.9', prefixLength: 24 }] }] };
    expect(decideIsolation({ ...rules, allowedInterfaces: ['eth0', 'wlan0'] }, facts, []).findings).toEqual([]);
  });

  it('reports every violation, each naming its subject', () => {
    const facts: NetworkFacts = { ...clean, interfaces: [lo, eth0, { name: 'wlan0', kind: 'wifi', up: true, addresses: [] }], routes: [route('default', { gateway: '192.168.0.1' })], dnsServers: ['1.1.1.1'] };
    const report = decideIsolation(rules, facts, [probe('connected', 'a'), probe('timeout', 'b')]);
    expect(report.isolated).toBe(false);
    expect(report.findings.map((f) => f.subject)).toEqual(['interface:wlan0', 'route:default', 'dns:1.1.1.1', 'canary:a']);
    expect(report.findings.find((f) => f.code === 'canary-reachable')?.evidence).toMatchObject({ canary: 'a', host: '198.51.100.20', port: 443, elapsedMs: 12 });
  });
});
