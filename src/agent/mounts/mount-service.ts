/**
 * The mount-control shell (issue #4 item 1): reads the table, block facts and volume identities
 * through ports, decides with the pure functions, applies the plan through `MountControl`, and
 * audits every decision on media and every failure. Without a policy it denies every media class
 * (fail closed, STYLE.md §1.3).
 *
 * A busy mount (a process holds a file there) is not detached lazily: a lazily detached medium
 * stays writable through the files already open (usb-and-media.md §7). The holders are stopped
 * and killed through `MountHolders`, each kill audited as an alert, and the mount is then
 * unmounted for real. A mount that disappears between the read and the enforcement is recorded
 * as `vanished`; its decision stands (never reported as allowed).
 */
import type { Clock } from '../../shared/clock';
import type { MediaPolicy } from '../../shared/policy/schema';
import type { AuditSink } from '../audit';
import { decideMount, type MountDecision } from './decide-mount';
import { decideMountClass, indexBlockDevices, type MountClassification } from './decide-mount-class';
import { mountKey, type Mount, type MountinfoRead, type VolumeIdentity } from './model';
import { decideHolderStops, planMountEnforcement, type HolderSpareReason, type MountEnforcementPlan, type MountEnforcementStep } from './plan-mount-enforcement';
import type {
  BlockFactsSource,
  HolderStopResult,
  MountControl,
  MountHandle,
  MountHolder,
  MountHolders,
  MountStepResult,
  MountTable,
  MountWatch,
  VolumeIdentitySource,
} from './ports';

/** The media part of the policy in force, and the shares `channels.networkShares.allow` lists. */
export interface MountPolicySource {
  current(): { readonly media: MediaPolicy; readonly allowedShares: readonly string[] } | null;
}

/**
 * One process that held a mount the agent had to take away: stopped (`killed`, `gone`,
 * `survived`, `failed`, see `HolderStopResult`) or left alone (`spared`, with `why`).
 */
export interface HolderReport {
  readonly pid: number;
  readonly startTime: number;
  readonly comm: string;
  readonly uid: number | null;
  readonly user: string | null;
  readonly handles: readonly MountHandle[];
  readonly result: HolderStopResult | 'spared';
  /** The spare reason, or the adapter's detail for `failed`/`survived`; empty otherwise. */
  readonly why: HolderSpareReason | string;
  /** When its batch was seen frozen by SIGSTOP (ms since the epoch): it wrote nothing after this. Null when spared. */
  readonly stoppedAtMs: number | null;
}

/**
 * What happened when a plan was applied.
 *  - `applied`: `steps` all succeeded (`fellBack`: they are the plan's `fallbackOnBusy`).
 *  - `failed`: `step` failed; `lastResort` lists the last-resort steps that then succeeded (a
 *    lazily detached, sealed mount: no new file can be opened, but a holder that survived may
 *    still write to the medium).
 *  - `vanished`: the mount was gone when `step` ran (unmounted or unplugged in between).
 * `holders` lists the processes the fallback stopped or had to spare, in the order handled.
 */
export type MountEnforcementOutcome =
  | { readonly state: 'not-needed' }
  | { readonly state: 'applied'; readonly steps: readonly MountEnforcementStep[]; readonly fellBack: boolean; readonly holders: readonly HolderReport[] }
  | {
      readonly state: 'failed';
      readonly step: MountEnforcementStep;
      readonly detail: string;
      readonly lastResort: readonly MountEnforcementStep[];
      readonly holders: readonly HolderReport[];
    }
  | { readonly state: 'vanished'; readonly step: MountEnforcementStep; readonly detail: string; readonly holders: readonly HolderReport[] }
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
  /** Finds and stops the processes holding a busy mount (required: without it a busy mount could only be detached lazily, which leaves it writable). */
  readonly holders: MountHolders;
  readonly audit: AuditSink;
  readonly clock: Clock;
  readonly policy: MountPolicySource;
  /** False: decide and audit, change nothing (`mng media list`, dry runs). Default true. */
  readonly enforce?: boolean;
  /** Called after every evaluation with the mounts as now judged (the media control re-plans the ledger). */
  readonly onEvaluated?: (states: readonly MountState[]) => void;
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

/** Scans for holders after each batch of kills, this many times at most (a holder may have forked or opened a file meanwhile). */
const maxHolderRounds = 3;

const holderKey = (holder: MountHolder): string => `${holder.pid}/${holder.startTime}`;

function holderReport(holder: MountHolder, result: HolderReport['result'], why: string, stoppedAtMs: number | null): HolderReport {
  return { pid: holder.pid, startTime: holder.startTime, comm: holder.comm, uid: holder.uid, user: holder.user, handles: holder.handles, result, why, stoppedAtMs };
}

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

  /** Audit data that names the mount (shared by the decision and the holder events). */
  const mountData = (mount: Mount) => ({ mountId: mount.id, mountPoint: mount.mountPoint.display, source: mount.source.display, fsType: mount.fsType });

  /**
   * The `stop-holders` step: find the holders, stop whom {@link decideHolderStops} allows, and scan
   * again (a holder may have forked or opened a file before it was frozen). Every process killed
   * or left holding the mount is audited as an alert. Returns a problem text when the process
   * table could not be read; the plain unmount that follows decides whether the mount is free.
   */
  async function stopHolders(mount: Mount, decision: MountDecision, reports: HolderReport[]): Promise<string | null> {
    const seen = new Set<string>();
    const audit = (report: HolderReport): Promise<unknown> =>
      deps.audit.append({
        type: report.result === 'killed' ? 'media.process-killed' : 'media.holder-not-stopped',
        severity: 'alert',
        data: { ...mountData(mount), action: decision.action, ...report },
      });
    for (let round = 0; round < maxHolderRounds; round += 1) {
      let holders: MountHolder[];
      try {
        holders = await deps.holders.findHolders(mount);
      } catch (error) {
        return `cannot list the processes holding the mount: ${String(error)}`;
      }
      const { stop, spare } = decideHolderStops(holders, deps.holders.agentPid);
      for (const { holder, why } of spare) {
        if (seen.has(holderKey(holder))) continue;
        seen.add(holderKey(holder));
        const report = holderReport(holder, 'spared', why, null);
        reports.push(report);
        await audit(report);
      }
      // A holder already signalled (it survived, or could not be signalled) is not signalled again.
      const fresh = stop.filter((holder) => !seen.has(holderKey(holder)));
      if (fresh.length === 0) return null;
      const termination = await deps.holders.terminate(fresh);
      for (const { holder, result, detail } of termination.stops) {
        seen.add(holderKey(holder));
        const report = holderReport(holder, result, detail, termination.frozenAtMs);
        reports.push(report);
        if (result !== 'gone') await audit(report);
      }
    }
    return null;
  }

  /** True unless a fresh read of the table shows the mount (same id and mount point) is gone. An unreadable table counts as still there. */
  async function stillMounted(mount: Mount): Promise<boolean> {
    try {
      const key = mountKey(mount);
      return (await deps.table.read()).mounts.some((other) => mountKey(other) === key);
    } catch (_error) {
      // Cannot tell: report the step as failed (alert) rather than as a vanished mount.
      return true;
    }
  }

  async function apply(mount: Mount, decision: MountDecision, plan: MountEnforcementPlan): Promise<MountEnforcementOutcome> {
    if (plan.kind === 'refused') return { state: 'refused' };
    if (plan.kind === 'none' || !enforce) return { state: 'not-needed' };
    const holders: HolderReport[] = [];
    let holderProblem: string | null = null;
    const runStep = async (step: MountEnforcementStep): Promise<MountStepResult> => {
      const point = mount.mountPoint.bytes;
      switch (step) {
        case 'remount-read-only':
          return deps.control.remountReadOnly(point);
        case 'unmount':
          return deps.control.unmount(point);
        case 'detach-lazily':
          return deps.control.detachLazily(point);
        case 'seal-mount-point':
          return deps.control.sealMountPoint(point);
        case 'stop-holders':
          // Never ends the sequence: the plain unmount after it is what tells whether the mount is free.
          holderProblem = (await stopHolders(mount, decision, holders)) ?? holderProblem;
          return { ok: true };
      }
    };
    type StepFailure = { readonly step: MountEnforcementStep; readonly result: Extract<MountStepResult, { ok: false }> };
    const runSteps = async (steps: readonly MountEnforcementStep[]): Promise<StepFailure | null> => {
      for (const step of steps) {
        const result = await runStep(step);
        if (!result.ok) return { step, result };
      }
      return null;
    };
    const notBusy = async (failure: StepFailure): Promise<MountEnforcementOutcome> => {
      if (!(await stillMounted(mount))) return { state: 'vanished', step: failure.step, detail: failure.result.detail, holders };
      return { state: 'failed', step: failure.step, detail: failure.result.detail, lastResort: [], holders };
    };

    const first = await runSteps(plan.steps);
    if (first === null) return { state: 'applied', steps: plan.steps, fellBack: false, holders };
    if (plan.fallbackOnBusy.length === 0) return notBusy(first);
    // A read-only remount refused for another reason than a busy file system (the file system or
    // its driver cannot remount): fail closed and deny instead, rather than leave it writable.
    if (!first.result.busy && (first.step !== 'remount-read-only' || !(await stillMounted(mount)))) return notBusy(first);
    const second = await runSteps(plan.fallbackOnBusy);
    if (second === null) return { state: 'applied', steps: plan.fallbackOnBusy, fellBack: true, holders };
    if (!second.result.busy) return notBusy(second);
    // Still busy with the holders stopped (one was spared, survived, or escaped the scan): detach
    // lazily so no new open reaches the medium, and report the failure, since what is still open
    // may keep writing.
    const lastResort: MountEnforcementStep[] = [];
    for (const step of plan.lastResort) {
      if (!(await runStep(step)).ok) break;
      lastResort.push(step);
    }
    const detail = holderProblem === null ? second.result.detail : `${second.result.detail}; ${String(holderProblem)}`;
    return { state: 'failed', step: second.step, detail, lastResort, holders };
  }

  async function record(state: MountState): Promise<void> {
    const failed = state.outcome.state === 'failed' || state.outcome.state === 'refused';
    const vanished = state.outcome.state === 'vanished';
    await deps.audit.append({
      type: failed ? 'media.enforcement-failed' : vanished ? 'media.enforcement-vanished' : `media.${state.decision.action}`,
      severity: failed ? 'alert' : vanished ? 'warning' : state.decision.action === 'allow' ? 'info' : 'notice',
      data: {
        mountId: state.mount.id,
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
      const outcome = await apply(mount, decision, plan);
      const state: MountState = { mount, classification, decision, plan, outcome };
      next.set(key, state);
      if (media(state) || !classification.resolved) await record(state);
    }
    current = next;
    const states = [...next.values()];
    deps.onEvaluated?.(states);
    return states;
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
