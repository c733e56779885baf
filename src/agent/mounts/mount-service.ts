/**
 * The mount-control shell (issue #4 item 1): reads the table, block facts and volume identities
 * through ports, decides with the pure functions, applies the plan through `MountControl`, and
 * audits every decision on media and every failure. Without a policy it denies every media class
 * (fail closed, STYLE.md §1.3).
 */
import type { Clock } from '../../shared/clock';
import type { MediaPolicy } from '../../shared/policy/schema';
import type { AuditSink } from '../audit';
import { decideMount, type MountDecision } from './decide-mount';
import { decideMountClass, indexBlockDevices, type MountClassification } from './decide-mount-class';
import { mountKey, type Mount, type MountinfoRead, type VolumeIdentity } from './model';
import { planMountEnforcement, type MountEnforcementPlan, type MountEnforcementStep } from './plan-mount-enforcement';
import type { BlockFactsSource, MountControl, MountStepResult, MountTable, MountWatch, VolumeIdentitySource } from './ports';

/** The media part of the policy in force, and the shares `channels.networkShares.allow` lists. */
export interface MountPolicySource {
  current(): { readonly media: MediaPolicy; readonly allowedShares: readonly string[] } | null;
}

/** What happened when a plan was applied. */
export type MountEnforcementOutcome =
  | { readonly state: 'not-needed' }
  | { readonly state: 'applied'; readonly steps: readonly MountEnforcementStep[]; readonly fellBack: boolean }
  | { readonly state: 'failed'; readonly step: MountEnforcementStep; readonly detail: string }
  | { readonly state: 'refused' };

/** One mount as last judged. */
export interface MountState {
  readonly mount: Mount;
  readonly classification: MountClassification;
  readonly decision: MountDecision;
  readonly plan: MountEnforcementPlan;
  readonly outcome: MountEnforcementOutcome;
}

/** Dependencies of {@link createMountEnforcer}. */
export interface MountEnforcerDeps {
  readonly table: MountTable;
  readonly blockFacts: BlockFactsSource;
  readonly identity: VolumeIdentitySource;
  readonly control: MountControl;
  readonly audit: AuditSink;
  readonly clock: Clock;
  readonly policy: MountPolicySource;
  /** False: decide and audit, change nothing (`mng media list`, dry runs). Default true. */
  readonly enforce?: boolean;
}

/** The running control. */
export interface MountEnforcer {
  /** Judges (and, when enforcing, applies) every mount of a fresh read of the table. */
  evaluateAll(): Promise<MountState[]>;
  /** Evaluates once, then follows the table until stop(). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The last judgement of every mount, in table order. */
  states(): MountState[];
}

/** Deny every media class, approve nothing: the policy when none is in force. */
export const failClosedMediaPolicy: MediaPolicy = {
  implements: [],
  classes: { usbStorage: 'deny', optical: 'deny', networkFilesystem: 'deny', otherFuse: 'deny' },
  approvedVolumes: [],
  exportDestinations: [],
  automount: 'block',
};

const media = (state: MountState): boolean => state.decision.reason !== 'not-media';

/** Creates the mount control over its ports. */
export function createMountEnforcer(deps: MountEnforcerDeps): MountEnforcer {
  const enforce = deps.enforce ?? true;
  let current = new Map<string, MountState>();
  let watch: MountWatch | undefined;
  // Evaluations run one at a time, in arrival order: a change never races the one before it.
  let queue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work);
    queue = run.catch(() => undefined);
    return run;
  };

  async function identityOf(classification: MountClassification, needed: boolean): Promise<VolumeIdentity> {
    if (!needed) return { state: 'known', deviceSerial: null, filesystemUuid: null };
    if (classification.device === null) return { state: 'known', deviceSerial: null, filesystemUuid: null };
    try {
      return await deps.identity.readIdentity(classification.device);
    } catch (error) {
      return { state: 'unknown', detail: String(error) };
    }
  }

  async function apply(mount: Mount, plan: MountEnforcementPlan): Promise<MountEnforcementOutcome> {
    if (plan.kind === 'refused') return { state: 'refused' };
    if (plan.kind === 'none' || !enforce) return { state: 'not-needed' };
    type StepFailure = { readonly step: MountEnforcementStep; readonly result: Extract<MountStepResult, { ok: false }> };
    const runSteps = async (steps: readonly MountEnforcementStep[]): Promise<StepFailure | null> => {
      for (const step of steps) {
        const result =
          step === 'remount-read-only'
            ? await deps.control.remountReadOnly(mount.mountPoint.bytes)
            : step === 'unmount'
              ? await deps.control.unmount(mount.mountPoint.bytes)
              : await deps.control.sealMountPoint(mount.mountPoint.bytes);
        if (!result.ok) return { step, result };
      }
      return null;
    };
    const failure = await runSteps(plan.steps);
    if (failure === null) return { state: 'applied', steps: plan.steps, fellBack: false };
    if (failure.result.busy && plan.fallbackOnBusy.length > 0) {
      const second = await runSteps(plan.fallbackOnBusy);
      if (second === null) return { state: 'applied', steps: plan.fallbackOnBusy, fellBack: true };
      return { state: 'failed', step: second.step, detail: second.result.detail };
    }
    return { state: 'failed', step: failure.step, detail: failure.result.detail };
  }

  async function record(state: MountState): Promise<void> {
    const failed = state.outcome.state === 'failed' || state.outcome.state === 'refused';
    await deps.audit.append({
      type: failed ? 'media.enforcement-failed' : `media.${state.decision.action}`,
      severity: failed ? 'alert' : state.decision.action === 'allow' ? 'info' : 'notice',
      data: {
        mountPoint: state.mount.mountPoint.display,
        source: state.mount.source.display,
        fsType: state.mount.fsType,
        mountClass: state.classification.mountClass,
        basis: state.classification.basis,
        usbPort: state.classification.usbPort,
        action: state.decision.action,
        reason: state.decision.reason,
        approvedVolume: state.decision.approvedVolume,
        outcome: state.outcome,
      },
    });
  }

  async function evaluate(table: MountinfoRead, only: ReadonlySet<string> | null): Promise<MountState[]> {
    const policy = deps.policy.current();
    const mediaPolicy = policy?.media ?? failClosedMediaPolicy;
    const index = indexBlockDevices(await deps.blockFacts.listBlockDevices());
    const next = new Map<string, MountState>();
    for (const mount of table.mounts) {
      const key = mountKey(mount);
      const previous = current.get(key);
      if (only !== null && !only.has(key) && previous !== undefined) {
        next.set(key, previous);
        continue;
      }
      const classification = decideMountClass(mount, index, table.mounts);
      const identity = await identityOf(classification, mediaPolicy.approvedVolumes.length > 0);
      const decision = decideMount({ policy: mediaPolicy, allowedShares: policy?.allowedShares ?? [], mount, classification, identity, nowMs: deps.clock.nowMs() });
      const plan = planMountEnforcement(mount, decision);
      const outcome = await apply(mount, plan);
      const state: MountState = { mount, classification, decision, plan, outcome };
      next.set(key, state);
      if (media(state) || !classification.resolved) await record(state);
    }
    current = next;
    return [...next.values()];
  }

  return {
    evaluateAll() {
      return serialized(async () => evaluate(await deps.table.read(), null));
    },
    async start() {
      await serialized(async () => evaluate(await deps.table.read(), null));
      watch = await deps.table.watch(
        (change) => {
          const keys = new Set([...change.added, ...change.changed].map(mountKey));
          serialized(() => evaluate(change.table, keys)).catch((error: unknown) => {
            void deps.audit.append({ type: 'media.evaluation-failed', severity: 'alert', data: { detail: String(error) } });
          });
        },
        (error) => {
          void deps.audit.append({ type: 'media.watch-failed', severity: 'warning', data: { detail: error.message } });
        },
      );
    },
    async stop() {
      await watch?.stop();
      watch = undefined;
    },
    states: () => [...current.values()],
  };
}
