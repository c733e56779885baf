import type { Localized } from '../i18n';
import { msg } from '../i18n';
import type {
  UsbDeviceIdPattern,
  UsbInterfacePattern,
  UsbInterfaceTarget,
  UsbRule,
  UsbRuleCondition,
  UsbRuleSet,
  UsbRuleSubject,
} from './model';

/**
 * Matching rules against devices (USBGuard: Rule::appliesTo, then the conditions; first matching
 * rule wins, a rule whose condition is false is skipped). Semantics follow usbguard-rules.conf(5);
 * where USBGuard 1.1.2's code does something else, we do what the manual says and say so here:
 *
 * - `match-all` on a string attribute (name, serial, hash, parent-hash, via-port,
 *   with-connect-type): USBGuard matches every device (its superset test is unimplemented and
 *   returns true), so `allow serial match-all { "x" }` allows everything. Here: the device's value
 *   must equal one of the listed values.
 * - `match-all` on `id`: USBGuard compares literally (`1234:*` never matches). Here: wildcards work.
 * - `if match-all { … }`: USBGuard throws while evaluating. Here: the rule is "unevaluable" and the
 *   caller must fail closed (reject).
 * - `localtime`: USBGuard compares the UTC time of day and reads `:SS` as epoch seconds. Here:
 *   local time of day from the context, `HH:MM:SS` as written.
 * - `rule-applied(d)` / `rule-evaluated(d)`: USBGuard turns d into nanoseconds. Here: seconds.
 * - Device ids compare case-sensitively, as in USBGuard (the kernel reports lowercase hex, so a
 *   rule written in uppercase never matches; the policy linter warns about it).
 *
 * Everything else (set operators, interface wildcards, `equals` sizes, `match-all` on interfaces
 * being true for a device without interfaces) is USBGuard's behaviour.
 */

/** When each rule was last applied / evaluated, in the context's clock (ms); undefined: never. */
export interface UsbRuleHistory {
  lastApplied(ruleIndex: number): number | undefined;
  lastEvaluated(ruleIndex: number): number | undefined;
}

/** What conditions and extensions need from the world, injected (STYLE.md §4). */
export interface UsbRuleContext {
  /** Now, in ms since the epoch: expiry of rules, and the clock of `ruleHistory`. */
  readonly nowMs: number;
  /** Local time of day in seconds, 0..86399, for `localtime(…)`. See {@link localSecondOfDay}. */
  readonly localSecondOfDay: number;
  /** Uniform in [0, 1), for `random(p)`. */
  random(): number;
  readonly ruleHistory: UsbRuleHistory;
  /** Devices allowed right now, for `allowed-matches(…)`. */
  allowedDevices(): readonly UsbRuleSubject[];
}

/** Seconds since local midnight for a time zone `utcOffsetMinutes` east of UTC (JST: 540). */
export function localSecondOfDay(nowMs: number, utcOffsetMinutes: number): number {
  const seconds = Math.floor(nowMs / 1000) + utcOffsetMinutes * 60;
  return ((seconds % 86_400) + 86_400) % 86_400;
}

/** A context for rules without conditions that need the world: never applied, nothing allowed. */
export function createStaticUsbRuleContext(nowMs: number, localSecond = 0): UsbRuleContext {
  return {
    nowMs,
    localSecondOfDay: localSecond,
    random: () => 0.5,
    ruleHistory: { lastApplied: () => undefined, lastEvaluated: () => undefined },
    allowedDevices: () => [],
  };
}

/** Outcome of one rule against one device. `unevaluable`: the caller must fail closed. */
export type UsbRuleMatch = 'match' | 'no-match' | 'unevaluable';

/** The rule that decides for a device. */
export interface UsbRuleDecision {
  /** Index of the rule in the list given to the compiler. */
  readonly ruleIndex: number;
  readonly rule: UsbRule;
  /**
   * Set when the rule could not be evaluated (`if match-all {…}`): the device must be rejected
   * whatever the rule's target says, and the reason audited.
   */
  readonly unevaluable?: Localized;
}

/** A compiled rule list: evaluate many devices quickly. */
export interface UsbRuleEvaluator {
  /** Number of rules compiled. */
  readonly size: number;
  /**
   * The first rule that matches the device and whose conditions hold, or undefined (the policy's
   * default target applies). `match` and `device` rules never decide and are skipped. For
   * `rule-evaluated`, the caller records the rules up to and including the returned one (all rules
   * when undefined) as evaluated, and the returned one as applied.
   */
  evaluate(device: UsbRuleSubject, ctx: UsbRuleContext): UsbRuleDecision | undefined;
}

const UNEVALUABLE: Localized = msg(
  'if match-all { … } は評価できません（USBGuard も評価時に失敗します）。one-of、all-of または none-of を使ってください',
  'if match-all { … } cannot be evaluated (USBGuard fails on it too); use one-of, all-of or none-of',
);

type Predicate = (device: UsbRuleSubject) => boolean;
type ConditionCheck = (device: UsbRuleSubject, ctx: UsbRuleContext, ruleIndex: number) => boolean | 'unevaluable';

const ALWAYS: Predicate = () => true;
const NEVER: Predicate = () => false;

type StringField = 'serial' | 'name' | 'hash' | 'parentHash' | 'port' | 'connectType';

/** `device[field] === value`, written out per field so the hot path has no extra call. */
function equalsField(field: StringField, value: string): Predicate {
  switch (field) {
    case 'serial':
      return (d) => d.serial === value;
    case 'name':
      return (d) => d.name === value;
    case 'hash':
      return (d) => d.hash === value;
    case 'parentHash':
      return (d) => d.parentHash === value;
    case 'port':
      return (d) => d.port === value;
    case 'connectType':
      return (d) => d.connectType === value;
  }
}

function stringPredicate(set: UsbRuleSet<string>, field: StringField): Predicate {
  const values = set.values;
  const first = values[0] as string;
  switch (set.operator) {
    case 'equals':
    case 'equals-ordered':
      // The device has exactly one value: sets of different sizes are never equal.
      return values.length === 1 ? equalsField(field, first) : NEVER;
    case 'all-of':
      return values.every((v) => v === first) ? equalsField(field, first) : NEVER;
    case 'one-of':
    case 'match-all': {
      if (values.length === 1) return equalsField(field, first);
      const members = new Set(values);
      return (d) => members.has(d[field]);
    }
    case 'none-of': {
      const members = new Set(values);
      return (d) => !members.has(d[field]);
    }
  }
}

/** The exact values a string attribute can match (for the index), or undefined when any value can. */
function stringReach(set: UsbRuleSet<string> | undefined): readonly string[] | undefined {
  if (set === undefined) return undefined;
  switch (set.operator) {
    case 'equals':
    case 'equals-ordered':
    case 'all-of':
      return set.values.slice(0, 1);
    case 'one-of':
    case 'match-all':
      return set.values;
    case 'none-of':
      return undefined;
  }
}

/** USBDeviceID::isSubsetOf: a `*` vendor matches all; a `*` product matches all of that vendor. */
function idMatches(pattern: UsbDeviceIdPattern, device: UsbRuleSubject): boolean {
  if (pattern.vendorId === '*') return true;
  if (pattern.vendorId !== device.vendorId) return false;
  return pattern.productId === '*' || pattern.productId === device.productId;
}

function idPredicate(set: UsbRuleSet<UsbDeviceIdPattern>): Predicate {
  const values = set.values;
  const first = values[0] as UsbDeviceIdPattern;
  switch (set.operator) {
    case 'equals':
    case 'equals-ordered':
      return values.length === 1 ? (d) => idMatches(first, d) : NEVER;
    case 'all-of':
      return (d) => values.every((v) => idMatches(v, d));
    case 'one-of':
    case 'match-all':
      return values.length === 1 ? (d) => idMatches(first, d) : (d) => values.some((v) => idMatches(v, d));
    case 'none-of':
      return (d) => !values.some((v) => idMatches(v, d));
  }
}

type DeviceInterface = UsbRuleSubject['interfaces'][number];

/** USBInterfaceType::appliesTo: class always, subclass and protocol unless `*`. */
export function interfaceMatches(pattern: UsbInterfacePattern, device: DeviceInterface): boolean {
  if (pattern.classCode !== device.classCode) return false;
  if (pattern.subclassCode === '*') return true;
  if (pattern.subclassCode !== device.subclassCode) return false;
  return pattern.protocolCode === '*' || pattern.protocolCode === device.protocolCode;
}

/** True when some interface of the device is matched by `pattern`. */
function deviceHas(pattern: UsbInterfacePattern, interfaces: readonly DeviceInterface[]): boolean {
  for (let k = 0; k < interfaces.length; k += 1) if (interfaceMatches(pattern, interfaces[k] as DeviceInterface)) return true;
  return false;
}

/** True when `iface` is matched by some pattern. */
function someMatch(patterns: readonly UsbInterfacePattern[], iface: DeviceInterface): boolean {
  for (let k = 0; k < patterns.length; k += 1) if (interfaceMatches(patterns[k] as UsbInterfacePattern, iface)) return true;
  return false;
}

function interfacePredicate(set: UsbRuleSet<UsbInterfacePattern>): Predicate {
  // Patterns are stored lowercase by the parser; rules built in code may not be.
  const patterns: readonly UsbInterfacePattern[] = set.values.map((p) => ({
    classCode: p.classCode.toLowerCase(),
    subclassCode: p.subclassCode.toLowerCase(),
    protocolCode: p.protocolCode.toLowerCase(),
  }));
  const everyPatternPresent = (interfaces: readonly DeviceInterface[]): boolean => {
    for (let k = 0; k < patterns.length; k += 1) if (!deviceHas(patterns[k] as UsbInterfacePattern, interfaces)) return false;
    return true;
  };
  const somePatternPresent = (interfaces: readonly DeviceInterface[]): boolean => {
    for (let k = 0; k < patterns.length; k += 1) if (deviceHas(patterns[k] as UsbInterfacePattern, interfaces)) return true;
    return false;
  };
  switch (set.operator) {
    case 'all-of':
      return (d) => everyPatternPresent(d.interfaces);
    case 'one-of':
      return (d) => somePatternPresent(d.interfaces);
    case 'none-of':
      return (d) => !somePatternPresent(d.interfaces);
    case 'equals':
      return (d) => d.interfaces.length === patterns.length && everyPatternPresent(d.interfaces);
    case 'equals-ordered':
      return (d) => {
        if (d.interfaces.length !== patterns.length) return false;
        for (let k = 0; k < patterns.length; k += 1) {
          if (!interfaceMatches(patterns[k] as UsbInterfacePattern, d.interfaces[k] as DeviceInterface)) return false;
        }
        return true;
      };
    case 'match-all':
      return (d) => {
        for (let k = 0; k < d.interfaces.length; k += 1) if (!someMatch(patterns, d.interfaces[k] as DeviceInterface)) return false;
        return true;
      };
  }
}

/** The attribute part of a rule (what USBGuard's appliesTo checks; label never counts). */
function attributesPredicate(rule: UsbRule): Predicate {
  const checks: Predicate[] = [];
  if (rule.id !== undefined) checks.push(idPredicate(rule.id));
  if (rule.serial !== undefined) checks.push(stringPredicate(rule.serial, 'serial'));
  if (rule.name !== undefined) checks.push(stringPredicate(rule.name, 'name'));
  if (rule.hash !== undefined) checks.push(stringPredicate(rule.hash, 'hash'));
  if (rule.parentHash !== undefined) checks.push(stringPredicate(rule.parentHash, 'parentHash'));
  if (rule.viaPort !== undefined) checks.push(stringPredicate(rule.viaPort, 'port'));
  if (rule.withConnectType !== undefined) checks.push(stringPredicate(rule.withConnectType, 'connectType'));
  if (rule.withInterface !== undefined) checks.push(interfacePredicate(rule.withInterface));
  if (checks.includes(NEVER)) return NEVER;
  if (checks.length === 0) return ALWAYS;
  if (checks.length === 1) return checks[0] as Predicate;
  if (checks.length === 2) {
    const [a, b] = checks as [Predicate, Predicate];
    return (d) => a(d) && b(d);
  }
  return (d) => {
    for (const check of checks) if (!check(d)) return false;
    return true;
  };
}

function conditionCheck(condition: UsbRuleCondition): (device: UsbRuleSubject, ctx: UsbRuleContext, ruleIndex: number) => boolean {
  const negate = condition.negated;
  const raw = ((): ((device: UsbRuleSubject, ctx: UsbRuleContext, ruleIndex: number) => boolean) => {
    switch (condition.kind) {
      case 'true':
        return () => true;
      case 'false':
        return () => false;
      case 'localtime': {
        const { beginSecond, endSecond } = condition;
        return (_d, ctx) => ctx.localSecondOfDay >= beginSecond && ctx.localSecondOfDay <= endSecond;
      }
      case 'random': {
        const p = condition.probability;
        // std::bernoulli_distribution: true when the draw is below p (so p ≥ 1 always, NaN never).
        return (_d, ctx) => ctx.random() < p;
      }
      case 'rule-applied':
      case 'rule-evaluated': {
        const windowMs = condition.withinSeconds * 1000;
        const applied = condition.kind === 'rule-applied';
        return (_d, ctx, ruleIndex) => {
          const last = applied ? ctx.ruleHistory.lastApplied(ruleIndex) : ctx.ruleHistory.lastEvaluated(ruleIndex);
          if (last === undefined) return false;
          return windowMs === 0 || ctx.nowMs - last <= windowMs;
        };
      }
      case 'allowed-matches': {
        // Only the partial rule's attributes count (USBGuard: listDevices(query) uses appliesTo).
        const matches = attributesPredicate(condition.rule);
        return (_d, ctx) => ctx.allowedDevices().some(matches);
      }
    }
  })();
  return negate ? (d, ctx, i) => !raw(d, ctx, i) : raw;
}

function conditionsCheck(set: UsbRuleSet<UsbRuleCondition>): ConditionCheck {
  const checks = set.values.map(conditionCheck);
  switch (set.operator) {
    case 'one-of':
      return (d, ctx, i) => checks.some((c) => c(d, ctx, i));
    case 'none-of':
      return (d, ctx, i) => !checks.some((c) => c(d, ctx, i));
    case 'all-of':
    case 'equals':
    case 'equals-ordered':
      if (checks.length === 1) return checks[0] as ConditionCheck;
      return (d, ctx, i) => checks.every((c) => c(d, ctx, i));
    case 'match-all':
      return () => 'unevaluable';
  }
}

interface CompiledRule {
  readonly index: number;
  readonly rule: UsbRule;
  readonly attributes: Predicate;
  readonly conditions: ConditionCheck | undefined;
  readonly expiresMs: number | undefined;
}

function compileRule(rule: UsbRule, index: number): CompiledRule {
  return {
    index,
    rule,
    attributes: attributesPredicate(rule),
    conditions: rule.conditions === undefined ? undefined : conditionsCheck(rule.conditions),
    expiresMs: rule.expires?.epochMs,
  };
}

function runCompiled(compiled: CompiledRule, device: UsbRuleSubject, ctx: UsbRuleContext): UsbRuleMatch {
  if (!compiled.attributes(device)) return 'no-match';
  if (compiled.expiresMs !== undefined && ctx.nowMs >= compiled.expiresMs) return 'no-match';
  if (compiled.conditions === undefined) return 'match';
  const met = compiled.conditions(device, ctx, compiled.index);
  if (met === 'unevaluable') return 'unevaluable';
  return met ? 'match' : 'no-match';
}

/**
 * Whether one rule matches a device: its attributes apply, it has not expired, and its conditions
 * hold. `ruleIndex` is the rule's place in its list, for `rule-applied` / `rule-evaluated`
 * (default -1: a rule in no list, never applied). The target plays no part here.
 */
export function matchUsbRule(rule: UsbRule, device: UsbRuleSubject, ctx: UsbRuleContext, ruleIndex = -1): UsbRuleMatch {
  return runCompiled(compileRule(rule, ruleIndex), device, ctx);
}

/** Which device ids a rule can match, for the index: exact keys, `vendor:*` keys, or anything. */
type IdReach = { readonly kind: 'any' } | { readonly kind: 'none' } | { readonly kind: 'keys'; readonly exact: string[]; readonly vendors: string[] };

function idReach(rule: UsbRule): IdReach {
  const set = rule.id;
  if (set === undefined) return { kind: 'any' };
  let patterns: readonly UsbDeviceIdPattern[];
  switch (set.operator) {
    case 'none-of':
      return { kind: 'any' };
    case 'equals':
    case 'equals-ordered':
      if (set.values.length !== 1) return { kind: 'none' };
      patterns = set.values;
      break;
    case 'all-of':
      // Every value must match, so in particular the first one.
      patterns = set.values.slice(0, 1);
      break;
    case 'one-of':
    case 'match-all':
      patterns = set.values;
      break;
  }
  const exact: string[] = [];
  const vendors: string[] = [];
  for (const p of patterns) {
    if (p.vendorId === '*') return { kind: 'any' };
    if (p.productId === '*') vendors.push(p.vendorId);
    else exact.push(`${p.vendorId}:${p.productId}`);
  }
  return { kind: 'keys', exact, vendors };
}

/**
 * The interface classes a device must have for the rule's with-interface to match (for the
 * index), and whether a device without interfaces can match; undefined when any device can.
 */
function interfaceReach(rule: UsbRule): { readonly classes: readonly string[]; readonly matchesNoInterface: boolean } | undefined {
  const set = rule.withInterface;
  if (set === undefined || set.values.length === 0) return undefined;
  const classes = set.values.map((p) => p.classCode.toLowerCase());
  switch (set.operator) {
    case 'all-of':
    case 'equals':
    case 'equals-ordered':
      // The first pattern must match some interface (equals-ordered: the first one).
      return { classes: classes.slice(0, 1), matchesNoInterface: false };
    case 'one-of':
      return { classes, matchesNoInterface: false };
    case 'match-all':
      // Every interface must match a pattern, which a device without interfaces does vacuously.
      return { classes, matchesNoInterface: true };
    case 'none-of':
      return undefined;
  }
}

/** The string attributes the index may use, most selective first. */
const STRING_INDEX_ORDER: readonly StringField[] = ['serial', 'hash', 'name', 'parentHash', 'port', 'connectType'];
const RULE_FIELD = {
  serial: 'serial',
  hash: 'hash',
  name: 'name',
  parentHash: 'parentHash',
  port: 'viaPort',
  connectType: 'withConnectType',
} as const satisfies Record<StringField, keyof UsbRule>;

/**
 * Compiles a rule list into an evaluator. Each rule is filed under the most selective thing it
 * requires: its exact device ids or vendor (`id`), else the exact values of a string attribute
 * (serial, hash, name, parent-hash, via-port, with-connect-type, in that order), else the interface
 * classes its with-interface needs, else "any device". A device is checked only against the rules
 * filed under its own id, vendor, strings and interface classes plus the "any" rules, walked together in list order, so the first match is the one a linear scan would find.
 * Attribute tests are closures built once. The rules must not change afterwards.
 */
export function compileUsbRules(rules: readonly UsbRule[]): UsbRuleEvaluator {
  const compiled = rules.map(compileRule);
  const anyDevice: number[] = [];
  const noInterface: number[] = [];
  const byId = new Map<string, number[]>();
  const byVendor = new Map<string, number[]>();
  // String attributes by selectivity: a serial or hash names one device, a port one socket.
  const byString = new Map<StringField, Map<string, number[]>>();
  const byClass = new Map<string, number[]>();
  const file = (map: Map<string, number[]>, key: string, index: number): void => {
    const list = map.get(key);
    if (list === undefined) map.set(key, [index]);
    else if (list[list.length - 1] !== index) list.push(index);
  };
  for (const c of compiled) {
    // match and device rules never decide a verdict (USBGuard: not a policy target).
    if (c.rule.target === 'match' || c.rule.target === 'device') continue;
    if (c.attributes === NEVER) continue;
    const ids = idReach(c.rule);
    if (ids.kind === 'none') continue;
    if (ids.kind === 'keys') {
      for (const key of ids.exact) file(byId, key, c.index);
      for (const vendor of ids.vendors) file(byVendor, vendor, c.index);
      continue;
    }
    const strings = STRING_INDEX_ORDER.map((field) => [field, stringReach(c.rule[RULE_FIELD[field]])] as const).find(([, values]) => values !== undefined);
    if (strings !== undefined) {
      const [field, values] = strings;
      let map = byString.get(field);
      if (map === undefined) {
        map = new Map();
        byString.set(field, map);
      }
      for (const value of values as readonly string[]) file(map, value, c.index);
      continue;
    }
    const interfaces = interfaceReach(c.rule);
    if (interfaces !== undefined) {
      for (const classCode of interfaces.classes) file(byClass, classCode, c.index);
      if (interfaces.matchesNoInterface) noInterface.push(c.index);
      continue;
    }
    anyDevice.push(c.index);
  }

  const stringMaps = [...byString.entries()];
  const candidateLists = (device: UsbRuleSubject): (readonly number[])[] => {
    const lists: (readonly number[])[] = [];
    const add = (list: readonly number[] | undefined): void => {
      if (list !== undefined && list.length > 0 && !lists.includes(list)) lists.push(list);
    };
    add(byId.get(`${device.vendorId}:${device.productId}`));
    add(byVendor.get(device.vendorId));
    for (const [field, map] of stringMaps) add(map.get(device[field]));
    if (device.interfaces.length === 0) add(noInterface);
    for (const iface of device.interfaces) add(byClass.get(iface.classCode));
    add(anyDevice);
    return lists;
  };

  const decide = (index: number, device: UsbRuleSubject, ctx: UsbRuleContext): UsbRuleDecision | undefined => {
    const c = compiled[index] as CompiledRule;
    const outcome = runCompiled(c, device, ctx);
    if (outcome === 'no-match') return undefined;
    if (outcome === 'unevaluable') return { ruleIndex: c.index, rule: c.rule, unevaluable: UNEVALUABLE };
    return { ruleIndex: c.index, rule: c.rule };
  };

  return {
    size: compiled.length,
    evaluate(device, ctx) {
      const lists = candidateLists(device);
      if (lists.length === 1) {
        const list = lists[0] as readonly number[];
        for (let k = 0; k < list.length; k += 1) {
          const index = list[k] as number;
          // The attribute test first, inline: most rules fail it, and this loop is the hot path.
          if (!(compiled[index] as CompiledRule).attributes(device)) continue;
          const decision = decide(index, device, ctx);
          if (decision !== undefined) return decision;
        }
        return undefined;
      }
      // Ascending lists walked together: always take the smallest next index.
      const at = lists.map(() => 0);
      let last = -1;
      for (;;) {
        let best = -1;
        let bestIndex = Number.MAX_SAFE_INTEGER;
        for (let l = 0; l < lists.length; l += 1) {
          const list = lists[l] as readonly number[];
          const position = at[l] as number;
          if (position < list.length && (list[position] as number) < bestIndex) {
            bestIndex = list[position] as number;
            best = l;
          }
        }
        if (best < 0) return undefined;
        at[best] = (at[best] as number) + 1;
        // A rule filed under two keys of the same device (e.g. two of its classes) comes up twice.
        if (bestIndex === last) continue;
        last = bestIndex;
        const decision = decide(bestIndex, device, ctx);
        if (decision !== undefined) return decision;
      }
    },
  };
}

const evaluators = new WeakMap<readonly UsbRule[], { readonly rules: readonly UsbRule[]; readonly evaluator: UsbRuleEvaluator }>();

/**
 * The first rule of `rules` that decides for `device` (see {@link UsbRuleEvaluator.evaluate}).
 * Compiles the list on first use and keeps the result while the same array holds the same rules,
 * so calling it in a loop costs one compile. For hot paths hold on to {@link compileUsbRules}.
 */
export function evaluateUsbRules(rules: readonly UsbRule[], device: UsbRuleSubject, ctx: UsbRuleContext): UsbRuleDecision | undefined {
  let entry = evaluators.get(rules);
  if (entry === undefined || entry.rules.length !== rules.length || entry.rules.some((rule, i) => rule !== rules[i])) {
    entry = { rules: [...rules], evaluator: compileUsbRules(rules) };
    evaluators.set(rules, entry);
  }
  return entry.evaluator.evaluate(device, ctx);
}

/**
 * Extension `interface-target`: the target of each of the device's interfaces under a rule that
 * allows it. Without `interface-target` every interface is allowed (the device is). With it, each
 * interface takes the target of the first pattern that matches it, and an interface no pattern
 * matches is blocked (default deny). Returned in the device's interface order.
 */
export function decideUsbInterfaces(rule: UsbRule, device: UsbRuleSubject): readonly ('allow' | 'block')[] {
  const targets: readonly UsbInterfaceTarget[] | undefined = rule.interfaceTargets;
  if (targets === undefined) return device.interfaces.map(() => 'allow');
  return device.interfaces.map((i) => targets.find((t) => interfaceMatches(t.pattern, i))?.target ?? 'block');
}
