/**
 * What to do with one mount (issue #4 item 1): the policy's class default, unless an approved
 * volume matches. Pure; the enforcement shell applies the action. Default deny, fail closed
 * (STYLE.md §1.3): an unresolved class or an unreadable volume identity on a policy-controlled
 * class is denied.
 */
import type { MediaPolicy } from '../../shared/policy/schema';
import type { MediaAction, Mount, MountClass, VolumeIdentity } from './model';
import type { MountClassification } from './decide-mount-class';

/** Why a decision came out as it did (stable codes; `describe-mounts.ts` words them). */
export type MountDecisionReason =
  /** internal and pseudo mounts are not media: always allowed. */
  | 'not-media'
  /** the class default of the policy applied. */
  | 'class-default'
  /** an approved volume matched (`approvedVolume` names it). */
  | 'approved-volume'
  /** an approval matched the volume but its `expires` has passed; the class default applied. */
  | 'approval-expired'
  /** a network share listed in `channels.networkShares.allow`. */
  | 'allowed-share'
  /** the class could not be established: denied. */
  | 'class-unresolved'
  /** the volume identity could not be read while approvals exist for the class: denied. */
  | 'identity-unknown';

/** The decision on one mount. */
export interface MountDecision {
  readonly action: MediaAction;
  readonly reason: MountDecisionReason;
  readonly mountClass: MountClass;
  /** `name` of the approved volume that matched (or expired), when there is one. */
  readonly approvedVolume: string | null;
}

/** What `decideMount` looks at. */
export interface MountDecisionInput {
  readonly policy: MediaPolicy;
  /** `channels.networkShares.allow` (`//server/share`, `server:/path`); empty when none. */
  readonly allowedShares: readonly string[];
  readonly mount: Mount;
  readonly classification: MountClassification;
  readonly identity: VolumeIdentity;
  /** Now, ms since the epoch (injected clock). */
  readonly nowMs: number;
}

type ApprovedVolume = MediaPolicy['approvedVolumes'][number];

/** The policy's default for a class; `sdCard` falls back to `usbStorage` as the schema says. */
export function classDefaultAction(policy: MediaPolicy, mountClass: MountClass): MediaAction | null {
  switch (mountClass) {
    case 'usb-storage':
      return policy.classes.usbStorage;
    case 'sd-card':
      return policy.classes.sdCard ?? policy.classes.usbStorage;
    case 'optical':
      return policy.classes.optical;
    case 'network-filesystem':
      return policy.classes.networkFilesystem;
    case 'other-fuse':
      return policy.classes.otherFuse;
    case 'internal':
    case 'pseudo':
      return null;
  }
}

const restrictiveness: Readonly<Record<MediaAction, number>> = { deny: 2, 'read-only': 1, allow: 0 };

/**
 * True when the volume's identity satisfies every identifier the approval configures (serial AND
 * UUID when both are given). An approval that configures neither matches nothing. UUIDs compare
 * case-insensitively (blkid prints FAT ones upper case, ext4 ones lower case); serials exactly.
 */
export function approvalMatches(approval: ApprovedVolume, identity: VolumeIdentity): boolean {
  if (identity.state !== 'known') return false;
  if (approval.deviceSerial === undefined && approval.filesystemUuid === undefined) return false;
  if (approval.deviceSerial !== undefined && identity.deviceSerial !== approval.deviceSerial) return false;
  if (approval.filesystemUuid !== undefined && identity.filesystemUuid?.toLowerCase() !== approval.filesystemUuid.toLowerCase()) return false;
  return true;
}

/** Normalizes a share name for comparison: SMB `\\server\share` → `//server/share`, trailing `/` dropped. */
function normalizeShare(source: string): string {
  const slashes = source.startsWith('\\\\') ? source.replaceAll('\\', '/') : source;
  return slashes.length > 1 && slashes.endsWith('/') ? slashes.slice(0, -1) : slashes;
}

/** Decides one mount. Pure. */
export function decideMount(input: MountDecisionInput): MountDecision {
  const { policy, classification, identity, nowMs, mount } = input;
  const mountClass = classification.mountClass;
  if (!classification.resolved) return { action: 'deny', reason: 'class-unresolved', mountClass, approvedVolume: null };
  const classAction = classDefaultAction(policy, mountClass);
  if (classAction === null) return { action: 'allow', reason: 'not-media', mountClass, approvedVolume: null };
  if (mountClass === 'network-filesystem') {
    const source = normalizeShare(mount.source.text);
    if (input.allowedShares.some((share) => normalizeShare(share) === source)) {
      return { action: 'allow', reason: 'allowed-share', mountClass, approvedVolume: null };
    }
  }
  if (identity.state === 'unknown' && policy.approvedVolumes.length > 0 && classAction !== 'allow') {
    return { action: 'deny', reason: 'identity-unknown', mountClass, approvedVolume: null };
  }
  const matching = policy.approvedVolumes.filter((approval) => approvalMatches(approval, identity));
  const current = matching.filter((approval) => nowMs < Date.parse(approval.expires));
  if (current.length > 0) {
    // Two approvals for one volume: the stricter one holds (an approval is an exception, not a licence to widen).
    const chosen = current.reduce((a, b) => (restrictiveness[b.action] > restrictiveness[a.action] ? b : a));
    return { action: chosen.action, reason: 'approved-volume', mountClass, approvedVolume: chosen.name };
  }
  const expired = matching[0];
  if (expired !== undefined) return { action: classAction, reason: 'approval-expired', mountClass, approvedVolume: expired.name };
  return { action: classAction, reason: 'class-default', mountClass, approvedVolume: null };
}
