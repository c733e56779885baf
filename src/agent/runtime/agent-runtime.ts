import { createHash } from 'node:crypto';
import type { Clock } from '../../shared/clock';
import { isMngError } from '../../shared/errors';
import { msg, type Localized } from '../../shared/i18n';
import type { Logger } from '../../shared/logger';
import type { AuditSink } from '../audit';
import type { PolicyManager } from '../policy';
import { decideControlStatuses, describeHost, type AgentControl, type AgentSummary, type AuditView, type HostFacts, type HostFactsReader } from '../posture';
import type { AgentStatusDocument, PolicyBundleSource, StatusPublisher } from './ports';

/** What the runtime needs; wired by the composition root (src/agent/main.ts). */
export interface AgentRuntimeDeps {
  readonly agentVersion: string;
  readonly mode: 'monitor' | 'enforce';
  readonly pid: number;
  readonly policy: PolicyManager;
  readonly bundle: PolicyBundleSource;
  readonly audit: AuditSink & { last(): { seq: number } };
  readonly auditPath: string;
  /** The verdict on the stored audit log when it was opened. */
  readonly auditIntegrity: AuditView['integrity'];
  readonly hostFacts: HostFactsReader;
  readonly status: StatusPublisher;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Control modules this build carries out; the others are reported as pending. */
  readonly controls?: readonly AgentControl[];
  /** Controls switched off by configuration, named in `agent.started`. */
  readonly disabledControls?: readonly string[];
}

/** Outcome of one policy (re)load, for the presenter. */
export type PolicyLoadOutcome =
  | { readonly kind: 'applied'; readonly id: string; readonly version: number }
  | { readonly kind: 'unchanged'; readonly id: string; readonly version: number }
  | { readonly kind: 'rejected'; readonly code: string; readonly message: Localized }
  | { readonly kind: 'unreadable'; readonly message: Localized }
  | { readonly kind: 'skipped' };

/** The running agent: policy, posture and status, with no knowledge of signals, timers or the OS. */
export interface AgentRuntime {
  /** Audits the start, restores the last good policy, loads the configured bundle, publishes status. */
  start(): Promise<{ summary: AgentSummary; load: PolicyLoadOutcome }>;
  /** Reads the bundle again and applies it if it verifies; the policy in force stays otherwise. */
  reloadPolicy(trigger: string): Promise<PolicyLoadOutcome>;
  /** Publishes the status again (a control's state changed). */
  publishStatus(): Promise<AgentSummary>;
  /** Re-reads host facts, lets every control correct drift, and publishes the status. */
  refreshPosture(): Promise<AgentSummary>;
  /** Audits the stop. */
  stop(reason: string): Promise<void>;
}

/** Refusals that the passing of time can undo: the same bytes are verified again on request. */
const timeDependentRefusals: ReadonlySet<string> = new Set(['expired', 'not-yet-valid']);

/** Creates the runtime. */
export function createAgentRuntime(deps: AgentRuntimeDeps): AgentRuntime {
  const startedAt = new Date(deps.clock.nowMs()).toISOString();
  let facts: HostFacts | undefined;
  let summary: AgentSummary | undefined;
  // SHA-256 of the bundle bytes last handed to the policy manager, and the refusal they got: a file
  // event for bytes already judged is not judged again, and an explicit reload (SIGHUP) of bytes
  // refused for a reason time cannot change (bad signature, rollback…) repeats the verdict without
  // auditing it again. Time-dependent refusals (expired, not yet valid) are always re-verified.
  let lastBundleSha256: string | undefined;
  let lastRefusal: Extract<PolicyLoadOutcome, { kind: 'rejected' }> | undefined;
  const controls = deps.controls ?? [];

  /** Runs `task` on every control; one failing control never stops the others. */
  const eachControl = async (what: string, task: (control: AgentControl) => Promise<void>): Promise<void> => {
    for (const control of controls) {
      try {
        await task(control);
      } catch (error) {
        deps.logger.error({ control: control.name, err: String(error) }, `control ${what} failed`);
        await deps.audit.append({ type: 'agent.control-failed', severity: 'alert', data: { control: control.name, step: what, error: isMngError(error) ? error.text.en : String(error) } });
      }
    }
  };

  const readFacts = async (): Promise<HostFacts | undefined> => {
    try {
      return await deps.hostFacts.readHostFacts();
    } catch (error) {
      // Host facts are evidence, not enforcement: report their absence, keep running.
      deps.logger.warn({ err: String(error) }, 'host facts unavailable');
      return undefined;
    }
  };

  const buildSummary = (): AgentSummary => {
    const status = deps.policy.status();
    const current = deps.policy.current();
    const active = status.active;
    const controlStatuses = decideControlStatuses({
      policy: {
        state: status.state,
        policy: current?.policy,
        ...(active === undefined ? {} : { id: active.id, version: active.version, keyId: active.keyId, notAfter: active.notAfter }),
        ...(status.lastRejection === undefined
          ? {}
          : { lastRejection: { code: status.lastRejection.code, message: status.lastRejection.message } }),
      },
      audit: { path: deps.auditPath, lastSeq: deps.audit.last().seq, integrity: deps.auditIntegrity },
      facts,
      mode: deps.mode,
    }).map((status) => controls.find((control) => control.name === status.control)?.status() ?? status);
    return {
      agentVersion: deps.agentVersion,
      mode: deps.mode,
      generatedAt: new Date(deps.clock.nowMs()).toISOString(),
      host: describeHost(facts),
      policy: {
        state: status.state,
        id: active?.id ?? null,
        version: active?.version ?? null,
        keyId: active?.keyId ?? null,
        signature: active === undefined ? 'none' : 'verified',
      },
      controls: controlStatuses,
    };
  };

  const publish = async (): Promise<AgentSummary> => {
    summary = buildSummary();
    const status = deps.policy.status();
    const document: AgentStatusDocument = {
      format: 'mynumber-guard.agent-status/v1',
      pid: deps.pid,
      startedAt,
      summary,
      controls: Object.fromEntries(controls.map((control) => [control.name, control.details()])),
      policyFindings: status.findings.map((finding) => ({ code: finding.code, severity: finding.severity, message: finding.message })),
      lastRejection:
        status.lastRejection === undefined
          ? null
          : {
              code: status.lastRejection.code,
              message: status.lastRejection.message,
              source: status.lastRejection.source,
              at: new Date(status.lastRejection.atMs).toISOString(),
            },
    };
    try {
      await deps.status.publish(document);
    } catch (error) {
      deps.logger.error({ err: String(error) }, 'could not publish the agent status');
    }
    return summary;
  };

  const loadBundle = async (trigger: string): Promise<PolicyLoadOutcome> => {
    let bytes: Uint8Array;
    try {
      bytes = await deps.bundle.read();
    } catch (error) {
      const message = isMngError(error)
        ? error.text
        : msg(`ポリシーバンドル ${deps.bundle.location} を読めません: ${String(error)}`, `cannot read the policy bundle ${deps.bundle.location}: ${String(error)}`);
      // Fail closed: the policy in force stays; an unreadable bundle is a finding, audited.
      await deps.audit.append({
        type: 'policy.unreadable',
        severity: 'warning',
        data: { source: deps.bundle.location, trigger, code: isMngError(error) ? error.code : 'unknown', message: message.en },
      });
      deps.logger.warn({ source: deps.bundle.location, trigger, message: message.en }, 'policy bundle unreadable');
      return { kind: 'unreadable', message };
    }
    const bundleSha256 = createHash('sha256').update(bytes).digest('hex');
    if (bundleSha256 === lastBundleSha256) {
      if (trigger === 'file-changed') return { kind: 'skipped' };
      if (lastRefusal !== undefined && !timeDependentRefusals.has(lastRefusal.code)) return lastRefusal;
    }
    lastBundleSha256 = bundleSha256;
    lastRefusal = undefined;
    const before = deps.policy.current();
    const result = await deps.policy.loadFromBytes(bytes, deps.bundle.location);
    if (!result.ok) {
      deps.logger.warn({ source: deps.bundle.location, trigger, code: result.error.code, message: result.error.message.en }, 'policy bundle refused');
      lastRefusal = { kind: 'rejected', code: result.error.code, message: result.error.message };
      return lastRefusal;
    }
    const applied = result.value;
    const unchanged = before !== undefined && before.payloadSha256 === applied.payloadSha256;
    deps.logger.info({ id: applied.id, version: applied.version, keyId: applied.keyId, trigger, unchanged }, 'policy bundle verified');
    return { kind: unchanged ? 'unchanged' : 'applied', id: applied.id, version: applied.version };
  };

  return {
    async start() {
      await deps.audit.append({
        type: 'agent.started',
        severity: 'notice',
        data: { version: deps.agentVersion, mode: deps.mode, pid: deps.pid, policySource: deps.bundle.location, disabledControls: deps.disabledControls ?? [] },
      });
      await deps.policy.restoreLastGood();
      facts = await readFacts();
      const load = await loadBundle('start');
      await eachControl('start', (control) => control.start());
      return { summary: await publish(), load };
    },
    async reloadPolicy(trigger) {
      const outcome = await loadBundle(trigger);
      if (outcome.kind === 'applied') await eachControl('policy-changed', (control) => control.policyChanged());
      await publish();
      return outcome;
    },
    publishStatus: () => publish(),
    async refreshPosture() {
      facts = await readFacts();
      await eachControl('refresh', (control) => control.refresh());
      return publish();
    },
    async stop(reason) {
      await eachControl('stop', (control) => control.stop());
      await deps.audit.append({ type: 'agent.stopped', severity: 'notice', data: { reason, pid: deps.pid } });
    },
  };
}
