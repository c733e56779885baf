import type { Localized } from '../i18n';

/**
 * The USB rule language: USBGuard 1.1.2's rule syntax (usbguard-rules.conf(5)) plus three
 * mynumber-guard extensions. A parsed rule keeps what USBGuard keeps, so the canonical printer
 * reproduces `usbguard-rule-parser`'s output; see ./index.ts for the differences on purpose.
 */

/**
 * What a matching rule does with a device. `allow`, `block`, `reject` are USBGuard's verdicts;
 * `match` and `device` are USBGuard-internal targets its parser accepts (they never decide here);
 * `read-only` is an extension: allow the device, but mount its storage read-only.
 */
export type UsbRuleTarget = 'allow' | 'block' | 'reject' | 'match' | 'device' | 'read-only';

/**
 * How a rule's set of values is compared with the device's values. `equals` is the default (also
 * for a single value without braces). For conditions, `equals` and `equals-ordered` mean `all-of`.
 */
export type UsbSetOperator = 'all-of' | 'one-of' | 'none-of' | 'equals' | 'equals-ordered' | 'match-all';

/** Every set operator, in the order USBGuard's grammar tries them. */
export const USB_SET_OPERATORS: readonly UsbSetOperator[] = ['all-of', 'one-of', 'none-of', 'equals-ordered', 'equals', 'match-all'];

/** The values of one attribute and how they are compared. Never empty. */
export interface UsbRuleSet<T> {
  readonly operator: UsbSetOperator;
  readonly values: readonly T[];
}

/** `VVVV:PPPP`: 4 hex digits (case as written) or `*` each; `*:PPPP` is not allowed. */
export interface UsbDeviceIdPattern {
  readonly vendorId: string;
  readonly productId: string;
}

/**
 * `CC:SS:PP` with 2 lowercase hex digits or `*` for subclass and protocol; a `*` subclass needs a
 * `*` protocol (`08:*:50` is invalid).
 */
export interface UsbInterfacePattern {
  readonly classCode: string;
  readonly subclassCode: string;
  readonly protocolCode: string;
}

/** Fields every condition has. `parameter` is the raw text between the parentheses ('' when none). */
interface ConditionBase {
  readonly negated: boolean;
}

/** `true` / `false`: a fixed state. USBGuard drops an argument given to them, and so do we. */
export interface FixedCondition extends ConditionBase {
  readonly kind: 'true' | 'false';
}

/** `localtime(HH:MM[:SS][-HH:MM[:SS]])`: true while the local time of day lies in the range. */
export interface LocaltimeCondition extends ConditionBase {
  readonly kind: 'localtime';
  readonly parameter: string;
  /** Start and end of the range in seconds after local midnight (inclusive both). */
  readonly beginSecond: number;
  readonly endSecond: number;
}

/** `allowed-matches(<partial rule>)`: true when some currently allowed device matches the partial rule. */
export interface AllowedMatchesCondition extends ConditionBase {
  readonly kind: 'allowed-matches';
  readonly parameter: string;
  /** The partial rule, parsed as `allow <parameter>`; only its attributes are used. */
  readonly rule: UsbRule;
}

/**
 * `rule-applied[(duration)]` / `rule-evaluated[(duration)]`: true when this rule was applied
 * (matched) / evaluated before, within the last `withinSeconds` seconds (0: at any time).
 */
export interface RuleHistoryCondition extends ConditionBase {
  readonly kind: 'rule-applied' | 'rule-evaluated';
  readonly parameter: string;
  readonly withinSeconds: number;
}

/** `random[(p)]`: true with probability p (0.5 without argument); p ≥ 1 always, p ≤ 0 or NaN never. */
export interface RandomCondition extends ConditionBase {
  readonly kind: 'random';
  readonly parameter: string;
  readonly probability: number;
}

/** One condition of a rule's `if` attribute. */
export type UsbRuleCondition = FixedCondition | LocaltimeCondition | AllowedMatchesCondition | RuleHistoryCondition | RandomCondition;

/** Extension: what to do with the interfaces of a device a rule allows. */
export interface UsbInterfaceTarget {
  readonly pattern: UsbInterfacePattern;
  readonly target: 'allow' | 'block';
}

/**
 * A parsed rule. String values are text: bytes that are not UTF-8 are kept as U+DC80..U+DCFF
 * (see ./bytes.ts), so printing gives the same bytes back. Absent attributes are absent keys.
 */
export interface UsbRule {
  readonly target: UsbRuleTarget;
  readonly id?: UsbRuleSet<UsbDeviceIdPattern>;
  readonly serial?: UsbRuleSet<string>;
  readonly name?: UsbRuleSet<string>;
  readonly hash?: UsbRuleSet<string>;
  readonly parentHash?: UsbRuleSet<string>;
  readonly viaPort?: UsbRuleSet<string>;
  readonly withInterface?: UsbRuleSet<UsbInterfacePattern>;
  readonly conditions?: UsbRuleSet<UsbRuleCondition>;
  readonly withConnectType?: UsbRuleSet<string>;
  /** Does not affect matching. */
  readonly label?: UsbRuleSet<string>;
  /**
   * Extension `interface-target { CC:SS:PP allow|block … }` (allow and read-only rules only): the
   * device is authorized, and each interface gets the target of the first pattern that matches
   * it; an interface no pattern matches is blocked.
   */
  readonly interfaceTargets?: readonly UsbInterfaceTarget[];
  /** Extension `expires "<ISO 8601 with offset>"`: from this instant on the rule no longer matches. */
  readonly expires?: { readonly text: string; readonly epochMs: number };
}

/**
 * What the matcher reads of a device. Field names are those of the agent's `UsbDevice`
 * (src/agent/usb/model.ts), which is assignable to this type. Hex codes are lowercase, as the
 * kernel writes them.
 */
export interface UsbRuleSubject {
  /** `idVendor`, `idProduct`: 4 lowercase hex digits. */
  readonly vendorId: string;
  readonly productId: string;
  /** USBGuard `name` (`product`), '' when absent. */
  readonly name: string;
  readonly serial: string;
  readonly hash: string;
  readonly parentHash: string;
  /** USBGuard `via-port`: the sysfs device name, e.g. `1-3.2`. */
  readonly port: string;
  /** USBGuard `with-connect-type`: `hotplug`, `hardwired`, `not used`, `unknown` or ''. */
  readonly connectType: string;
  /** USBGuard `with-interface`: 2 lowercase hex digits each. */
  readonly interfaces: readonly { readonly classCode: string; readonly subclassCode: string; readonly protocolCode: string }[];
}

/** Stable identifiers of rule errors. */
export type UsbRuleErrorCode =
  | 'rule-empty'
  | 'rule-too-long'
  | 'leading-whitespace'
  | 'target-unknown'
  | 'trailing-whitespace'
  | 'line-break'
  | 'unexpected-text'
  | 'attribute-unknown'
  | 'attribute-value-invalid'
  | 'attribute-duplicate'
  | 'extension-not-usbguard'
  | 'string-unterminated'
  | 'string-escape-invalid'
  | 'string-escape-unsupported'
  | 'argument-unterminated'
  | 'argument-escape-invalid'
  | 'device-id-invalid'
  | 'device-id-conflict'
  | 'interface-invalid'
  | 'condition-unknown'
  | 'condition-argument-empty'
  | 'localtime-invalid'
  | 'localtime-range-inverted'
  | 'duration-invalid'
  | 'probability-invalid'
  | 'allowed-matches-invalid'
  | 'set-too-large'
  | 'nesting-too-deep'
  | 'expires-invalid'
  | 'interface-target-invalid'
  | 'interface-target-not-allowed';

/**
 * Why a rule does not parse, and where. `line` and `column` are 1-based; `column` counts UTF-16
 * code units (what editors count). `byteColumn` counts UTF-8 bytes, as usbguard-rule-parser does;
 * both are equal for ASCII text.
 */
export interface UsbRuleError {
  readonly line: number;
  readonly column: number;
  readonly byteColumn: number;
  readonly code: UsbRuleErrorCode;
  readonly message: Localized;
}

/** One line of a rule file: a rule, or nothing (a comment line or an empty line). */
export interface UsbRuleLine {
  /** 1-based line number in the file. */
  readonly line: number;
  readonly rule: UsbRule | undefined;
}

/** Options of the parser. */
export interface UsbRuleParseOptions {
  /**
   * Accept the mynumber-guard extensions (`read-only` target, `interface-target`, `expires`).
   * Default true; false parses exactly the USBGuard 1.1.2 language.
   */
  readonly extensions?: boolean;
}
