/**
 * What the isolation check needs from the operating system. Adapters live under
 * src/agent/platform/node (TCP prober, `ip`-based facts reader) and platform/linux (change source);
 * the module itself never touches the network or files.
 */
import type { NetworkFacts, ProbeResult } from './model';

/** Port: reads the terminal's interfaces, routes and DNS servers. Rejects when the OS cannot tell. */
export interface NetworkFactsReader {
  read(): Promise<NetworkFacts>;
}

/**
 * Port: one TCP connect attempt to a canary. Never rejects: every failure is an outcome. An
 * adapter bounds the whole probe (name lookup included) by `timeoutMs` plus a small margin, and
 * may queue probes to limit how many run at once.
 */
export interface CanaryProber {
  probe(host: string, port: number, timeoutMs: number): Promise<ProbeResult>;
}

/**
 * Port: tells when the network configuration may have changed (link, address or route events).
 * `onChange` may be called in bursts; the service coalesces them. `onError` reports that the
 * source died (the service keeps its periodic check as the safety net).
 */
export interface NetworkChangeSource {
  start(handlers: { onChange: () => void; onError: (error: Error) => void }): Promise<void>;
  stop(): Promise<void>;
}
