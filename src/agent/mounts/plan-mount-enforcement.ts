/**
 * How a mount decision is applied (issue #4 item 1), as steps an adapter carries out. Pure.
 *
 *  - allow: nothing.
 *  - read-only: `remount` with ro,nosuid,nodev,noexec unless the mount already has all four. When
 *    the remount fails because a writer holds a file open (EBUSY, usb-and-media.md §7: rc 32), the
 *    service falls back to the deny plan (`fallbackOnBusy`).
 *  - deny: unmount, then seal the mount point so later writes to the path cannot land on the
 *    filesystem underneath (measured: after `umount -l` they do). Sealing mounts an empty read-only
 *    tmpfs over the path; it shows as a pseudo mount and is not denied again.
 *
 * Mount points the system cannot live without are never touched, whatever the decision says: a
 * fail-closed deny of an unresolvable root disk must not take the terminal down. They are
 * reported as `refused` so the audit shows the conflict.
 */
import type { MountDecision } from './decide-mount';
import type { Mount } from './model';

/** One thing an adapter does to a mount. */
export type MountEnforcementStep = 'remount-read-only' | 'unmount' | 'seal-mount-point';

/** What to do about one mount. */
export type MountEnforcementPlan =
  | { readonly kind: 'none'; readonly why: 'allowed' | 'already-read-only' }
  | { readonly kind: 'apply'; readonly steps: readonly MountEnforcementStep[]; readonly fallbackOnBusy: readonly MountEnforcementStep[] }
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

/** The plan for one mount and its decision. */
export function planMountEnforcement(mount: Mount, decision: MountDecision): MountEnforcementPlan {
  if (decision.action === 'allow') return { kind: 'none', why: 'allowed' };
  if (protectedMountPoints.has(mount.mountPoint.text)) return { kind: 'refused', why: 'protected-mount-point' };
  if (decision.action === 'read-only') {
    if (isReadOnlyMount(mount)) return { kind: 'none', why: 'already-read-only' };
    return { kind: 'apply', steps: ['remount-read-only'], fallbackOnBusy: denySteps };
  }
  return { kind: 'apply', steps: denySteps, fallbackOnBusy: [] };
}
