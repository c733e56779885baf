import type { IsolationPolicy } from '../../shared/policy/schema';
import { decideIsolation } from './decide-isolation';
import type { CanaryProbe, IsolationReport, NetworkFacts } from './model';
import type { CanaryProber, NetworkFactsReader } from './ports';

/** One complete check: the facts read, every canary probed, and the decision. */
export interface IsolationCheck {
  readonly report: IsolationReport;
  readonly facts: NetworkFacts;
  readonly probes: readonly CanaryProbe[];
  /** Wall time of the whole check (facts and probes run concurrently), ms. */
  readonly elapsedMs: number;
}

/**
 * Runs one isolation check: reads the facts and probes every canary at the same time (the prober
 * bounds its own parallelism), then decides. Rejects only when the facts cannot be read; a canary
 * never rejects (its failures are outcomes). `timeoutMs` overrides `canaryTimeoutMs`.
 */
export async function runIsolationCheck(deps: {
  readonly policy: IsolationPolicy;
  readonly facts: NetworkFactsReader;
  readonly prober: CanaryProber;
  /** Monotonic milliseconds, for the elapsed figure (performance.now in production). */
  readonly nowMs: () => number;
  readonly timeoutMs?: number;
}): Promise<IsolationCheck> {
  const started = deps.nowMs();
  const timeoutMs = deps.timeoutMs ?? deps.policy.canaryTimeoutMs;
  const [facts, probes] = await Promise.all([
    deps.facts.read(),
    Promise.all(
      deps.policy.canaries.map(async (canary): Promise<CanaryProbe> => ({ ...canary, result: await deps.prober.probe(canary.host, canary.port, timeoutMs) })),
    ),
  ]);
  return { report: decideIsolation(deps.policy, facts, probes), facts, probes, elapsedMs: deps.nowMs() - started };
}
