// TCP canary prober (issue #4 item 4): one connect per probe with a hard deadline that covers the
// name lookup too, and at most `maxParallel` probes in flight.
import { lookup } from 'node:dns/promises';
import { isIP, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { CanaryOutcome, ProbeResult } from '../../isolation/model';
import type { CanaryProber } from '../../isolation/ports';

/** Options of {@link createTcpCanaryProber}. */
export interface TcpCanaryProberOptions {
  /** Probes in flight at once (default 16). More wait their turn; their deadline starts when they run. */
  readonly maxParallel?: number;
  /** Monotonic ms (default performance.now). */
  readonly nowMs?: () => number;
}

/** errno → outcome. ICMP net/host unreachable and admin-prohibited surface as these codes on Linux. */
const unreachableCodes = new Set(['ENETUNREACH', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENONET', 'EADDRNOTAVAIL', 'EACCES', 'EPERM']);
const dnsFailureCodes = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'ENODATA', 'EAI_NONAME', 'ESERVFAIL', 'ETIMEOUT']);

function outcomeOfError(code: string | undefined): CanaryOutcome {
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET') return 'refused';
  if (code === 'ETIMEDOUT') return 'timeout';
  if (code !== undefined && unreachableCodes.has(code)) return 'unreachable';
  return 'error';
}

/**
 * Creates the node:net prober. `probe` never rejects; the whole probe (lookup + connect) ends by
 * `timeoutMs` (plus timer latency). A host name resolves with the system resolver (getaddrinfo),
 * bounded by the same deadline; the first address is tried.
 */
export function createTcpCanaryProber(options: TcpCanaryProberOptions = {}): CanaryProber {
  const maxParallel = Math.max(1, options.maxParallel ?? 16);
  const now = options.nowMs ?? (() => performance.now());
  let active = 0;
  const waiting: (() => void)[] = [];

  const acquire = async (): Promise<void> => {
    if (active < maxParallel) {
      active += 1;
      return;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = (): void => {
    const next = waiting.shift();
    if (next === undefined) active -= 1;
    else next();
  };

  const probeOnce = async (host: string, port: number, timeoutMs: number): Promise<ProbeResult> => {
    const started = now();
    const deadline = started + timeoutMs;
    const result = (outcome: CanaryOutcome, detail: string): ProbeResult => ({ outcome, elapsedMs: now() - started, detail });
    let address = host;
    if (isIP(host) === 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        const looked = await Promise.race([
          lookup(host).then((r) => r.address),
          new Promise<undefined>((resolve) => {
            timer = setTimeout(() => resolve(undefined), timeoutMs);
          }),
        ]);
        if (looked === undefined) return result('dns-failed', `lookup of ${host} timed out`);
        address = looked;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        return result(code !== undefined && dnsFailureCodes.has(code) ? 'dns-failed' : 'error', `lookup ${host}: ${code ?? String(error)}`);
      } finally {
        if (timer !== undefined) clearTimeout(timer);
      }
    }
    const remainingMs = Math.max(1, deadline - now());
    return new Promise<ProbeResult>((resolve) => {
      const socket = new Socket();
      let done = false;
      const finish = (outcome: CanaryOutcome, detail: string): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        socket.destroy();
        resolve(result(outcome, detail));
      };
      const timer = setTimeout(() => finish('timeout', `no answer from ${address}:${port} within ${timeoutMs} ms`), remainingMs);
      socket.once('connect', () => finish('connected', `connected to ${address}:${port}`));
      socket.once('error', (error: NodeJS.ErrnoException) => finish(outcomeOfError(error.code), `${address}:${port}: ${error.code ?? error.message}`));
      socket.connect({ host: address, port });
    });
  };

  return {
    async probe(host, port, timeoutMs) {
      await acquire();
      try {
        return await probeOnce(host, port, timeoutMs);
      } finally {
        release();
      }
    },
  };
}
