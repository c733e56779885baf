// Rule evaluation for `npm run bench -- usb` (issue #3, goal: ≥ 100,000 device evaluations per
// second with a 500-rule policy). A policy shaped like a municipality's device ledger: approved
// devices by id and serial, approved sticks with their interface, hash rules, name/serial/port rules,
// rules with conditions, and the default policy's four class rules last. Devices alternate between
// one that matches a late rule (index ≥ 400) and one that matches none (the default target).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createPolicyUsbMatcher, decideUsbDevice, makeUsbDevice, type UsbDevice } from '../../src/agent/usb';
import { systemClock } from '../../src/shared/clock';
import { parsePolicyText } from '../../src/shared/policy';
import { compileUsbRules, createStaticUsbRuleContext, parseUsbRule, type UsbRule } from '../../src/shared/usb-rules';
import { percentile, round } from './stats';

/** Figures of the rule-evaluation part. */
export interface RuleEvaluationFigures {
  readonly rules: number;
  /** Parsing and compiling the 500 rules once (what the agent does per policy), ms. */
  readonly parseAndCompileMs: number;
  /** `compileUsbRules(...).evaluate` with a static context: the evaluator alone. */
  readonly rawPerSecond: number;
  /** `decideUsbDevice(read, createPolicyUsbMatcher(...)())`: what the agent runs per device. */
  readonly fullPerSecond: number;
  /** The full path on devices that match a late rule only. */
  readonly fullMatchingPerSecond: number;
  /** The full path on devices that match no rule only. */
  readonly fullUnmatchedPerSecond: number;
}

const generatedRules = 496;
const firstLateRule = 400;
const hex4 = (value: number): string => value.toString(16).padStart(4, '0');
const vendorOf = (i: number): string => hex4(0x1000 + (i % 40));
const productOf = (i: number): string => hex4(0x2000 + i);
const serialOf = (i: number): string => `MNG${String(i).padStart(9, '0')}`;
const hashOf = (i: number): string => createHash('sha256').update(`ledger-device-${i}`).digest('base64');
const nameOf = (i: number): string => `Ledger Device ${i}`;
const portOf = (i: number): string => `1-${(i % 12) + 1}`;

type RuleKind = 'id-serial' | 'approved-stick' | 'hash' | 'name-serial-port' | 'id-interfaces-localtime' | 'never';

function kindOf(i: number): RuleKind {
  switch (i % 8) {
    case 0:
    case 1:
    case 2:
      return 'id-serial';
    case 3:
      return 'approved-stick';
    case 4:
      return 'hash';
    case 5:
      return 'name-serial-port';
    case 6:
      return 'id-interfaces-localtime';
    default:
      return 'never';
  }
}

/** Rule `i` of the generated ledger, as an administrator would write it. */
function ruleText(i: number): string {
  const id = `${vendorOf(i)}:${productOf(i)}`;
  switch (kindOf(i)) {
    case 'id-serial':
      return `allow id ${id} serial "${serialOf(i)}" label "ledger-${i}"`;
    case 'approved-stick':
      return `allow id ${id} serial "${serialOf(i)}" with-interface equals { 08:06:50 } label "approved-stick-${i}"`;
    case 'hash':
      return `allow hash "${hashOf(i)}" label "ledger-${i}"`;
    case 'name-serial-port':
      return `allow name "${nameOf(i)}" serial "${serialOf(i)}" via-port "${portOf(i)}"`;
    case 'id-interfaces-localtime':
      return `allow id ${id} with-interface one-of { 03:00:01 03:01:01 03:01:02 } if localtime(00:00:00-23:59:59)`;
    case 'never':
      // Conditions that do not hold here: nothing is allowed yet, so allowed-matches is false.
      return i % 16 === 7
        ? `allow id ${id} serial "${serialOf(i)}" if allowed-matches(id 04e6:5116)`
        : `reject id ${vendorOf(i)}:* with-interface all-of { 08:*:* 03:*:* } label "vendor-badusb-${i}"`;
  }
}

/** A device that matches rule `i` (and no earlier rule). */
function matchingDevice(i: number): UsbDevice {
  const port = `2-${(i % 100) + 1}`;
  switch (kindOf(i)) {
    case 'id-serial':
    case 'approved-stick':
      return makeUsbDevice({ port, id: `${vendorOf(i)}:${productOf(i)}`, serial: serialOf(i), interfaces: ['08:06:50'] });
    case 'hash':
      return { ...makeUsbDevice({ port, id: 'abcd:0001', serial: `X${i}`, interfaces: ['08:06:50'] }), hash: hashOf(i) };
    case 'name-serial-port':
      return makeUsbDevice({ port: portOf(i), id: 'abcd:0002', name: nameOf(i), serial: serialOf(i), interfaces: ['08:06:50'] });
    case 'id-interfaces-localtime':
      return makeUsbDevice({ port, id: `${vendorOf(i)}:${productOf(i)}`, interfaces: ['03:01:01'] });
    case 'never':
      throw new Error(`bench: rule ${i} matches no device by design`);
  }
}

/** A storage device of a known vendor that no rule names: the policy's default target. */
function unmatchedDevice(j: number): UsbDevice {
  return makeUsbDevice({ port: `3-${(j % 100) + 1}`, id: `${vendorOf(j)}:${hex4(0x9000 + j)}`, serial: `UNKNOWN${j}`, interfaces: ['08:06:50'] });
}

/** The four class rules of policies/mynumber-zone.yaml, which end every policy. */
function defaultPolicyRules(): readonly string[] {
  const parsed = parsePolicyText(readFileSync('policies/mynumber-zone.yaml', 'utf8'));
  if (!parsed.ok) throw new Error(`bench: policies/mynumber-zone.yaml does not parse: ${parsed.diagnostics[0]?.message.en ?? ''}`);
  return parsed.policy.spec.usb.rules;
}

/**
 * Evaluations per second of `batch` (which evaluates `perBatch` devices): the median of three
 * windows of `durationMs / 3` after a warm-up, so one window disturbed by other work on this
 * 2-core machine does not decide the figure.
 */
function throughput(perBatch: number, durationMs: number, batch: () => void): number {
  const warmUntil = performance.now() + Math.min(300, durationMs / 4);
  while (performance.now() < warmUntil) batch();
  const rates: number[] = [];
  for (let window = 0; window < 3; window += 1) {
    globalThis.gc?.();
    let evaluations = 0;
    const started = performance.now();
    let elapsed = 0;
    while (elapsed < durationMs / 3) {
      batch();
      evaluations += perBatch;
      elapsed = performance.now() - started;
    }
    rates.push((evaluations / elapsed) * 1000);
  }
  return percentile(rates, 50);
}

/**
 * Measures rule evaluation for a 500-rule policy: the compiled evaluator alone, and the agent's
 * decision path (policy matcher + decideUsbDevice). Checks every device's outcome first, so a
 * bench that measures a broken evaluator fails instead of reporting.
 */
export function measureRuleEvaluation(options: { readonly durationMs: number }): RuleEvaluationFigures {
  const policyRules = defaultPolicyRules();
  const texts = [...Array.from({ length: generatedRules }, (_, i) => ruleText(i)), ...policyRules];

  const compileStarted = performance.now();
  const rules: UsbRule[] = texts.map((text, index) => {
    const parsed = parseUsbRule(text);
    if (!parsed.ok) throw new Error(`bench: rule ${index} does not parse: ${parsed.error.message.en}: ${text}`);
    return parsed.value;
  });
  const evaluator = compileUsbRules(rules);
  const parseAndCompileMs = performance.now() - compileStarted;

  const lateRules = Array.from({ length: generatedRules - firstLateRule }, (_, k) => firstLateRule + k).filter((i) => kindOf(i) !== 'never');
  const matching = lateRules.map((i) => ({ device: matchingDevice(i), expected: i as number | undefined }));
  const unmatched = Array.from({ length: matching.length }, (_, j) => ({ device: unmatchedDevice(j), expected: undefined as number | undefined }));
  const mixed = matching.flatMap((entry, k) => [entry, unmatched[k] ?? entry]);

  const ctx = createStaticUsbRuleContext(systemClock.nowMs(), 12 * 3600);
  const policy = { key: 'bench-500', usb: { implements: [], defaultTarget: 'block' as const, rules: texts } };
  const matcherOf = createPolicyUsbMatcher({
    policy: () => policy,
    clock: systemClock,
    utcOffsetMinutes: () => 540,
    random: Math.random,
    allowedDevices: () => [],
  });

  for (const { device, expected } of mixed) {
    const raw = evaluator.evaluate(device, ctx)?.ruleIndex;
    const decision = decideUsbDevice({ ok: true, device }, matcherOf());
    const full = decision.basis.kind === 'rule' ? decision.basis.index : decision.basis.kind === 'default' ? undefined : decision.basis.kind;
    if (raw !== expected || full !== expected) {
      throw new Error(`bench: device ${device.vendorId}:${device.productId} ${device.serial}: expected rule ${String(expected)}, evaluator gave ${String(raw)}, decision gave ${String(full)}`);
    }
  }

  const rawBatch = (): void => {
    for (const entry of mixed) evaluator.evaluate(entry.device, ctx);
  };
  const fullBatch = (devices: readonly { readonly device: UsbDevice }[]) => (): void => {
    for (const entry of devices) decideUsbDevice({ ok: true, device: entry.device }, matcherOf());
  };
  return {
    rules: rules.length,
    parseAndCompileMs: round(parseAndCompileMs, 1),
    rawPerSecond: Math.round(throughput(mixed.length, options.durationMs, rawBatch)),
    fullPerSecond: Math.round(throughput(mixed.length, options.durationMs, fullBatch(mixed))),
    fullMatchingPerSecond: Math.round(throughput(matching.length, options.durationMs, fullBatch(matching))),
    fullUnmatchedPerSecond: Math.round(throughput(unmatched.length, options.durationMs, fullBatch(unmatched))),
  };
}
