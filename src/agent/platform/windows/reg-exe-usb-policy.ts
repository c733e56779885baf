import { msg, type Localized } from '../../../shared/i18n';
import { err, ok, type Result } from '../../../shared/result';
import type { CommandRunner } from './command-runner';
import {
  keysOfTargets,
  planRegistryChanges,
  type RegistryChange,
  type RegistryChangePlan,
  type RegistryChangeProblem,
  type SkippedTarget,
  type WindowsRevertPlan,
} from './plan-registry-changes';
import { findWeakeningSettings, planWindowsUsbPolicy, type WindowsPlanNotice, type WindowsUsbPlan, type WindowsUsbPolicyInput } from './plan-windows-usb-policy';
import { readKeyListing } from './reg-query-output';
import {
  formatCommandLine,
  isRegistryKeyWithin,
  normalizeRegistryKey,
  parentRegistryKey,
  registryKeyDepth,
  registryKeyName,
  regQuery,
  type RegCommand,
  type RegistryKeyState,
  type RegistrySnapshot,
  type RegistryTarget,
} from './registry-model';
import { DEVICE_INSTALL_RESTRICTIONS_KEY, REMOVABLE_STORAGE_KEY, UASPSTOR_SERVICE_KEY, USBSTOR_SERVICE_KEY } from './windows-usb-classes';

/**
 * RegExeUsbPolicy: the Windows USB and media controls of a Zone Policy, applied with reg.exe
 * through an injected `CommandRunner` (issue #3 item 4). The adapter holds no policy: the plan
 * comes from `planWindowsUsbPolicy`, the commands from `planRegistryChanges`; this file reads the
 * registry, runs the commands in order and reports.
 *
 * It has been built and its command plans are unit-tested against a simulated registry; it has
 * not run on Windows (docs/usb.md).
 */

/**
 * The Windows USB policy port: render, look, apply, check, undo. The usb module will own this
 * interface once a Windows service consumes it (adapters may import only a module's ports.ts or
 * model.ts, so it cannot live in a separate usb file yet; see the issue #3 report).
 */
export interface WindowsUsbPolicy {
  /** Renders the policy (pure; no registry access). */
  plan(input: WindowsUsbPolicyInput): WindowsUsbPlan;
  /** Reads the registry and returns the exact commands `apply` would run, without running them. */
  prepare(plan: WindowsUsbPlan): Promise<Result<PreparedWindowsChange, WindowsRegistryFailure>>;
  /** Reads, then runs the commands in order, stopping at the first failure. */
  apply(plan: WindowsUsbPlan): Promise<Result<WindowsApplyReport, WindowsRegistryFailure>>;
  /** Reads and reports what differs from the plan (drift, e.g. a domain GPO overwrote a value). */
  check(plan: WindowsUsbPlan): Promise<Result<WindowsDriftReport, WindowsRegistryFailure>>;
  /** Puts back what an apply changed (`WindowsApplyReport.revert`, or several combined). */
  revert(plan: WindowsRevertPlan): Promise<Result<WindowsApplyReport, WindowsRegistryFailure>>;
}

/** The commands an apply would run now, with what they change and how to undo them. */
export interface PreparedWindowsChange extends RegistryChangePlan {
  readonly notices: readonly WindowsPlanNotice[];
}

/** How one command ended. `stderr` is cut to 2000 characters. */
export interface CommandResult {
  readonly command: RegCommand;
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly stderr: string;
}

/** What an apply or a revert did. */
export interface WindowsApplyReport {
  /** Every planned command ran and exited 0. */
  readonly ok: boolean;
  /** The planned changes, in order; the first `executed.length` of them were attempted. */
  readonly changes: readonly RegistryChange[];
  /** Commands that ran, in order; when `ok` is false the last one failed and nothing after it ran. */
  readonly executed: readonly CommandResult[];
  /** Undo of every planned change (running it is safe whether or not all of them ran). */
  readonly revert: WindowsRevertPlan;
  /**
   * A restart is needed for a change that ran to take effect: Removable Storage Access values
   * and service start types are read at boot (reference §5.1, §5.2). Installation restrictions
   * apply to the next device installation without one.
   */
  readonly rebootRequired: boolean;
  readonly skipped: readonly SkippedTarget[];
  readonly notices: readonly WindowsPlanNotice[];
}

/** Differences between the registry and a plan. */
export interface WindowsDriftReport {
  /** True when the registry already matches the plan. */
  readonly compliant: boolean;
  /** What an apply would change now. */
  readonly changes: readonly RegistryChange[];
  readonly skipped: readonly SkippedTarget[];
  /** Settings of other tools that weaken the plan (`findWeakeningSettings`). */
  readonly notices: readonly WindowsPlanNotice[];
}

/** Why the adapter could not read or plan; nothing was written. */
export type WindowsRegistryFailure =
  | {
      readonly code: 'registry-unreadable';
      readonly key: string;
      readonly message: Localized;
      /** reg.exe's stderr or the parser's complaint, for the audit record. */
      readonly detail: string;
    }
  | { readonly code: 'unrestorable-values'; readonly problems: readonly RegistryChangeProblem[]; readonly message: Localized };

/** Dependencies of `createRegExeUsbPolicy`. */
export interface RegExeUsbPolicyDeps {
  readonly runner: CommandRunner;
  /** Absolute path of reg.exe, e.g. `regExePathFor(process.env.SystemRoot)`: never looked up in PATH. */
  readonly regExePath: string;
  /** Time limit per reg.exe run (ms). */
  readonly timeoutMs?: number;
}

/**
 * `<SystemRoot>\System32\reg.exe`. A bare `reg.exe` would be searched in the current directory
 * and PATH first, where a planted program would then run as LocalSystem.
 */
export function regExePathFor(systemRoot: string): string {
  return `${systemRoot.replace(/[\\/]+$/, '')}\\System32\\reg.exe`;
}

const STDERR_LIMIT = 2000;

function unreadable(key: string, detail: string, ja: string, en: string): WindowsRegistryFailure {
  return {
    code: 'registry-unreadable',
    key,
    detail,
    message: msg(
      `レジストリのキー ${key} を読めないため、何も変更していません（${ja}）。管理者権限（LocalSystem）で動いているか確認してください`,
      `cannot read registry key ${key}, so nothing was changed (${en}); check that the agent runs with administrator rights (LocalSystem)`,
    ),
  };
}

/**
 * Reads the state of `keys` with `reg.exe query`, one key at a time in order. A key that cannot be
 * queried is confirmed missing from its parent's subkey list, never from reg.exe's (localized)
 * error text; a key the parent lists but reg.exe cannot read is a failure. Keys directly under a
 * hive (`HKLM\SOFTWARE`) must be readable.
 */
export async function readRegistrySnapshot(
  deps: Pick<RegExeUsbPolicyDeps, 'runner' | 'regExePath' | 'timeoutMs'>,
  keys: readonly string[],
): Promise<Result<RegistrySnapshot, WindowsRegistryFailure>> {
  const cache = new Map<string, Result<RegistryKeyState, WindowsRegistryFailure>>();
  const run = (command: RegCommand) =>
    deps.runner.run(deps.regExePath, command.args, deps.timeoutMs === undefined ? undefined : { timeoutMs: deps.timeoutMs });

  const readState = async (key: string): Promise<Result<RegistryKeyState, WindowsRegistryFailure>> => {
    const id = normalizeRegistryKey(key);
    const cached = cache.get(id);
    if (cached !== undefined) return cached;
    const result = await readUncached(key);
    cache.set(id, result);
    return result;
  };
  const readUncached = async (key: string): Promise<Result<RegistryKeyState, WindowsRegistryFailure>> => {
    const outcome = await run(regQuery(key));
    const stderr = outcome.stderr.trim().slice(0, STDERR_LIMIT);
    if (outcome.timedOut) return err(unreadable(key, stderr, 'reg.exe が時間内に終わりませんでした', 'reg.exe did not finish in time'));
    let emptyOutput = false;
    if (outcome.exitCode === 0) {
      const listing = readKeyListing(outcome.stdout, key);
      if (!listing.ok) {
        return err(unreadable(key, `line ${listing.error.line}: ${listing.error.message.en}`, listing.error.message.ja, listing.error.message.en));
      }
      if (listing.value !== undefined) return ok({ exists: true, key, values: listing.value.values, subkeys: listing.value.subkeys });
      emptyOutput = true;
    }
    const parent = parentRegistryKey(key);
    if (parent === undefined || registryKeyDepth(key) <= 2) {
      return err(unreadable(key, stderr, `終了コード ${String(outcome.exitCode)}`, `exit code ${String(outcome.exitCode)}`));
    }
    const parentState = await readState(parent);
    if (!parentState.ok) return parentState;
    if (!parentState.value.exists) return ok({ exists: false, key, missingFrom: parentState.value.missingFrom });
    const name = registryKeyName(key).toLowerCase();
    const listed = parentState.value.subkeys.some((subkey) => subkey.toLowerCase() === name);
    if (emptyOutput) {
      // An existing key without values or subkeys may print nothing; the parent must list it.
      if (listed) return ok({ exists: true, key, values: [], subkeys: [] });
      return err(unreadable(key, 'empty output', 'reg.exe の出力が空で、親キーにもありません', 'reg.exe printed nothing and the parent does not list it'));
    }
    if (listed) {
      return err(unreadable(key, stderr, `キーはありますが reg.exe が終了コード ${String(outcome.exitCode)} で失敗しました`, `the key exists but reg.exe failed with exit code ${String(outcome.exitCode)}`));
    }
    return ok({ exists: false, key, missingFrom: key });
  };

  const snapshot = new Map<string, RegistryKeyState>();
  for (const key of keys) {
    const state = await readState(key);
    if (!state.ok) return state;
    snapshot.set(normalizeRegistryKey(key), state.value);
  }
  return ok(snapshot);
}

/** True when a change only takes effect after a restart (reference §5.1, §5.2). */
function needsReboot(change: RegistryChange): boolean {
  return [REMOVABLE_STORAGE_KEY, USBSTOR_SERVICE_KEY, UASPSTOR_SERVICE_KEY].some((key) => isRegistryKeyWithin(change.key, key));
}

function problemsFailure(problems: readonly RegistryChangeProblem[]): WindowsRegistryFailure {
  return {
    code: 'unrestorable-values',
    problems,
    message: msg(
      `元どおりに戻せない値が ${problems.length} 個あるため、何も変更していません`,
      `${problems.length} value(s) could not be restored exactly, so nothing was changed`,
    ),
  };
}

/** Creates the reg.exe adapter of `WindowsUsbPolicy`. */
export function createRegExeUsbPolicy(deps: RegExeUsbPolicyDeps): WindowsUsbPolicy {
  const planChanges = async (
    targets: readonly RegistryTarget[],
    overwriteUnrestorable: boolean,
  ): Promise<Result<RegistryChangePlan & { snapshot: RegistrySnapshot }, WindowsRegistryFailure>> => {
    const snapshot = await readRegistrySnapshot(deps, keysOfTargets(targets));
    if (!snapshot.ok) return snapshot;
    const planned = planRegistryChanges(targets, snapshot.value, { overwriteUnrestorable });
    return planned.ok ? ok({ ...planned.value, snapshot: snapshot.value }) : err(problemsFailure(planned.error));
  };
  const noticesOf = (plan: WindowsUsbPlan, snapshot: RegistrySnapshot): WindowsPlanNotice[] => [
    ...plan.notices,
    ...findWeakeningSettings(plan, snapshot.get(normalizeRegistryKey(DEVICE_INSTALL_RESTRICTIONS_KEY))),
  ];

  const execute = async (planned: RegistryChangePlan, notices: readonly WindowsPlanNotice[]): Promise<WindowsApplyReport> => {
    const executed: CommandResult[] = [];
    let allOk = true;
    for (const command of planned.commands) {
      const outcome = await deps.runner.run(deps.regExePath, command.args, deps.timeoutMs === undefined ? undefined : { timeoutMs: deps.timeoutMs });
      const result: CommandResult = { command, exitCode: outcome.exitCode, timedOut: outcome.timedOut, stderr: outcome.stderr.trim().slice(0, STDERR_LIMIT) };
      executed.push(result);
      // Stop at the first failure: the order of the plan keeps every prefix from opening anything
      // (allow switches go on only after their lists are written), which a skipped command could break.
      if (outcome.exitCode !== 0) {
        allOk = false;
        break;
      }
    }
    const succeeded = planned.changes.slice(0, executed.filter((result) => result.exitCode === 0).length);
    return {
      ok: allOk,
      changes: planned.changes,
      executed,
      revert: planned.revert,
      rebootRequired: succeeded.some(needsReboot),
      skipped: planned.skipped,
      notices,
    };
  };

  return {
    plan: planWindowsUsbPolicy,

    async prepare(plan) {
      const planned = await planChanges(plan.targets, false);
      if (!planned.ok) return planned;
      const { snapshot, ...change } = planned.value;
      return ok({ ...change, notices: noticesOf(plan, snapshot) });
    },

    async apply(plan) {
      const planned = await planChanges(plan.targets, false);
      if (!planned.ok) return planned;
      return ok(await execute(planned.value, noticesOf(plan, planned.value.snapshot)));
    },

    async check(plan) {
      const planned = await planChanges(plan.targets, false);
      if (!planned.ok) return planned;
      const { commands, changes, skipped, snapshot } = planned.value;
      return ok({ compliant: commands.length === 0, changes, skipped, notices: findWeakeningSettings(plan, snapshot.get(normalizeRegistryKey(DEVICE_INSTALL_RESTRICTIONS_KEY))) });
    },

    async revert(revertPlan) {
      const planned = await planChanges(revertPlan.targets, true);
      if (!planned.ok) return planned;
      return ok(await execute(planned.value, []));
    },
  };
}

/** The commands of a prepared change as command lines, for people (`mng`, logs). */
export function formatPreparedCommands(prepared: Pick<RegistryChangePlan, 'commands'>): string[] {
  return prepared.commands.map(formatCommandLine);
}
