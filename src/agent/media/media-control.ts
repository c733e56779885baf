/**
 * The media control as the agent runtime drives it (issue #4 items 1, 2, 5): the mount control
 * (classify, decide, enforce every mount), the export ledger over the destinations the policy and
 * the allowed mounts give, and the udisks2 polkit rule that keeps the desktop from mounting
 * forbidden media. Reports one `media` line in the summary and the mounts, destinations and rule
 * state in status.json (what `mng media list` prints).
 */
import type { Clock } from '../../shared/clock';
import { msg, type Localized } from '../../shared/i18n';
import type { MediaPolicy } from '../../shared/policy/schema';
import type { AuditSink } from '../audit';
import type { ExportDestination, ExportLedger } from '../exports';
import { failClosedMediaPolicy, renderUdisksPolkitRule, type MountEnforcer, type MountState } from '../mounts';
import type { AgentControl, ControlStatus } from '../posture';
import { destinationsSignature, planExportDestinations, type PlannedDestination } from './plan-destinations';
import type { AutomountRuleStore } from './ports';

/** The part of the policy in force the media control needs. */
export interface MediaPolicyView {
  readonly media: MediaPolicy;
  readonly implements: readonly string[];
}

/** State of the polkit rule after the last check. */
export type AutomountRuleState =
  | { readonly state: 'current' }
  | { readonly state: 'written' }
  | { readonly state: 'missing' | 'different'; readonly note: 'monitor-mode' }
  | { readonly state: 'failed'; readonly detail: string };

/** Dependencies of {@link createMediaControl}. */
export interface MediaControlDeps {
  readonly mounts: MountEnforcer;
  /** Makes a ledger over these destinations (a ledger watches a fixed set; a new set gets a new ledger). */
  readonly createLedger: (destinations: readonly ExportDestination[]) => ExportLedger;
  readonly automountRule: AutomountRuleStore;
  readonly policy: () => MediaPolicyView | null;
  readonly mode: 'monitor' | 'enforce';
  readonly audit: AuditSink;
  readonly clock: Clock;
  /** Called once for every new enforcement action (the notifier tells staff). */
  readonly onAction?: (action: RecentMediaAction) => void;
}

/** The media control, plus the hook the mount enforcer calls after every evaluation. */
export interface MediaControl extends AgentControl {
  /**
   * The mounts were judged again (`states` as the evaluation saw them, before its own changes):
   * remember what was enforced and re-plan the ledger's destinations (coalesced, serialized).
   */
  mountsEvaluated(states?: readonly MountState[]): void;
  /** Resolves when a pending re-plan has finished (tests). */
  settled(): Promise<void>;
  /** The destinations the ledger watches now. */
  destinations(): readonly PlannedDestination[];
}

const isMedia = (state: MountState): boolean => state.decision.reason !== 'not-media';

/** How many enforcement actions status.json keeps (a denied medium leaves the table at once). */
const recentActionsKept = 100;

/** One enforcement action, kept after the mount itself is gone (status.json, `mng media list`). */
export interface RecentMediaAction {
  readonly at: string;
  readonly mountPoint: string;
  readonly source: string;
  readonly fsType: string;
  readonly mountClass: string;
  readonly action: string;
  readonly reason: string;
  readonly approvedVolume: string | null;
  readonly outcome: MountState['outcome'];
}

/** Creates the media control. */
export function createMediaControl(deps: MediaControlDeps): MediaControl {
  let ledger: ExportLedger | undefined;
  let planned: PlannedDestination[] = [];
  let signature = '';
  let startError: string | undefined;
  let ledgerError: string | undefined;
  let ruleState: AutomountRuleState | undefined;
  let started = false;
  let queue: Promise<unknown> = Promise.resolve();
  let replanPending = false;
  const recent: RecentMediaAction[] = [];
  // The enforcer hands back unchanged mounts' states as the same objects: record each once.
  const recorded = new WeakSet<MountState>();
  const serialized = (work: () => Promise<void>): Promise<void> => {
    const run = queue.then(work);
    queue = run.catch(() => undefined);
    return run;
  };

  const currentMedia = (): MediaPolicy => deps.policy()?.media ?? failClosedMediaPolicy;

  async function replan(): Promise<void> {
    const view = deps.policy();
    const next = planExportDestinations({ media: view?.media ?? null, mounts: deps.mounts.states(), mode: deps.mode });
    const nextSignature = destinationsSignature(next);
    if (nextSignature === signature && ledger !== undefined) return;
    const previous = ledger;
    ledger = undefined;
    if (previous !== undefined) await previous.stop();
    planned = next;
    signature = nextSignature;
    try {
      const fresh = deps.createLedger(next);
      await fresh.start();
      ledger = fresh;
      ledgerError = undefined;
      await deps.audit.append({
        type: 'export.destinations',
        severity: 'info',
        data: { destinations: next.map((d) => ({ id: d.id, path: d.path, action: d.action, policyAction: d.policyAction, excludes: d.excludes })) },
      });
    } catch (error) {
      ledgerError = error instanceof Error ? error.message : String(error);
      await deps.audit.append({ type: 'export.ledger-failed', severity: 'alert', data: { detail: ledgerError } });
    }
  }

  async function syncRule(): Promise<void> {
    const wanted = renderUdisksPolkitRule(currentMedia(), deps.clock.nowMs());
    try {
      const installed = await deps.automountRule.read();
      if (installed === wanted) {
        ruleState = { state: 'current' };
        return;
      }
      if (deps.mode === 'monitor') {
        ruleState = { state: installed === null ? 'missing' : 'different', note: 'monitor-mode' };
        return;
      }
      await deps.automountRule.write(wanted);
      ruleState = { state: 'written' };
      await deps.audit.append({ type: 'media.automount-rule-written', severity: 'notice', data: { path: deps.automountRule.location, replaced: installed !== null } });
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      ruleState = { state: 'failed', detail };
      await deps.audit.append({ type: 'media.automount-rule-failed', severity: 'alert', data: { path: deps.automountRule.location, detail } });
    }
  }

  const control: MediaControl = {
    name: 'media',
    async start() {
      try {
        await deps.mounts.start();
      } catch (error) {
        startError = error instanceof Error ? error.message : String(error);
        throw error;
      }
      started = true;
      await serialized(async () => {
        await syncRule();
        await replan();
      });
    },
    async policyChanged() {
      await deps.mounts.evaluateAll();
      await serialized(async () => {
        await syncRule();
        await replan();
      });
    },
    async refresh() {
      await deps.mounts.evaluateAll();
      await serialized(async () => {
        await syncRule();
        await replan();
      });
    },
    mountsEvaluated(states) {
      for (const state of states ?? []) {
        if (state.outcome.state === 'not-needed' || recorded.has(state)) continue;
        recorded.add(state);
        const action: RecentMediaAction = {
          at: new Date(deps.clock.nowMs()).toISOString(),
          mountPoint: state.mount.mountPoint.display,
          source: state.mount.source.display,
          fsType: state.mount.fsType,
          mountClass: state.classification.mountClass,
          action: state.decision.action,
          reason: state.decision.reason,
          approvedVolume: state.decision.approvedVolume,
          outcome: state.outcome,
        };
        recent.push(action);
        if (recent.length > recentActionsKept) recent.shift();
        deps.onAction?.(action);
      }
      if (!started || replanPending) return;
      replanPending = true;
      void serialized(async () => {
        replanPending = false;
        await replan();
      });
    },
    settled: () => serialized(async () => undefined),
    destinations: () => planned,
    status(): ControlStatus {
      const implementsClauses = deps.policy()?.implements ?? [];
      const base = { control: 'media' as const, implements: implementsClauses };
      if (startError !== undefined) return { ...base, state: 'failed', summary: msg(`媒体制御を開始できません: ${startError}`, `media control could not start: ${startError}`) };
      const media = deps.mounts.states().filter(isMedia);
      const count = (action: string): number => media.filter((s) => s.decision.action === action).length;
      const failed = media.filter((s) => s.outcome.state === 'failed' || s.outcome.state === 'refused');
      const problems: Localized[] = [];
      if (failed.length > 0) problems.push(msg(`適用に失敗 ${failed.length} 件（${failed.map((s) => s.mount.mountPoint.display).join(', ')}）`, `${failed.length} not enforced (${failed.map((s) => s.mount.mountPoint.display).join(', ')})`));
      if (ledgerError !== undefined) problems.push(msg(`書き出し台帳が動いていません: ${ledgerError}`, `export ledger not running: ${ledgerError}`));
      if (ruleState?.state === 'failed') problems.push(msg(`自動マウント禁止の規則を書けません: ${ruleState.detail}`, `cannot write the automount rule: ${ruleState.detail}`));
      const noPolicy = deps.policy() === null ? msg('。ポリシーなし: すべての媒体を使用不可（安全側）', '; no policy: every medium denied (fail closed)') : msg('', '');
      const monitor = deps.mode === 'monitor' ? msg('（監視のみ: 変更なし）', ' (monitor only: nothing changed)') : msg('', '');
      const summary = msg(
        `媒体 ${media.length} 件: 使用不可 ${count('deny')}、読み取りのみ ${count('read-only')}、許可 ${count('allow')}。書き出し先 ${planned.length} か所を記録${monitor.ja}${noPolicy.ja}${problems.map((p) => `。${p.ja}`).join('')}`,
        `${media.length} medium/media: ${count('deny')} denied, ${count('read-only')} read-only, ${count('allow')} allowed; ${planned.length} export destination(s) recorded${monitor.en}${noPolicy.en}${problems.map((p) => `; ${p.en}`).join('')}`,
      );
      const state = problems.length > 0 ? 'degraded' : deps.mode === 'enforce' ? 'enforced' : 'monitored';
      return { ...base, state, summary };
    },
    details() {
      return {
        mounts: deps.mounts.states().map((s) => ({
          id: s.mount.id,
          mountPoint: s.mount.mountPoint.display,
          source: s.mount.source.display,
          fsType: s.mount.fsType,
          options: s.mount.options,
          mountClass: s.classification.mountClass,
          basis: s.classification.basis,
          resolved: s.classification.resolved,
          usbPort: s.classification.usbPort,
          action: s.decision.action,
          reason: s.decision.reason,
          approvedVolume: s.decision.approvedVolume,
          plan: s.plan,
          outcome: s.outcome,
        })),
        recentActions: [...recent],
        destinations: planned.map((d) => ({ id: d.id, path: d.path, action: d.action, policyAction: d.policyAction, origin: d.origin, excludes: d.excludes, mountPoint: d.volume.mountPoint })),
        ledger: ledgerError === undefined ? (ledger === undefined ? 'stopped' : 'running') : { error: ledgerError },
        automountRule: { path: deps.automountRule.location, ...(ruleState ?? { state: 'unchecked' }) },
      };
    },
    async stop() {
      await deps.mounts.stop();
      await serialized(async () => {
        const current = ledger;
        ledger = undefined;
        await current?.stop();
      });
    },
  };
  return control;
}
