import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compileUsbRules,
  createStaticUsbRuleContext,
  decideUsbInterfaces,
  evaluateUsbRules,
  localSecondOfDay,
  matchUsbRule,
  parseUsbRule,
  type UsbRule,
  type UsbRuleContext,
  type UsbRuleSubject,
} from './index';

const iface = (code: string): UsbRuleSubject['interfaces'][number] => {
  const [classCode, subclassCode, protocolCode] = code.split(':') as [string, string, string];
  return { classCode, subclassCode, protocolCode };
};

/** A USB stick (08:06:50) unless told otherwise. */
function device(overrides: Partial<UsbRuleSubject> = {}): UsbRuleSubject {
  return {
    vendorId: '0781',
    productId: '5583',
    name: 'Ultra Fit',
    serial: '4C530001',
    hash: 'hashA',
    parentHash: 'hashHub',
    port: '1-2',
    connectType: 'hotplug',
    interfaces: [iface('08:06:50')],
    ...overrides,
  };
}

const keyboard = device({ vendorId: '046d', productId: 'c31c', name: 'USB Keyboard', serial: '', port: '1-3', interfaces: [iface('03:01:01'), iface('03:00:00')] });
const badUsb = device({ interfaces: [iface('08:06:50'), iface('03:01:01')] });

function rule(text: string): UsbRule {
  const result = parseUsbRule(text);
  if (!result.ok) throw new Error(`${text}: ${result.error.message.en}`);
  return result.value;
}

const NOW = Date.parse('2026-06-01T10:00:00+09:00');
const ctx = createStaticUsbRuleContext(NOW, localSecondOfDay(NOW, 540));

function matches(text: string, subject: UsbRuleSubject, context: UsbRuleContext = ctx): string {
  return matchUsbRule(rule(text), subject, context, 0);
}

describe('matchUsbRule: attributes (USBGuard semantics)', () => {
  it.each([
    ['allow', 'match'],
    ['allow id 0781:5583', 'match'],
    ['allow id 0781:*', 'match'],
    ['allow id *:*', 'match'],
    ['allow id 0781:5584', 'no-match'],
    // Ids compare as written: the kernel's ids are lowercase, so uppercase never matches (as in USBGuard).
    ['allow id 0781:558A', 'no-match'],
    ['allow id one-of { 1111:2222 0781:* }', 'match'],
    ['allow id all-of { 0781:* 0781:5583 }', 'match'],
    ['allow id all-of { 0781:* 1111:* }', 'no-match'],
    ['allow id none-of { 1111:2222 }', 'match'],
    ['allow id none-of { 0781:* }', 'no-match'],
    // A device has one id: an equals set of two ids can never be equal.
    ['allow id { 0781:5583 1111:2222 }', 'no-match'],
    ['allow id match-all { 0781:* }', 'match'],
    ['allow serial "4C530001"', 'match'],
    ['allow serial "4c530001"', 'no-match'],
    ['allow serial one-of { "x" "4C530001" }', 'match'],
    ['allow serial none-of { "x" "4C530001" }', 'no-match'],
    ['allow serial all-of { "4C530001" "4C530001" }', 'match'],
    ['allow serial all-of { "4C530001" "x" }', 'no-match'],
    ['allow serial equals-ordered { "4C530001" }', 'match'],
    // USBGuard would match every device here (its string superset test is unimplemented).
    ['allow serial match-all { "x" }', 'no-match'],
    ['allow serial match-all { "x" "4C530001" }', 'match'],
    ['allow name "Ultra Fit" hash "hashA" parent-hash "hashHub" via-port "1-2" with-connect-type "hotplug"', 'match'],
    ['allow via-port "1-3"', 'no-match'],
    ['allow with-connect-type "hardwired"', 'no-match'],
    ['allow serial ""', 'no-match'],
    ['allow label "anything"', 'match'],
    ['allow with-interface 08:06:50', 'match'],
    ['allow with-interface 08:*:*', 'match'],
    ['allow with-interface 08:06:*', 'match'],
    ['allow with-interface 08:05:*', 'no-match'],
    ['allow with-interface { 08:*:* 03:*:* }', 'no-match'],
    ['allow with-interface one-of { 03:*:* 08:*:* }', 'match'],
    ['allow with-interface none-of { 03:*:* }', 'match'],
    ['allow with-interface match-all { 08:*:* 03:*:* }', 'match'],
  ])('%j on a USB stick: %s', (text, expected) => {
    expect(matches(text, device())).toBe(expected);
  });

  it.each([
    // The manual's BadUSB rule: storage that also claims a keyboard.
    ['reject with-interface all-of { 08:*:* 03:00:* }', badUsb, 'no-match'],
    ['reject with-interface all-of { 08:*:* 03:01:* }', badUsb, 'match'],
    ['allow with-interface equals { 08:*:* }', badUsb, 'no-match'],
    ['allow with-interface equals { 08:*:* }', device(), 'match'],
    ['allow with-interface match-all { 03:00:* 03:01:* }', keyboard, 'match'],
    ['allow with-interface match-all { 03:00:* 03:01:* }', badUsb, 'no-match'],
    ['allow with-interface equals-ordered { 03:01:01 03:00:00 }', keyboard, 'match'],
    ['allow with-interface equals-ordered { 03:00:00 03:01:01 }', keyboard, 'no-match'],
    ['allow with-interface { 03:00:00 03:01:01 }', keyboard, 'match'],
    // USBGuard: a device without interfaces satisfies match-all vacuously, and nothing else.
    ['allow with-interface match-all { 09:00:* }', device({ interfaces: [] }), 'match'],
    ['allow with-interface one-of { 09:00:* }', device({ interfaces: [] }), 'no-match'],
  ] as const)('%j on %#: %s', (text, subject, expected) => {
    expect(matches(text, subject)).toBe(expected);
  });

  it('treats interface patterns case-insensitively even when built in code', () => {
    const built: UsbRule = { target: 'allow', withInterface: { operator: 'equals', values: [{ classCode: '0B', subclassCode: '*', protocolCode: '*' }] } };
    expect(matchUsbRule(built, device({ interfaces: [iface('0b:00:00')] }), ctx)).toBe('match');
  });
});

/** A context with a given local time, random draw, history and allowed devices. */
function context(overrides: { second?: number; draw?: number; applied?: number; evaluated?: number; allowed?: UsbRuleSubject[]; nowMs?: number } = {}): UsbRuleContext {
  return {
    nowMs: overrides.nowMs ?? NOW,
    localSecondOfDay: overrides.second ?? 36_000,
    random: () => overrides.draw ?? 0.5,
    ruleHistory: { lastApplied: () => overrides.applied, lastEvaluated: () => overrides.evaluated },
    allowedDevices: () => overrides.allowed ?? [],
  };
}

describe('matchUsbRule: conditions', () => {
  it.each([
    ['allow if true', context(), 'match'],
    ['allow if false', context(), 'no-match'],
    ['allow if !false', context(), 'match'],
    ['allow if localtime(09:00-17:00)', context({ second: 9 * 3600 }), 'match'],
    ['allow if localtime(09:00-17:00)', context({ second: 17 * 3600 }), 'match'],
    ['allow if localtime(09:00-17:00)', context({ second: 17 * 3600 + 1 }), 'no-match'],
    ['allow if localtime(09:00:10-09:00:20)', context({ second: 9 * 3600 + 15 }), 'match'],
    ['allow if random(0.3)', context({ draw: 0.29 }), 'match'],
    ['allow if random(0.3)', context({ draw: 0.3 }), 'no-match'],
    ['allow if random(2)', context({ draw: 0.99 }), 'match'],
    ['allow if random(nan)', context({ draw: 0 }), 'no-match'],
    ['allow if rule-applied', context(), 'no-match'],
    ['allow if rule-applied', context({ applied: NOW - 86_400_000 }), 'match'],
    ['allow if rule-applied(00:10)', context({ applied: NOW - 600_000 }), 'match'],
    ['allow if rule-applied(00:10)', context({ applied: NOW - 600_001 }), 'no-match'],
    ['allow if rule-evaluated(30)', context({ evaluated: NOW - 30_000 }), 'match'],
    ['allow if rule-evaluated(30)', context({ applied: NOW }), 'no-match'],
    ['allow if allowed-matches(with-interface one-of { 03:01:01 })', context({ allowed: [keyboard] }), 'match'],
    // equals: the keyboard has two interfaces, so a one-interface set does not equal its set.
    ['allow if allowed-matches(with-interface 03:01:01)', context({ allowed: [keyboard] }), 'no-match'],
    // The manual's "allow a keyboard only when none is allowed yet".
    ['allow if !allowed-matches(with-interface one-of { 03:01:01 })', context({ allowed: [keyboard] }), 'no-match'],
    ['allow if !allowed-matches(with-interface one-of { 03:01:01 })', context({ allowed: [device()] }), 'match'],
    ['allow if allowed-matches(with-interface one-of { 03:01:01 } if false)', context({ allowed: [keyboard] }), 'match'],
    ['allow if { true false }', context(), 'no-match'],
    ['allow if equals-ordered { true true }', context(), 'match'],
    ['allow if one-of { false true }', context(), 'match'],
    ['allow if none-of { false false }', context(), 'match'],
    ['allow if none-of { false true }', context(), 'no-match'],
    ['allow if match-all { true }', context(), 'unevaluable'],
  ] as const)('%j: %s', (text, world, expected) => {
    expect(matches(text, device(), world)).toBe(expected);
  });

  it('evaluates conditions only when the attributes match', () => {
    let draws = 0;
    const counting = { ...context(), random: () => (draws += 1) && 0 };
    expect(matchUsbRule(rule('allow id 1111:2222 if random'), device(), counting)).toBe('no-match');
    expect(draws).toBe(0);
  });

  it('passes the rule index to the history', () => {
    const asked: number[] = [];
    const world = { ...context(), ruleHistory: { lastApplied: (i: number) => (asked.push(i), undefined), lastEvaluated: () => undefined } };
    evaluateUsbRules([rule('block id 1111:2222'), rule('allow if rule-applied')], device(), world);
    expect(asked).toEqual([1]);
  });
});

describe('extensions in matching', () => {
  it('an expired rule no longer matches, from the instant it expires', () => {
    const expiring = rule('allow id 0781:5583 expires "2026-06-01T10:00:00+09:00"');
    expect(matchUsbRule(expiring, device(), context({ nowMs: NOW - 1 }))).toBe('match');
    expect(matchUsbRule(expiring, device(), context({ nowMs: NOW }))).toBe('no-match');
  });

  it('per-interface targets: first matching pattern, unmatched interfaces blocked', () => {
    const composite = device({ interfaces: [iface('03:01:01'), iface('0b:00:00'), iface('08:06:50'), iface('ff:00:00')] });
    expect(decideUsbInterfaces(rule('allow interface-target { 03:*:* allow 0b:*:* allow 08:*:* block }'), composite)).toEqual(['allow', 'allow', 'block', 'block']);
    expect(decideUsbInterfaces(rule('allow'), composite)).toEqual(['allow', 'allow', 'allow', 'allow']);
  });
});

describe('evaluateUsbRules / compileUsbRules', () => {
  const policy = [
    rule('reject with-interface all-of { 08:*:* 03:*:* }'),
    rule('allow with-interface match-all { 03:00:* 03:01:* } label "hid"'),
    rule('match id 0781:5583'),
    rule('allow id 0781:5583 serial "4C530001" if false'),
    rule('read-only id 0781:5583 serial "4C530001"'),
    rule('block with-interface one-of { 08:*:* }'),
  ];

  it('first matching rule wins; match rules and rules whose condition is false are skipped', () => {
    expect(evaluateUsbRules(policy, badUsb, ctx)?.ruleIndex).toBe(0);
    expect(evaluateUsbRules(policy, keyboard, ctx)?.ruleIndex).toBe(1);
    expect(evaluateUsbRules(policy, device(), ctx)?.ruleIndex).toBe(4);
    expect(evaluateUsbRules(policy, device({ serial: 'other' }), ctx)?.ruleIndex).toBe(5);
    expect(evaluateUsbRules(policy, device({ serial: 'other', interfaces: [iface('e0:01:01')] }), ctx)).toBeUndefined();
  });

  it('stops at an unevaluable rule and says why, so the caller rejects', () => {
    const decision = evaluateUsbRules([rule('allow if match-all { true }'), rule('allow')], device(), ctx);
    expect(decision?.ruleIndex).toBe(0);
    expect(decision?.unevaluable?.en).toContain('match-all');
  });

  it('recompiles when the same array is changed', () => {
    const rules = [rule('block id 0781:5583')];
    expect(evaluateUsbRules(rules, device(), ctx)?.rule.target).toBe('block');
    rules[0] = rule('allow id 0781:5583');
    expect(evaluateUsbRules(rules, device(), ctx)?.rule.target).toBe('allow');
  });

  // The index must never change the answer: compare with a plain first-match scan.
  const pieces = {
    id: fc.constantFrom('', ' id 0781:5583', ' id 0781:*', ' id *:*', ' id 046d:c31c', ' id one-of { 046d:* 0781:5583 }', ' id none-of { 0781:* }', ' id { 0781:5583 046d:c31c }', ' id all-of { 0781:* 0781:5583 }'),
    serial: fc.constantFrom('', ' serial "4C530001"', ' serial ""', ' serial one-of { "" "x" }', ' serial none-of { "4C530001" }', ' serial match-all { "x" }'),
    hash: fc.constantFrom('', ' hash "hashA"', ' hash one-of { "hashB" "hashA" }'),
    name: fc.constantFrom('', ' name "USB Keyboard"', ' via-port "1-2"', ' with-connect-type one-of { "hotplug" "unknown" }'),
    withInterface: fc.constantFrom(
      '',
      ' with-interface 08:06:50',
      ' with-interface one-of { 03:*:* 0b:*:* }',
      ' with-interface all-of { 08:*:* 03:*:* }',
      ' with-interface match-all { 03:00:* 03:01:* }',
      ' with-interface match-all { 09:00:* }',
      ' with-interface none-of { 08:*:* }',
      ' with-interface equals-ordered { 03:01:01 03:00:00 }',
      ' with-interface { 08:06:50 }',
    ),
    condition: fc.constantFrom('', ' if true', ' if false', ' if random(0.5)', ' if match-all { true }'),
    target: fc.constantFrom('allow', 'block', 'reject', 'match', 'read-only'),
  };
  const ruleText = fc.record(pieces).map((p) => `${p.target}${p.id}${p.serial}${p.hash}${p.name}${p.withInterface}${p.condition}`);
  const subjects = [device(), keyboard, badUsb, device({ interfaces: [] }), device({ vendorId: '046d', productId: 'c31c', serial: '' }), device({ hash: 'hashB', serial: 'x', connectType: 'unknown' })];

  it('gives the same decision as a linear first-match scan', () => {
    fc.assert(
      fc.property(fc.array(ruleText, { maxLength: 30 }), fc.constantFrom(...subjects), fc.double({ min: 0, max: 0.999 }), (texts, subject, draw) => {
        const rules = texts.map(rule);
        const world = context({ draw });
        let expected: { ruleIndex: number; unevaluable: boolean } | undefined;
        for (let i = 0; i < rules.length && expected === undefined; i += 1) {
          const r = rules[i] as UsbRule;
          if (r.target === 'match' || r.target === 'device') continue;
          const outcome = matchUsbRule(r, subject, world, i);
          if (outcome !== 'no-match') expected = { ruleIndex: i, unevaluable: outcome === 'unevaluable' };
        }
        const decision = compileUsbRules(rules).evaluate(subject, world);
        expect(decision === undefined ? undefined : { ruleIndex: decision.ruleIndex, unevaluable: decision.unevaluable !== undefined }).toEqual(expected);
      }),
      { seed: 20_260_401, numRuns: 2000 },
    );
  });
});

describe('localSecondOfDay', () => {
  it('is the local time of day for an offset east of UTC', () => {
    expect(localSecondOfDay(Date.parse('2026-06-01T00:30:00Z'), 540)).toBe(9 * 3600 + 30 * 60);
    expect(localSecondOfDay(Date.parse('2026-06-01T00:30:00Z'), -60)).toBe(23 * 3600 + 30 * 60);
  });
});
