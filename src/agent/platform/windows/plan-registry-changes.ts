import { z } from 'zod';
import { msg, type Localized } from '../../../shared/i18n';
import { err, ok, type Result } from '../../../shared/result';
import {
  isRegistryKeyWithin,
  normalizeRegistryKey,
  regAdd,
  regDeleteKey,
  regDeleteValue,
  registryKeyDepth,
  regSz,
  sameRegistryName,
  sameRegValue,
  type RegCommand,
  type RegEntry,
  type RegistryKeyState,
  type RegistrySnapshot,
  type RegistryTarget,
  type RegValue,
  type UnrestorableRegValue,
} from './registry-model';

/**
 * From "the registry state we want" and "the registry state we found" to the exact reg.exe
 * commands, the list of changes, and a revert plan that puts back what was there (pure).
 *
 * Revert plans restore values exactly: a value that existed gets its old type and data back, a
 * value that did not exist is deleted, and a key that did not exist is deleted with everything
 * below it (only keys this apply created). A value whose type reg.exe cannot round-trip
 * (REG_MULTI_SZ, REG_NONE, undecodable text) is a problem: the plan is refused rather than
 * applied without a way back.
 */

/** Format tag of a stored revert plan. */
export const REVERT_PLAN_FORMAT = 'mynumber-guard/windows-registry-revert/v1';

/** What to write to put the registry back; run it with the adapter's `revert`. Plain JSON. */
export interface WindowsRevertPlan {
  readonly format: typeof REVERT_PLAN_FORMAT;
  /** Key deletions (deepest first), then value restorations. */
  readonly targets: readonly RegistryTarget[];
}

/** One change a command list makes, for plans and audit records (old and new state). */
export type RegistryChange =
  | { readonly kind: 'set-value'; readonly key: string; readonly name: string; readonly before: RegValue | UnrestorableRegValue | null; readonly after: RegValue }
  | { readonly kind: 'delete-value'; readonly key: string; readonly name: string; readonly before: RegValue | UnrestorableRegValue }
  | { readonly kind: 'delete-key'; readonly key: string };

/** A target that was deliberately not written, and why. */
export interface SkippedTarget {
  readonly key: string;
  readonly name: string;
  readonly reason: Localized;
}

/** The commands that bring the registry from the snapshot to the targets. */
export interface RegistryChangePlan {
  /** In execution order. Empty when the registry already matches. */
  readonly commands: readonly RegCommand[];
  /** One per command, same order. */
  readonly changes: readonly RegistryChange[];
  /** Puts back the snapshot's state of everything `commands` touch. */
  readonly revert: WindowsRevertPlan;
  readonly skipped: readonly SkippedTarget[];
}

/** Why a plan cannot be made safely. */
export interface RegistryChangeProblem {
  readonly key: string;
  readonly name: string;
  readonly message: Localized;
}

/** The keys whose state `planRegistryChanges` needs for `targets`, each once, in target order. */
export function keysOfTargets(targets: readonly RegistryTarget[]): string[] {
  const seen = new Set<string>();
  const keys: string[] = [];
  for (const target of targets) {
    const id = normalizeRegistryKey(target.key);
    if (seen.has(id)) continue;
    seen.add(id);
    keys.push(target.key);
  }
  return keys;
}

// The unnamed default value is printed as "(Default)" (or "(既定)" on Japanese Windows); it is not
// a list entry and cannot be addressed with /v, so it is left alone.
const DEFAULT_VALUE_NAME = /^\(.*\)$/;

/** Options of `planRegistryChanges`. */
export interface PlanRegistryChangesOptions {
  /**
   * True when running a revert plan: its own undo is not kept, so a value that cannot be restored
   * exactly is overwritten instead of refusing (putting the old state back matters more).
   */
  readonly overwriteUnrestorable?: boolean;
}

/**
 * Plans the commands from `snapshot` to `targets`. Values already as wanted produce no command,
 * so applying twice is a no-op. Throws only on a bug: a target key missing from the snapshot.
 */
export function planRegistryChanges(
  targets: readonly RegistryTarget[],
  snapshot: RegistrySnapshot,
  options: PlanRegistryChangesOptions = {},
): Result<RegistryChangePlan, RegistryChangeProblem[]> {
  const commands: RegCommand[] = [];
  const changes: RegistryChange[] = [];
  const skipped: SkippedTarget[] = [];
  const problems: RegistryChangeProblem[] = [];
  const revertValues: RegistryTarget[] = [];
  const revertKeys = new Map<string, string>();
  const touched = new Set<string>();
  // Effects of earlier commands of this plan: values written or deleted, keys deleted.
  const written = new Map<string, RegValue | null>();
  const deletedKeys: string[] = [];

  const stateOf = (key: string): RegistryKeyState => {
    const state = snapshot.get(normalizeRegistryKey(key));
    if (state === undefined) throw new Error(`planRegistryChanges: bug: no snapshot of ${key}`);
    return state;
  };
  const valueId = (key: string, name: string): string => `${normalizeRegistryKey(key)}\u0000${name.toLowerCase()}`;
  const snapshotEntry = (state: RegistryKeyState, name: string): RegEntry | undefined =>
    state.exists ? state.values.find((entry) => sameRegistryName(entry.name, name)) : undefined;
  /** The value as it will be when the command being planned runs. */
  const currentValue = (state: RegistryKeyState, key: string, name: string): RegValue | UnrestorableRegValue | null => {
    const id = valueId(key, name);
    if (written.has(id)) return written.get(id) ?? null;
    if (deletedKeys.some((deleted) => isRegistryKeyWithin(key, deleted))) return null;
    return snapshotEntry(state, name)?.value ?? null;
  };
  const refuses = (value: RegValue | UnrestorableRegValue | null): boolean =>
    value !== null && value.type === 'unrestorable' && options.overwriteUnrestorable !== true;
  const unrestorable = (key: string, name: string, entry: RegEntry | undefined): void => {
    const typeName = entry !== undefined && entry.value.type === 'unrestorable' ? entry.value.typeName : '?';
    problems.push({
      key,
      name,
      message: msg(
        `${key} の値 ${name}（${typeName}）は reg.exe で元どおりに戻せないため、変更しません。手で確認して値を消すか REG_DWORD/REG_SZ にしてから、もう一度適用してください`,
        `value ${name} of ${key} (${typeName}) cannot be restored exactly with reg.exe, so it is not changed; check it by hand, delete it or make it REG_DWORD/REG_SZ, then apply again`,
      ),
    });
  };
  /** Records how to undo a change to `name` of `key`, once, from the snapshot's state. */
  const rememberBefore = (state: RegistryKeyState, key: string, name: string): void => {
    const id = valueId(key, name);
    if (touched.has(id)) return;
    touched.add(id);
    if (!state.exists) {
      revertKeys.set(normalizeRegistryKey(state.missingFrom), state.missingFrom);
      return;
    }
    const entry = snapshotEntry(state, name);
    revertValues.push({ kind: 'value', key, name: entry?.name ?? name, value: entry === undefined || entry.value.type === 'unrestorable' ? null : entry.value });
  };
  const setValue = (state: RegistryKeyState, key: string, name: string, value: RegValue): void => {
    const before = currentValue(state, key, name);
    if (refuses(before)) return unrestorable(key, name, snapshotEntry(state, name));
    if (before !== null && before.type !== 'unrestorable' && sameRegValue(before, value)) return;
    commands.push(regAdd(key, name, value));
    changes.push({ kind: 'set-value', key, name, before, after: value });
    rememberBefore(state, key, name);
    written.set(valueId(key, name), value);
  };
  const deleteValue = (state: RegistryKeyState, key: string, name: string): void => {
    const before = currentValue(state, key, name);
    if (refuses(before)) return unrestorable(key, name, snapshotEntry(state, name));
    if (before === null) return;
    commands.push(regDeleteValue(key, snapshotEntry(state, name)?.name ?? name));
    changes.push({ kind: 'delete-value', key, name, before });
    rememberBefore(state, key, name);
    written.set(valueId(key, name), null);
  };

  for (const target of targets) {
    const state = stateOf(target.key);
    switch (target.kind) {
      case 'value':
        if (target.onlyIfKeyExists === true && !state.exists) {
          skipped.push({
            key: target.key,
            name: target.name,
            reason: msg(
              `${target.key} がないので ${target.name} は書きません（存在しないサービスのキーを作らないため）`,
              `${target.key} does not exist, so ${target.name} is not written (a missing service key is never created)`,
            ),
          });
          break;
        }
        if (target.value === null) deleteValue(state, target.key, target.name);
        else setValue(state, target.key, target.name, target.value);
        break;
      case 'list': {
        const wanted = target.entries.map((_, index) => String(index + 1));
        if (state.exists) {
          for (const entry of state.values) {
            if (DEFAULT_VALUE_NAME.test(entry.name)) {
              skipped.push({
                key: target.key,
                name: entry.name,
                reason: msg('既定値（名前のない値）は一覧の項目ではないので触りません', 'the default (unnamed) value is not a list entry and is left alone'),
              });
              continue;
            }
            if (!wanted.includes(entry.name)) deleteValue(state, target.key, entry.name);
          }
        }
        target.entries.forEach((entry, index) => setValue(state, target.key, String(index + 1), regSz(entry)));
        break;
      }
      case 'absent-key':
        // Only revert plans ask for this; their own undo is not kept, so nothing is remembered.
        if (state.exists && !deletedKeys.some((deleted) => isRegistryKeyWithin(target.key, deleted))) {
          commands.push(regDeleteKey(target.key));
          changes.push({ kind: 'delete-key', key: target.key });
          deletedKeys.push(target.key);
        }
        break;
    }
  }
  if (problems.length > 0) return err(problems);

  const keys = [...revertKeys.values()].sort((a, b) => registryKeyDepth(b) - registryKeyDepth(a));
  const values = revertValues.filter((target) => !keys.some((key) => isRegistryKeyWithin(target.key, key))).reverse();
  return ok({
    commands,
    changes,
    revert: { format: REVERT_PLAN_FORMAT, targets: [...keys.map((key): RegistryTarget => ({ kind: 'absent-key', key })), ...values] },
    skipped,
  });
}

/**
 * One revert plan for two applies in a row: `earlier` was made before `later`, so where both
 * touch the same value (or `earlier` deletes a key `later` wrote into), `earlier` knows the
 * original state and wins. Keeping the combination of every apply gives a plan back to the state
 * before the first one.
 */
export function combineRevertPlans(earlier: WindowsRevertPlan, later: WindowsRevertPlan): WindowsRevertPlan {
  const earlierKeys = earlier.targets.filter((t) => t.kind === 'absent-key').map((t) => t.key);
  const earlierValues = earlier.targets.filter((t) => t.kind === 'value');
  const coveredByEarlier = (target: RegistryTarget): boolean =>
    earlierKeys.some((key) => isRegistryKeyWithin(target.key, key)) ||
    (target.kind === 'value' && earlierValues.some((e) => e.kind === 'value' && normalizeRegistryKey(e.key) === normalizeRegistryKey(target.key) && sameRegistryName(e.name, target.name)));
  const laterKept = later.targets.filter((target) => !coveredByEarlier(target));
  const keys = [...earlier.targets, ...laterKept]
    .filter((t) => t.kind === 'absent-key')
    .sort((a, b) => registryKeyDepth(b.key) - registryKeyDepth(a.key));
  // Keys are deleted before values are restored: a value `earlier` restores inside a key that
  // `later` created (after someone removed it in between) comes back after the deletion.
  const values = [...laterKept.filter((t) => t.kind !== 'absent-key'), ...earlier.targets.filter((t) => t.kind !== 'absent-key')];
  return { format: REVERT_PLAN_FORMAT, targets: [...keys, ...values] };
}

const keyText = z.string().min(6).max(1024).regex(/^HKLM\\[^\r\n]+$/);
const regValueSchema = z.strictObject({
  type: z.enum(['REG_SZ', 'REG_EXPAND_SZ', 'REG_DWORD', 'REG_QWORD', 'REG_BINARY']),
  data: z.string().max(16_384),
});
const revertPlanSchema = z.strictObject({
  format: z.literal(REVERT_PLAN_FORMAT),
  targets: z
    .array(
      z.discriminatedUnion('kind', [
        z.strictObject({ kind: z.literal('absent-key'), key: keyText }),
        z.strictObject({ kind: z.literal('value'), key: keyText, name: z.string().min(1).max(16_383), value: regValueSchema.nullable() }),
      ]),
    )
    .max(10_000),
});

/**
 * Reads a stored revert plan (untrusted: it comes back from a file). Only HKLM keys, only value
 * and key targets, bounded sizes.
 */
export function parseRevertPlan(value: unknown): Result<WindowsRevertPlan, Localized> {
  const parsed = revertPlanSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined ? '' : issue.path.join('.');
    return err(msg(`元に戻す計画の形式が正しくありません（${where}）`, `the revert plan is not well-formed (at ${where || 'top level'})`));
  }
  return ok(parsed.data as WindowsRevertPlan);
}
