/**
 * The isolation decision (pure): given the policy's `spec.isolation`, the terminal's network facts
 * and the canary probe results, list every finding and say whether the terminal is isolated
 * (municipal policy 6(3)ア; docs/media.md §8 explains each rule).
 */
import { msg } from '../../shared/i18n';
import { cidrContains, parseCidr, parseIpAddress, type CidrBlock, type IpAddress } from '../../shared/policy/net';
import type { IsolationPolicy } from '../../shared/policy/schema';
import type { CanaryProbe, IsolationFinding, IsolationReport, NetworkFacts, NetworkInterfaceKind, RouteFacts } from './model';

/** The parts of `spec.isolation` the decision reads. */
export type IsolationRules = Pick<IsolationPolicy, 'allowedCidrs' | 'dnsServers' | 'allowedInterfaces'>;

/** NIC kinds that are never part of a zone terminal's wiring (issue #4: Wi-Fi, USB Ethernet, tethering). */
const unexpectedKinds: ReadonlySet<NetworkInterfaceKind> = new Set(['wifi', 'usb-ethernet', 'tethering']);

/** Route types that carry no traffic off the box: they only drop, or deliver locally. */
const nonForwardingRouteTypes = new Set(['blackhole', 'unreachable', 'prohibit', 'throw', 'local', 'broadcast', 'multicast', 'anycast', 'nat']);

const linkLocal4 = parseCidr('169.254.0.0/16') as CidrBlock;
const linkLocal6 = parseCidr('fe80::/10') as CidrBlock;
const multicast4 = parseCidr('224.0.0.0/4') as CidrBlock;
const multicast6 = parseCidr('ff00::/8') as CidrBlock;
const loopback4 = parseCidr('127.0.0.0/8') as CidrBlock;
const loopback6 = parseCidr('::1/128') as CidrBlock;

function within(outer: CidrBlock, inner: CidrBlock): boolean {
  return outer.family === inner.family && outer.prefixLength <= inner.prefixLength && cidrContains(outer, { family: inner.family, value: inner.network });
}

function isLinkLocal(address: IpAddress): boolean {
  return cidrContains(linkLocal4, address) || cidrContains(linkLocal6, address);
}

function isLoopbackAddress(address: IpAddress): boolean {
  return cidrContains(loopback4, address) || cidrContains(loopback6, address);
}

const kindNames: Record<NetworkInterfaceKind, { ja: string; en: string }> = {
  ethernet: { ja: '有線 LAN', en: 'Ethernet' },
  wifi: { ja: '無線 LAN（Wi-Fi）', en: 'Wi-Fi' },
  'usb-ethernet': { ja: 'USB 有線 LAN アダプター', en: 'USB Ethernet adapter' },
  tethering: { ja: 'スマートフォンのテザリング（USB）', en: 'phone tethering (USB)' },
  loopback: { ja: 'ループバック', en: 'loopback' },
  virtual: { ja: '仮想インターフェース', en: 'virtual interface' },
  other: { ja: 'その他のインターフェース', en: 'other interface' },
};

/**
 * Decides isolation. Rules, in order of the findings:
 * 1. Interfaces: loopback is always fine. An interface not in `allowedInterfaces` (when given) is a
 *    violation if up, a warning if down (it can be brought up). A Wi-Fi, USB Ethernet or tethering
 *    NIC is a violation if up, a warning if down, unless `allowedInterfaces` names it.
 * 2. Addresses of up interfaces: every non-loopback, non-link-local address must lie in
 *    `allowedCidrs`. Link-local addresses (169.254/16, fe80::/10) are not routable past the segment.
 * 3. Routes of the main table: loopback, link-local, multicast and non-forwarding (blackhole…)
 *    routes are fine. A route whose destination block lies inside an allowed CIDR is fine if its
 *    gateway (when any) lies inside one too (IPv6 link-local gateways are fine there: router
 *    advertisements use them). A default route is a finding unless its gateway lies inside an
 *    allowed CIDR (a link-local gateway too must be listed): in a closed zone the only router is the zone's own, whose filters enforce the
 *    separation; a default route through any other gateway, or with no gateway (point-to-point,
 *    VPN), sends everything unknown out of the zone.
 * 4. DNS: every non-loopback server must be one of `dnsServers`. A loopback server (a local stub
 *    whose upstreams we could not read) is a warning.
 * 5. Canaries: `connected` and `refused` are violations (something in the other zone answered; a
 *    RST proves reachability); `timeout` and `unreachable` are isolation; `error` is a violation
 *    (fail closed: the check could not tell); `dns-failed` is a warning (the name does not resolve
 *    here; an IP address makes the canary meaningful).
 */
export function decideIsolation(rules: IsolationRules, facts: NetworkFacts, probes: readonly CanaryProbe[]): IsolationReport {
  const allowed = rules.allowedCidrs.map((text) => parseCidr(text)).filter((b): b is CidrBlock => b !== undefined);
  const addressAllowed = (address: IpAddress): boolean => allowed.some((block) => cidrContains(block, address));
  const allowedNames = rules.allowedInterfaces === undefined ? undefined : new Set(rules.allowedInterfaces);
  const allowedList = rules.allowedCidrs.join(', ') || '—';
  const findings: IsolationFinding[] = [];

  for (const nic of facts.interfaces) {
    if (nic.kind === 'loopback') continue;
    const state = nic.up ? { ja: '有効', en: 'up' } : { ja: '無効', en: 'down' };
    const evidence = { interface: nic.name, kind: nic.kind, up: nic.up, addresses: nic.addresses.map((a) => `${a.address}/${a.prefixLength}`), ...(nic.driver === undefined ? {} : { driver: nic.driver }) };
    const severity = nic.up ? 'violation' : 'warning';
    if (allowedNames !== undefined && !allowedNames.has(nic.name)) {
      findings.push({
        code: 'interface-not-allowed',
        severity,
        subject: `interface:${nic.name}`,
        message: msg(
          `許可されていないインターフェース ${nic.name}（${kindNames[nic.kind].ja}、${state.ja}）があります。許可: ${[...allowedNames].join(', ') || 'なし'}`,
          `interface ${nic.name} (${kindNames[nic.kind].en}, ${state.en}) is not allowed; allowed: ${[...allowedNames].join(', ') || 'none'}`,
        ),
        evidence,
      });
    } else if (unexpectedKinds.has(nic.kind) && allowedNames === undefined) {
      findings.push({
        code: 'unexpected-interface',
        severity,
        subject: `interface:${nic.name}`,
        message: msg(
          `想定外のネットワーク機器 ${nic.name}（${kindNames[nic.kind].ja}、${state.ja}）があります。取り外すか無効にしてください`,
          `unexpected network device ${nic.name} (${kindNames[nic.kind].en}, ${state.en}); remove or disable it`,
        ),
        evidence,
      });
    }
    if (!nic.up) continue;
    for (const a of nic.addresses) {
      const address = parseIpAddress(a.address);
      if (address === undefined || isLoopbackAddress(address) || isLinkLocal(address) || addressAllowed(address)) continue;
      findings.push({
        code: 'address-outside-allowed',
        severity: 'violation',
        subject: `address:${nic.name}:${a.address}`,
        message: msg(
          `${nic.name} のアドレス ${a.address}/${a.prefixLength} が許可範囲（${allowedList}）の外です`,
          `address ${a.address}/${a.prefixLength} on ${nic.name} is outside the allowed ranges (${allowedList})`,
        ),
        evidence: { interface: nic.name, address: `${a.address}/${a.prefixLength}`, allowedCidrs: rules.allowedCidrs },
      });
    }
  }

  for (const route of facts.routes) findings.push(...decideRoute(route, allowed, addressAllowed, allowedList, rules));

  for (const server of facts.dnsServers) {
    const address = parseIpAddress(server);
    if (address === undefined) continue;
    if (isLoopbackAddress(address)) {
      findings.push({
        code: 'dns-local-resolver',
        severity: 'warning',
        subject: `dns:${server}`,
        message: msg(
          `DNS サーバーがローカルの ${server} です（${facts.dnsSource}）。その転送先を確認できません`,
          `the DNS server is the local resolver ${server} (${facts.dnsSource}); its upstream servers could not be checked`,
        ),
        evidence: { server, source: facts.dnsSource },
      });
    } else if (!rules.dnsServers.some((allowedServer) => sameAddress(allowedServer, address))) {
      findings.push({
        code: 'dns-outside',
        severity: 'violation',
        subject: `dns:${server}`,
        message: msg(
          `ポリシーにない DNS サーバー ${server} を使っています（${facts.dnsSource}）。許可: ${rules.dnsServers.join(', ') || 'なし'}`,
          `DNS server ${server} (${facts.dnsSource}) is not in the policy; allowed: ${rules.dnsServers.join(', ') || 'none'}`,
        ),
        evidence: { server, source: facts.dnsSource, allowedDnsServers: rules.dnsServers },
      });
    }
  }

  for (const canary of probes) {
    const finding = decideCanary(canary);
    if (finding !== undefined) findings.push(finding);
  }

  return { isolated: !findings.some((f) => f.severity === 'violation'), findings };
}

function sameAddress(text: string, address: IpAddress): boolean {
  const parsed = parseIpAddress(text);
  return parsed !== undefined && parsed.family === address.family && parsed.value === address.value;
}

function decideRoute(
  route: RouteFacts,
  allowed: readonly CidrBlock[],
  addressAllowed: (address: IpAddress) => boolean,
  allowedList: string,
  rules: IsolationRules,
): IsolationFinding[] {
  if (nonForwardingRouteTypes.has(route.type) || route.interface === 'lo') return [];
  const via = route.gateway === undefined ? '' : ` via ${route.gateway}`;
  const dev = route.interface === undefined ? '' : ` dev ${route.interface}`;
  const text = `${route.destination}${via}${dev}`;
  const evidence = { route: text, destination: route.destination, gateway: route.gateway ?? null, interface: route.interface ?? null, allowedCidrs: rules.allowedCidrs };
  const gateway = route.gateway === undefined ? undefined : parseIpAddress(route.gateway);
  const gatewayOk = gateway === undefined ? undefined : addressAllowed(gateway) || (gateway.family === 6 && isLinkLocal(gateway));
  if (route.destination === 'default') {
    // No link-local exception here: any router advertisement on the segment (a rogue one too)
    // yields an fe80:: default gateway, so it must be listed in allowedCidrs to be trusted.
    if (gateway !== undefined && addressAllowed(gateway)) return [];
    return [
      {
        code: 'default-gateway-outside',
        severity: 'violation',
        subject: `route:${route.family === 4 ? 'default' : 'default6'}`,
        message:
          route.gateway === undefined
            ? msg(`ゲートウェイのない既定経路 ${text} があります（すべての宛先が ${route.interface ?? '?'} から出ます）`, `default route ${text} has no gateway (every destination leaves through ${route.interface ?? '?'})`)
            : msg(`既定ゲートウェイ ${route.gateway} が許可範囲（${allowedList}）の外です: ${text}`, `default gateway ${route.gateway} is outside the allowed ranges (${allowedList}): ${text}`),
        evidence,
      },
    ];
  }
  const block = parseCidr(route.destination);
  if (block === undefined) return [];
  const network: IpAddress = { family: block.family, value: block.network };
  if (within(route.family === 4 ? linkLocal4 : linkLocal6, block) || within(route.family === 4 ? multicast4 : multicast6, block) || isLoopbackAddress(network)) return [];
  const findings: IsolationFinding[] = [];
  if (!allowed.some((outer) => within(outer, block))) {
    findings.push({
      code: 'route-outside-allowed',
      severity: 'violation',
      subject: `route:${route.destination}`,
      message: msg(`許可範囲（${allowedList}）の外への経路があります: ${text}`, `route outside the allowed ranges (${allowedList}): ${text}`),
      evidence,
    });
  } else if (gatewayOk === false) {
    findings.push({
      code: 'gateway-outside-allowed',
      severity: 'violation',
      subject: `route:${route.destination}`,
      message: msg(`経路 ${text} のゲートウェイ ${route.gateway ?? ''} が許可範囲（${allowedList}）の外です`, `route ${text} uses gateway ${route.gateway ?? ''} outside the allowed ranges (${allowedList})`),
      evidence,
    });
  }
  return findings;
}

function decideCanary(canary: CanaryProbe): IsolationFinding | undefined {
  const { result } = canary;
  const target = `${canary.name}（${canary.host}:${canary.port}、${canary.zone}）`;
  const targetEn = `${canary.name} (${canary.host}:${canary.port}, ${canary.zone})`;
  const elapsed = Math.round(result.elapsedMs);
  const evidence = { canary: canary.name, host: canary.host, port: canary.port, zone: canary.zone, outcome: result.outcome, elapsedMs: elapsed, detail: result.detail };
  switch (result.outcome) {
    case 'timeout':
    case 'unreachable':
      return undefined;
    case 'connected':
      return {
        code: 'canary-reachable',
        severity: 'violation',
        subject: `canary:${canary.name}`,
        message: msg(`他領域のカナリア ${target} に接続できました（${elapsed} ms）`, `canary ${targetEn} in another zone accepted a connection (${elapsed} ms)`),
        evidence,
      };
    case 'refused':
      return {
        code: 'canary-reachable',
        severity: 'violation',
        subject: `canary:${canary.name}`,
        message: msg(
          `他領域のカナリア ${target} から接続拒否（RST）が返りました（${elapsed} ms）。ネットワーク上は到達できています`,
          `canary ${targetEn} in another zone answered with a reset (${elapsed} ms): it is reachable on the network`,
        ),
        evidence,
      };
    case 'dns-failed':
      return {
        code: 'canary-unresolved',
        severity: 'warning',
        subject: `canary:${canary.name}`,
        message: msg(
          `カナリア ${target} の名前を解決できませんでした（${elapsed} ms）。IP アドレスで指定すると確認できます`,
          `canary ${targetEn} did not resolve (${elapsed} ms); give it as an IP address to make the probe meaningful`,
        ),
        evidence,
      };
    case 'error':
      return {
        code: 'canary-unverified',
        severity: 'violation',
        subject: `canary:${canary.name}`,
        message: msg(`カナリア ${target} を確認できませんでした: ${result.detail}（${elapsed} ms）`, `canary ${targetEn} could not be checked: ${result.detail} (${elapsed} ms)`),
        evidence,
      };
  }
}
