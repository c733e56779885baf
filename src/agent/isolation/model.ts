/**
 * The isolation module's vocabulary: what the terminal's network looks like (facts), what a canary
 * probe observed, and what the pure decision found (issue #4 item 4; municipal policy 6(3)ア: the
 * My Number zone must not communicate with other zones).
 */
import type { Localized } from '../../shared/i18n';

/** What kind of network interface a NIC is, as far as the OS tells us. */
export type NetworkInterfaceKind = 'ethernet' | 'wifi' | 'usb-ethernet' | 'tethering' | 'loopback' | 'virtual' | 'other';

/** One address on an interface, e.g. `10.20.1.5` with prefix 24. */
export interface InterfaceAddress {
  readonly family: 4 | 6;
  readonly address: string;
  readonly prefixLength: number;
}

/** One network interface. */
export interface NetworkInterfaceFacts {
  readonly name: string;
  readonly kind: NetworkInterfaceKind;
  /** Administratively up (IFF_UP). A down interface cannot carry traffic but can be brought up. */
  readonly up: boolean;
  readonly addresses: readonly InterfaceAddress[];
  /** Kernel driver (e.g. `rndis_host`), when the OS names one; for evidence. */
  readonly driver?: string;
}

/** One route of the main table. */
export interface RouteFacts {
  /** `default` or a CIDR block (`10.20.0.0/16`; a host route is written with its full prefix). */
  readonly destination: string;
  readonly family: 4 | 6;
  readonly gateway?: string;
  readonly interface?: string;
  /** Route type: `unicast` (normal), `local`, `broadcast`, `blackhole`, `unreachable`, `prohibit`… */
  readonly type: string;
  readonly table: 'main';
}

/** Everything the decision reads about the terminal's network. */
export interface NetworkFacts {
  readonly interfaces: readonly NetworkInterfaceFacts[];
  readonly routes: readonly RouteFacts[];
  /** DNS servers in use (resolv.conf; the upstreams of systemd-resolved when it is the stub). */
  readonly dnsServers: readonly string[];
  /** Where the DNS servers were read from, for evidence. */
  readonly dnsSource: string;
}

/**
 * What a TCP connect to a canary observed.
 * - `connected`: the handshake completed. Something in another zone answered.
 * - `refused`: a TCP RST (or ICMP port unreachable) came back. The host IS reachable at the network
 *   layer, so this counts as a violation like `connected` (docs/media.md §8).
 * - `unreachable`: no route, or ICMP net/host unreachable or administratively prohibited.
 * - `timeout`: nothing came back before the deadline (dropped): isolated.
 * - `dns-failed`: the canary's host name did not resolve within the deadline.
 * - `error`: anything else; the check could not tell (fail closed: not isolated).
 */
export type CanaryOutcome = 'unreachable' | 'refused' | 'connected' | 'timeout' | 'dns-failed' | 'error';

/** The result of one probe. */
export interface ProbeResult {
  readonly outcome: CanaryOutcome;
  /** Wall time from the start of the probe (including the name lookup) to its outcome, ms. */
  readonly elapsedMs: number;
  /** OS error code or address connected to, for evidence (e.g. `ECONNREFUSED`, `10.0.0.1:443`). */
  readonly detail: string;
}

/** A canary as probed, with its result. */
export interface CanaryProbe {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly zone: string;
  readonly result: ProbeResult;
}

/** Stable codes of isolation findings. */
export type IsolationFindingCode =
  | 'unexpected-interface'
  | 'interface-not-allowed'
  | 'address-outside-allowed'
  | 'route-outside-allowed'
  | 'gateway-outside-allowed'
  | 'default-gateway-outside'
  | 'dns-outside'
  | 'dns-local-resolver'
  | 'canary-reachable'
  | 'canary-unverified'
  | 'canary-unresolved';

/**
 * `violation`: the terminal is not isolated (or cannot be shown to be: fail closed).
 * `warning`: worth an operator's look, but not a breach by itself.
 */
export type IsolationSeverity = 'violation' | 'warning';

/** One thing the check found. `subject` names it (interface, route, server or canary). */
export interface IsolationFinding {
  readonly code: IsolationFindingCode;
  readonly severity: IsolationSeverity;
  /** What the finding is about, stable across checks: `interface:wlan0`, `route:10.9.0.0/16`, `canary:lgwan-portal`. */
  readonly subject: string;
  readonly message: Localized;
  readonly evidence: Readonly<Record<string, unknown>>;
}

/** The outcome of one isolation check. `isolated` is true when no finding is a violation. */
export interface IsolationReport {
  readonly isolated: boolean;
  readonly findings: readonly IsolationFinding[];
}
