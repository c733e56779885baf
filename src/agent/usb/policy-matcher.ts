import type { Clock } from '../../shared/clock';
import type { UsbPolicy } from '../../shared/policy';
import { compileUsbRules, localSecondOfDay, parseUsbRule, type UsbRule, type UsbRuleEvaluator, type UsbRuleSubject } from '../../shared/usb-rules';
import type { UsbRuleMatcher } from './decide-usb';

/**
 * Rules that apply when no policy is in force: hubs, keyboards/mice and smart-card readers made
 * only of those interfaces stay usable (lock-out safety: the terminal must stay operable and the
 * staff card readable), everything else is blocked. Same rules as policies/mynumber-zone.yaml.
 */
export const fallbackUsbRules: readonly string[] = [
  'reject with-interface all-of { 08:*:* 03:*:* } label "badusb-storage-hid"',
  'allow with-interface match-all { 09:00:* } label "usb-hub"',
  'allow with-interface match-all { 03:00:* 03:01:* } label "hid-keyboard-mouse"',
  'allow with-interface match-all { 0b:00:* } label "smart-card-reader"',
];

/** The USB part of the policy in force, with a key that changes whenever the policy does. */
export interface UsbPolicySource {
  readonly key: string;
  readonly usb: UsbPolicy;
}

interface Compiled {
  readonly key: string;
  readonly texts: readonly string[];
  readonly evaluator: UsbRuleEvaluator;
  readonly defaultTarget: 'block' | 'reject';
  /** Set when a rule does not parse (a verified policy cannot have one; a bug): every device is rejected. */
  readonly brokenRule: string | undefined;
  readonly lastApplied: Map<number, number>;
  readonly lastEvaluated: Map<number, number>;
  /** Some rule has a `rule-applied` / `rule-evaluated` condition: only then is history kept. */
  readonly keepsHistory: boolean;
}

/** True when a rule's conditions (or the rules of its allowed-matches) read rule history. */
function readsHistory(rule: UsbRule): boolean {
  return (rule.conditions?.values ?? []).some(
    (condition) => condition.kind === 'rule-applied' || condition.kind === 'rule-evaluated' || (condition.kind === 'allowed-matches' && readsHistory(condition.rule)),
  );
}

/**
 * Builds the matcher the USB decision uses, from whatever policy is in force at the moment it is
 * asked. Rules are compiled once per policy; `rule-applied` / `rule-evaluated` history starts
 * afresh with each policy, as USBGuard's does on a rule-set reload.
 */
export function createPolicyUsbMatcher(deps: {
  readonly policy: () => UsbPolicySource | undefined;
  readonly clock: Clock;
  /** Minutes east of UTC for `localtime(…)` (JST: 540). */
  readonly utcOffsetMinutes: () => number;
  readonly random: () => number;
  /** Devices allowed right now, for `allowed-matches(…)`. */
  readonly allowedDevices: () => readonly UsbRuleSubject[];
}): () => UsbRuleMatcher {
  let compiled: Compiled | undefined;

  const compile = (source: UsbPolicySource | undefined): Compiled => {
    const key = source?.key ?? 'fallback';
    if (compiled?.key === key) return compiled;
    const texts = source?.usb.rules ?? fallbackUsbRules;
    const rules: UsbRule[] = [];
    let brokenRule: string | undefined;
    texts.forEach((text, index) => {
      const parsed = parseUsbRule(text);
      if (parsed.ok) rules.push(parsed.value);
      else brokenRule ??= `rule ${index + 1} does not parse: ${parsed.error.message.en}`;
    });
    compiled = {
      key,
      texts,
      evaluator: compileUsbRules(rules),
      defaultTarget: source?.usb.defaultTarget ?? 'block',
      brokenRule,
      lastApplied: new Map(),
      lastEvaluated: new Map(),
      keepsHistory: rules.some(readsHistory),
    };
    return compiled;
  };

  return () => {
    const current = compile(deps.policy());
    return {
      defaultTarget: current.defaultTarget,
      firstMatch(device) {
        if (current.brokenRule !== undefined) throw new Error(current.brokenRule);
        const nowMs = deps.clock.nowMs();
        const decision = current.evaluator.evaluate(device, {
          nowMs,
          localSecondOfDay: localSecondOfDay(nowMs, deps.utcOffsetMinutes()),
          random: deps.random,
          ruleHistory: {
            lastApplied: (index) => current.lastApplied.get(index),
            lastEvaluated: (index) => current.lastEvaluated.get(index),
          },
          allowedDevices: deps.allowedDevices,
        });
        // History costs a write per rule evaluated: kept only when a rule reads it.
        if (current.keepsHistory) {
          const evaluatedUpTo = decision === undefined ? current.texts.length : decision.ruleIndex + 1;
          for (let index = 0; index < evaluatedUpTo; index += 1) current.lastEvaluated.set(index, nowMs);
          if (decision !== undefined) current.lastApplied.set(decision.ruleIndex, nowMs);
        }
        if (decision === undefined) return undefined;
        return {
          index: decision.ruleIndex,
          rule: decision.rule,
          text: current.texts[decision.ruleIndex] ?? '',
          ...(decision.unevaluable === undefined ? {} : { unevaluable: decision.unevaluable }),
        };
      },
    };
  };
}
