/**
 * Pure decision for radio switches (issue #4 item 3): which radios must be blocked under
 * `spec.channels`, and what to write. Fail closed: without a policy every radio that can carry
 * data out of the zone is blocked.
 */
import type { ChannelsPolicy } from '../../shared/policy/schema';
import type { RadioFacts } from './model';

/** What a radio is, in the policy's terms. */
export type RadioKind = 'wifi' | 'bluetooth' | 'wwan' | 'wimax' | 'uwb' | 'nfc' | 'gps' | 'fm' | 'other';

/**
 * `block`: must be blocked. `allow`: the policy allows it; the agent leaves it as it is (it never
 * unblocks a radio). `report`: not a channel the policy speaks about; reported only.
 */
export type RadioTarget = 'block' | 'allow' | 'report';

/**
 * Why a radio got its target.
 * - `policy`: `spec.channels.wifi` / `.bluetooth` says so.
 * - `follows-wifi`: mobile broadband (wwan, wimax) follows the Wi-Fi rule (see {@link decideRadio}).
 * - `no-policy`: no policy is in force; the built-in rule blocks (fail closed).
 * - `not-controlled`: a radio kind the policy does not name (nfc, gps, fm, uwb, other).
 */
export type RadioBasis = 'policy' | 'follows-wifi' | 'no-policy' | 'not-controlled';

/** The decision for one radio. */
export interface RadioDecision {
  readonly index: number;
  readonly kind: RadioKind;
  readonly target: RadioTarget;
  readonly basis: RadioBasis;
  /**
   * Whether the radio is blocked now: soft OR hard block (a hard-blocked radio counts as blocked).
   * null when neither says blocked and one of them could not be read.
   */
  readonly blocked: boolean | null;
  /**
   * What to write: `soft-block` whenever the target is block and the soft block is not on, also
   * when the radio is hard-blocked: a physical switch can be flipped back at any time, and the soft
   * block keeps the radio off when it is.
   */
  readonly action: 'none' | 'soft-block';
  /** The radio was seen blocked under a block target before, and is not blocked now (someone undid it). */
  readonly drift: boolean;
}

/** The two radio rules of the policy, or undefined when no policy is in force. */
export type RadioRules = Pick<ChannelsPolicy, 'wifi' | 'bluetooth'>;

/** The rules used when no policy is in force: block both (STYLE.md §1.3, fail closed). */
export const fallbackRadioRules: RadioRules = { wifi: 'block', bluetooth: 'block' };

const kindOfType: Readonly<Record<string, RadioKind>> = {
  wlan: 'wifi',
  bluetooth: 'bluetooth',
  wwan: 'wwan',
  wimax: 'wimax',
  ultrawideband: 'uwb',
  uwb: 'uwb',
  nfc: 'nfc',
  gps: 'gps',
  fm: 'fm',
};

/** Maps an rfkill type (`wlan`, `bluetooth`, `ultrawideband`…) to a radio kind; unknown types are `other`. */
export function radioKindOf(type: string): RadioKind {
  return Object.hasOwn(kindOfType, type) ? (kindOfType[type] as RadioKind) : 'other';
}

/** soft OR hard; null only when neither is known true and one is unknown. */
export function isRadioBlocked(radio: Pick<RadioFacts, 'soft' | 'hard'>): boolean | null {
  if (radio.soft === true || radio.hard === true) return true;
  if (radio.soft === false && radio.hard === false) return false;
  return null;
}

/**
 * Decides one radio.
 *
 * Mobile broadband (rfkill `wwan`, and the older `wimax`) is blocked whenever Wi-Fi is: an LTE/5G
 * modem is a network link to the internet that bypasses the zone's wired separation exactly as a
 * Wi-Fi link does (municipal policy 6(3)ア: the My Number zone must not communicate with other
 * zones), and the policy has no rule of its own for it. With Wi-Fi allowed it is only reported,
 * since the policy then allows wireless links as such.
 *
 * @param rules the policy's rules, or undefined when no policy is in force (then everything that
 *   can carry data out is blocked)
 * @param wasBlocked the radio was seen blocked under a block target in an earlier pass
 */
export function decideRadio(radio: RadioFacts, rules: RadioRules | undefined, wasBlocked: boolean): RadioDecision {
  const kind = radioKindOf(radio.type);
  const effective = rules ?? fallbackRadioRules;
  const basisOfRule: RadioBasis = rules === undefined ? 'no-policy' : 'policy';
  let target: RadioTarget;
  let basis: RadioBasis;
  switch (kind) {
    case 'wifi':
      target = effective.wifi;
      basis = basisOfRule;
      break;
    case 'bluetooth':
      target = effective.bluetooth;
      basis = basisOfRule;
      break;
    case 'wwan':
    case 'wimax':
      target = effective.wifi === 'block' ? 'block' : 'report';
      basis = rules === undefined ? 'no-policy' : 'follows-wifi';
      break;
    default:
      target = 'report';
      basis = 'not-controlled';
  }
  const blocked = isRadioBlocked(radio);
  return {
    index: radio.index,
    kind,
    target,
    basis,
    blocked,
    action: target === 'block' && radio.soft !== true ? 'soft-block' : 'none',
    drift: target === 'block' && wasBlocked && blocked !== true,
  };
}

/**
 * Decides every radio. `blockedBefore` holds the indices seen blocked under a block target in
 * earlier passes (for drift). `policy` undefined = no policy in force.
 */
export function decideRadios(radios: readonly RadioFacts[], policy: RadioRules | undefined, blockedBefore: ReadonlySet<number>): RadioDecision[] {
  return radios.map((radio) => decideRadio(radio, policy === undefined ? undefined : { wifi: policy.wifi, bluetooth: policy.bluetooth }, blockedBefore.has(radio.index)));
}
