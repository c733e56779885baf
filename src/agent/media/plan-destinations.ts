/**
 * Which folders the export ledger watches (issue #4 item 2), from the policy in force and the
 * mounts as last judged. Pure.
 *
 *  - every `spec.media.exportDestinations` entry, with its action;
 *  - every mounted medium the mount control allowed writing on: an approved volume (`allow`), a
 *    class whose default is `allow`, or a network share in `channels.networkShares.allow`. Files
 *    written there are what leaves the terminal through an allowed path, so they are recorded;
 *  - read-only and denied mounts are not watched: nothing can be written there.
 *
 * Monitor mode never quarantines or deletes: every action becomes `record` (the planned action is
 * kept in `policyAction` for the status).
 *
 * Nested destinations: a watched folder inside another (an approved stick mounted below a
 * `/media` destination) belongs to the inner, more specific destination only; the outer one
 * lists it in `excludes` so a file is recorded once, with the action meant for where it lies.
 */
import type { MediaPolicy } from '../../shared/policy/schema';
import type { ExportAction, ExportDestination } from '../exports';
import { findContainingMount, type Mount, type MountState } from '../mounts';

/** A destination as planned: what the ledger gets, plus why it is watched. */
export interface PlannedDestination extends ExportDestination {
  /** `policy`: listed in exportDestinations; `volume`: an allowed medium or share. */
  readonly origin: 'policy' | 'volume';
  /** The action the policy asks for (may differ from `action` in monitor mode). */
  readonly policyAction: ExportAction;
  /** Folders inside `path` that belong to another destination (absolute paths). */
  readonly excludes: readonly string[];
}

/** What the planner looks at. */
export interface DestinationPlanInput {
  /** The media policy in force; null without a policy (then only allowed mounts are watched — there are none, fail closed). */
  readonly media: MediaPolicy | null;
  readonly mounts: readonly MountState[];
  readonly mode: 'monitor' | 'enforce';
}

const isInside = (inner: string, outer: string): boolean => inner !== outer && (outer === '/' ? inner.startsWith('/') : inner.startsWith(`${outer}/`));

/** Removes a trailing slash (except for `/`) so paths compare as strings. */
function normalizeFolder(folder: string): string {
  return folder.length > 1 && folder.endsWith('/') ? folder.replace(/\/+$/, '') || '/' : folder;
}

/** True when the mount's file system accepts writes after enforcement (not read-only, not denied). */
function writableAllowed(state: MountState): boolean {
  if (state.decision.reason === 'not-media') return false;
  if (state.decision.action !== 'allow') return false;
  return !state.mount.options.includes('ro');
}

function volumeOf(mount: Mount | null, state: MountState | undefined): ExportDestination['volume'] {
  const point = mount?.mountPoint.text ?? '/';
  const device = state?.classification.device ?? null;
  return {
    mountPoint: point,
    ...(device?.usbSerial === null || device?.usbSerial === undefined ? {} : { serial: device.usbSerial }),
  };
}

/** The destinations to watch, sorted by path; ids are stable across restarts for the same folder. */
export function planExportDestinations(input: DestinationPlanInput): PlannedDestination[] {
  const mounts = input.mounts.map((state) => state.mount);
  const stateByKey = new Map(input.mounts.map((state) => [state.mount.mountPoint.text, state]));
  const planned = new Map<string, Omit<PlannedDestination, 'excludes'>>();
  const effective = (action: ExportAction): ExportAction => (input.mode === 'monitor' ? 'record' : action);

  for (const destination of input.media?.exportDestinations ?? []) {
    const folder = normalizeFolder(destination.path);
    if (planned.has(folder)) continue; // the schema allows duplicates; the first wins, as in the policy's order
    const mount = findContainingMount(folder, mounts);
    planned.set(folder, {
      id: `policy:${folder}`,
      path: folder,
      action: effective(destination.action),
      policyAction: destination.action,
      origin: 'policy',
      volume: volumeOf(mount, mount === null ? undefined : stateByKey.get(mount.mountPoint.text)),
    });
  }
  for (const state of input.mounts) {
    if (!writableAllowed(state)) continue;
    const folder = state.mount.mountPoint.text;
    // An explicit destination at the same folder keeps its own action.
    if (planned.has(folder)) continue;
    planned.set(folder, {
      id: `volume:${state.decision.approvedVolume ?? state.decision.mountClass}:${folder}`,
      path: folder,
      action: 'record',
      policyAction: 'record',
      origin: 'volume',
      volume: volumeOf(state.mount, state),
    });
  }
  const folders = [...planned.keys()].sort();
  return folders.map((folder) => {
    const destination = planned.get(folder) as Omit<PlannedDestination, 'excludes'>;
    return { ...destination, excludes: folders.filter((other) => isInside(other, folder)) };
  });
}

/** A string that changes whenever the ledger would have to watch differently. */
export function destinationsSignature(destinations: readonly PlannedDestination[]): string {
  return JSON.stringify(destinations.map((d) => [d.id, d.path, d.action, d.excludes]));
}
