/**
 * How a mount decision is applied (issue #4 item 1), as steps an adapter carries out. Pure.
 *
 *  - allow: nothing.
 *  - read-only: `remount` with ro,nosuid,nodev,noexec unless the mount already has all four. When
 *    the remount fails because a writer holds a file open (EBUSY, usb-and-media.md §7: rc 32), the
 *    service falls back to denying the mount (`fallbackOnBusy`).
 *  - deny: unmount, then seal the mount point so later writes to the path cannot land on the
 *    filesystem underneath (measured: after `umount -l` they do). Sealing mounts an empty read-only
 *    tmpfs over the path; it shows as a pseudo mount and is not denied again.
 *  - busy (both): a process holds the mount. A lazy unmount would leave its open files writing to
 *    the detached medium (issue #4: "no byte written after the decision reaches the medium"), so
 *    the fallback first stops the holders (`stop-holders`: SIGSTOP, then SIGKILL; whom, is
 *    {@link decideHolderStops}), then unmounts for real, which flushes and detaches the file
 *    system. Only when that still fails does `lastResort` detach lazily and seal; the service
 *    reports it as a failure (alert), because a holder that survived may still write.
 *
 * Mount points the system cannot live without are never touched, whatever the decision says: a
 * fail-closed deny of an unresolvable root disk must not take the terminal down. They are
 * reported as `refused` so the audit shows the conflict.
 */
import type { MountDecision } from './decide-mount';
import type { Mount } from './model';
import type { MountHolder } from './ports';

/**
 * One thing an adapter does to a mount. `stop-holders` stops and kills the processes holding it;
 * `detach-lazily` is `umount -l` (last resort only).
 */
export type MountEnforcementStep = 'remount-read-only' | 'stop-holders' | 'unmount' | 'detach-lazily' | 'seal-mount-point';

/**
 * What to do about one mount. `steps` run first; when one fails because the mount is busy,
 * `fallbackOnBusy` runs instead; when its `unmount` is still busy, `lastResort` runs and the
 * outcome is a failure.
 */
export type MountEnforcementPlan =
  | { readonly kind: 'none'; readonly why: 'allowed' | 'already-read-only' }
  | {
      readonly kind: 'apply';
      readonly steps: readonly MountEnforcementStep[];
      readonly fallbackOnBusy: readonly MountEnforcementStep[];
      readonly lastResort: readonly MountEnforcementStep[];
    }
  | { readonly kind: 'refused'; readonly why: 'protected-mount-point' };

/** The options a read-only medium must carry (issue #4 item 1). */
export const readOnlyOptions: readonly string[] = ['ro', 'nosuid', 'nodev', 'noexec'];

/** Mount points never unmounted or remounted by the agent (FHS top-level system directories). */
export const protectedMountPoints: ReadonlySet<string> = new Set([
  '/', '/boot', '/boot/efi', '/usr', '/var', '/etc', '/home', '/opt', '/srv', '/tmp', '/var/log', '/var/tmp', '/var/lib',
  '/proc', '/sys', '/dev', '/run', '/root',
]);

/** True when every option of {@link readOnlyOptions} is set on the mount. */
export function isReadOnlyMount(mount: Mount): boolean {
  return readOnlyOptions.every((option) => mount.options.includes(option));
}

const denySteps: readonly MountEnforcementStep[] = ['unmount', 'seal-mount-point'];
const busyDenySteps: readonly MountEnforcementStep[] = ['stop-holders', 'unmount', 'seal-mount-point'];
const lastResortSteps: readonly MountEnforcementStep[] = ['detach-lazily', 'seal-mount-point'];

/** The plan for one mount and its decision. */
export function planMountEnforcement(mount: Mount, decision: MountDecision): MountEnforcementPlan {
  if (decision.action === 'allow') return { kind: 'none', why: 'allowed' };
  if (protectedMountPoints.has(mount.mountPoint.text)) return { kind: 'refused', why: 'protected-mount-point' };
  if (decision.action === 'read-only') {
    if (isReadOnlyMount(mount)) return { kind: 'none', why: 'already-read-only' };
    return { kind: 'apply', steps: ['remount-read-only'], fallbackOnBusy: busyDenySteps, lastResort: lastResortSteps };
  }
  return { kind: 'apply', steps: denySteps, fallbackOnBusy: busyDenySteps, lastResort: lastResortSteps };
}

/** Why a holder is not stopped: the agent itself, init (pid 1), or a kernel thread. */
export type HolderSpareReason = 'agent' | 'init' | 'kernel-thread';

/** Whom `stop-holders` stops, and whom it must leave alone (the mount then stays busy). */
export interface HolderStopDecision {
  readonly stop: readonly MountHolder[];
  readonly spare: readonly { readonly holder: MountHolder; readonly why: HolderSpareReason }[];
}

/**
 * Whom to stop among the processes holding a denied mount. Every holder is stopped, writer or
 * not: a reader's cwd or directory fd is enough to create a file there later, and any holder keeps
 * the plain unmount from succeeding. Never the agent (it would stop enforcing), never pid 1
 * (the kernel panics when init dies), never a kernel thread (signals do not reach it). Pure.
 */
export function decideHolderStops(holders: readonly MountHolder[], agentPid: number): HolderStopDecision {
  const stop: MountHolder[] = [];
  const spare: { holder: MountHolder; why: HolderSpareReason }[] = [];
  for (const holder of holders) {
    if (holder.pid === agentPid) spare.push({ holder, why: 'agent' });
    // pid ≤ 0 cannot come from /proc, but kill(2) would signal a whole group: never.
    else if (!Number.isSafeInteger(holder.pid) || holder.pid <= 1) spare.push({ holder, why: 'init' });
    else if (holder.kernelThread) spare.push({ holder, why: 'kernel-thread' });
    else stop.push(holder);
  }
  return { stop, spare };
}
