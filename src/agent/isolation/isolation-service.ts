import type { AuditSink } from '../audit';
import type { Clock } from '../../shared/clock';
import { msg, type Localized } from '../../shared/i18n';
import type { IsolationPolicy } from '../../shared/policy/schema';
import type { IsolationFinding } from './model';
import type { CanaryProber, NetworkChangeSource, NetworkFactsReader } from './ports';
import { runIsolationCheck, type IsolationCheck } from './run-isolation-check';

/** Why a check ran. */
export type IsolationTrigger = 'start' | 'network-change' | 'periodic' | 'policy-changed' | 'refresh';

/** Timers, injected so tests drive time (STYLE.md §4). */
export interface IsolationTimers {
  setTimeout(run: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** What the monitor last saw; `undefined` fields before the first check. */
export interface IsolationState {
  readonly lastCheck: IsolationCheck | undefined;
  readonly lastCheckedAtMs: number | undefined;
  readonly lastTrigger: IsolationTrigger | undefined;
  /** Why the last check could not run (facts unreadable): the terminal counts as not isolated. */
  readonly lastError: Localized | undefined;
  readonly changeSourceError: string | undefined;
}

/** The running isolation check. */
export interface IsolationMonitor {
  start(): Promise<void>;
  /** Runs a check now (coalesced with one already running). */
  check(trigger: IsolationTrigger): Promise<void>;
  state(): IsolationState;
  stop(): Promise<void>;
}

/** Dependencies of {@link createIsolationMonitor}. */
export interface IsolationMonitorDeps {
  readonly facts: NetworkFactsReader;
  readonly prober: CanaryProber;
  /** Optional: without it the periodic check is the only trigger after start. */
  readonly changes?: NetworkChangeSource;
  readonly audit: AuditSink;
  readonly clock: Clock;
  /** Monotonic ms for elapsed figures. */
  readonly monotonicMs: () => number;
  /** `spec.isolation` of the policy in force, or undefined when there is none (no check runs). */
  readonly policy: () => IsolationPolicy | undefined;
  readonly timers?: IsolationTimers;
  /** Network events come in bursts (link, then address, then routes): wait this long, ms. */
  readonly changeSettleMs?: number;
}

const defaultTimers: IsolationTimers = {
  setTimeout: (run, delayMs) => setTimeout(run, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Creates the isolation monitor: checks at start, after every network change (settled), every
 * `checkIntervalSeconds`, and when asked. Audit: `isolation.checked` when the result (isolated or
 * not, and the set of findings) changes, `isolation.violation` (alert) once per new violation,
 * `isolation.check-failed` (alert) when the facts cannot be read (fail closed: not isolated).
 */
export function createIsolationMonitor(deps: IsolationMonitorDeps): IsolationMonitor {
  const timers = deps.timers ?? defaultTimers;
  const settleMs = deps.changeSettleMs ?? 500;
  let state: IsolationState = { lastCheck: undefined, lastCheckedAtMs: undefined, lastTrigger: undefined, lastError: undefined, changeSourceError: undefined };
  let lastSignature: string | undefined;
  let knownViolations = new Set<string>();
  let running: Promise<void> | undefined;
  let again: IsolationTrigger | undefined;
  let periodic: unknown;
  let settle: unknown;
  let stopped = false;

  const schedulePeriodic = (): void => {
    if (periodic !== undefined) timers.clearTimeout(periodic);
    periodic = undefined;
    const policy = deps.policy();
    if (stopped || policy === undefined) return;
    periodic = timers.setTimeout(() => {
      periodic = undefined;
      void check('periodic');
    }, policy.checkIntervalSeconds * 1000);
  };

  const runOnce = async (trigger: IsolationTrigger): Promise<void> => {
    const policy = deps.policy();
    if (policy === undefined) {
      state = { ...state, lastCheck: undefined, lastTrigger: trigger, lastError: undefined };
      lastSignature = undefined;
      knownViolations = new Set();
      return;
    }
    let result: IsolationCheck;
    try {
      result = await runIsolationCheck({ policy, facts: deps.facts, prober: deps.prober, nowMs: deps.monotonicMs });
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      const message = msg(`ネットワークの状態を読めませんでした: ${text}`, `could not read the network state: ${text}`);
      state = { ...state, lastCheck: undefined, lastCheckedAtMs: deps.clock.nowMs(), lastTrigger: trigger, lastError: message };
      const signature = `error:${text}`;
      if (signature !== lastSignature) {
        lastSignature = signature;
        await deps.audit.append({ type: 'isolation.check-failed', severity: 'alert', data: { trigger, error: text } });
      }
      return;
    }
    state = { ...state, lastCheck: result, lastCheckedAtMs: deps.clock.nowMs(), lastTrigger: trigger, lastError: undefined };
    const signature = JSON.stringify([result.report.isolated, result.report.findings.map((f) => `${f.code}|${f.subject}`).sort()]);
    const violations = result.report.findings.filter((f) => f.severity === 'violation');
    const fresh = violations.filter((f) => !knownViolations.has(findingKey(f)));
    knownViolations = new Set(violations.map(findingKey));
    if (signature !== lastSignature) {
      lastSignature = signature;
      await deps.audit.append({
        type: 'isolation.checked',
        severity: result.report.isolated ? 'info' : 'warning',
        data: {
          trigger,
          isolated: result.report.isolated,
          elapsedMs: Math.round(result.elapsedMs),
          findings: result.report.findings.map((f) => ({ code: f.code, severity: f.severity, subject: f.subject })),
          canaries: result.probes.map((p) => ({ name: p.name, outcome: p.result.outcome, elapsedMs: Math.round(p.result.elapsedMs) })),
        },
      });
    }
    for (const finding of fresh) {
      await deps.audit.append({ type: 'isolation.violation', severity: 'alert', data: { trigger, code: finding.code, subject: finding.subject, message: finding.message, evidence: finding.evidence } });
    }
  };

  const check = async (trigger: IsolationTrigger): Promise<void> => {
    if (stopped) return;
    if (running !== undefined) {
      // One check at a time; a trigger during a check asks for one more after it (facts may have
      // changed after they were read).
      again = trigger;
      return running;
    }
    running = (async () => {
      try {
        let next: IsolationTrigger | undefined = trigger;
        while (next !== undefined && !stopped) {
          again = undefined;
          await runOnce(next);
          next = again;
        }
      } finally {
        running = undefined;
        schedulePeriodic();
      }
    })();
    return running;
  };

  return {
    async start() {
      stopped = false;
      if (deps.changes !== undefined) {
        try {
          await deps.changes.start({
            onChange: () => {
              if (settle !== undefined) timers.clearTimeout(settle);
              settle = timers.setTimeout(() => {
                settle = undefined;
                void check('network-change');
              }, settleMs);
            },
            onError: (error) => {
              state = { ...state, changeSourceError: error.message };
            },
          });
        } catch (error) {
          // The periodic check still runs; the status says change detection is missing.
          state = { ...state, changeSourceError: error instanceof Error ? error.message : String(error) };
        }
      }
      await check('start');
    },
    check,
    state: () => state,
    async stop() {
      stopped = true;
      if (periodic !== undefined) timers.clearTimeout(periodic);
      if (settle !== undefined) timers.clearTimeout(settle);
      periodic = undefined;
      settle = undefined;
      await deps.changes?.stop();
      await running;
    },
  };
}

function findingKey(finding: IsolationFinding): string {
  return `${finding.code}|${finding.subject}`;
}
