// Differential test of the USB rule parser and printer against Debian's usbguard-rule-parser
// (USBGuard 1.1.2), issue #3 item 1. Thousands of generated rules (valid, near-valid by one
// mutation, and broken) and the hand-written corpus go through both; mynumber-guard must accept
// exactly what the oracle accepts, print exactly its OUTPUT (but for the documented
// rule-evaluated → rule-applied bug), and refuse at the same byte column with a matching reason.
//
// Reproducible: a fixed seed by default; MNG_CONFORMANCE_SEED and MNG_CONFORMANCE_RUNS override it.
// A mismatch prints the rule, both verdicts and the seed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseUsbRuleLine, printUsbRule } from '../../src/shared/usb-rules';
import { needTools } from '../helpers/system-tools';
import { brokenRule, nearValidRule, usbGuardRule } from './usb-rule-arbitraries';
import { readCorpus } from './usb-rule-corpus';
import { compareWithOracle, mapPool, runOracle, type OracleVerdict } from './usbguard-oracle';

const SEED = Number(process.env.MNG_CONFORMANCE_SEED ?? 20_260_401);
const RUNS = Number(process.env.MNG_CONFORMANCE_RUNS ?? 3000);
// One process per rule (≈ 4-5 ms each); a small pool keeps 2 cores busy without thrashing.
const CONCURRENCY = 6;
const SHOWN_MISMATCHES = 10;

/** `count` distinct rules from `arbitrary`, deterministic for a seed. */
function distinctSample(arbitrary: fc.Arbitrary<string>, seed: number, count: number): string[] {
  const seen = new Set<string>();
  for (let round = 0; seen.size < count && round < 5; round += 1) {
    for (const rule of fc.sample(arbitrary, { seed: seed + round * 7919, numRuns: count * 2 })) {
      if (seen.size >= count) break;
      seen.add(rule);
    }
  }
  return [...seen];
}

const hasOracle = needTools('usbguard-rule-parser');

describe.skipIf(!hasOracle)('USB rules: differential test against usbguard-rule-parser 1.1.2', () => {
  it(`agrees on ${RUNS} generated rules (seed ${SEED})`, { timeout: 180_000 }, async () => {
    const valid = Math.round(RUNS * 0.5);
    const nearValid = Math.round(RUNS * 0.35);
    const rules = [
      ...distinctSample(usbGuardRule, SEED, valid),
      ...distinctSample(nearValidRule, SEED + 1, nearValid),
      ...distinctSample(brokenRule, SEED + 2, RUNS - valid - nearValid),
    ];
    const started = Date.now();
    const verdicts = await mapPool(rules, CONCURRENCY, runOracle);
    const seconds = (Date.now() - started) / 1000;
    const mismatches: string[] = [];
    let accepted = 0;
    rules.forEach((rule, i) => {
      const verdict = verdicts[i];
      if (verdict === undefined) throw new Error('missing oracle verdict');
      if (verdict.kind === 'accepted') accepted += 1;
      const difference = compareWithOracle(rule, verdict);
      if (difference !== undefined) mismatches.push(difference);
    });
    process.stderr.write(
      `usb-rule conformance: ${rules.length} rules (${accepted} accepted by the oracle), ${mismatches.length} mismatches, ` +
        `oracle time ${seconds.toFixed(1)} s, seed ${SEED}\n`,
    );
    if (mismatches.length > 0) {
      const shown = mismatches.slice(0, SHOWN_MISMATCHES).join('\n\n');
      expect.fail(`${mismatches.length} of ${rules.length} rules differ from usbguard-rule-parser (seed ${SEED}; rerun with MNG_CONFORMANCE_SEED=${SEED}):\n\n${shown}`);
    }
    // The generators must exercise both outcomes, or agreement means little.
    expect(accepted).toBeGreaterThan(rules.length * 0.25);
    expect(rules.length - accepted).toBeGreaterThan(rules.length * 0.25);
  });

  for (const file of ['good.rules', 'bad.rules']) {
    it(`agrees on the corpus ${file}, and the corpus expectations are the oracle's`, { timeout: 60_000 }, async () => {
      const cases = readCorpus(file);
      const verdicts = await mapPool(cases, CONCURRENCY, (c) => runOracle(c.rule));
      cases.forEach((c, i) => {
        const verdict = verdicts[i] as OracleVerdict;
        const where = `${c.file}:${c.line} (${c.why})`;
        expect(compareWithOracle(c.rule, verdict), where).toBeUndefined();
        if (c.output !== undefined) expect(verdict.kind, where).toBe('accepted');
        if (c.error !== undefined) expect(['rejected', 'exception'], where).toContain(verdict.kind);
      });
    });
  }

  it('refuses every extension form (so a rule file with extensions never loads in USBGuard)', { timeout: 60_000 }, async () => {
    const cases = readCorpus('extensions.rules');
    expect(cases.length).toBeGreaterThanOrEqual(4);
    const verdicts = await mapPool(cases, CONCURRENCY, (c) => runOracle(c.rule));
    cases.forEach((c, i) => {
      const verdict = verdicts[i] as OracleVerdict;
      const where = `${c.file}:${c.line} (${c.why})`;
      expect(verdict.kind, where).toBe('rejected');
      // In USBGuard mode we refuse it at the same column; with extensions we accept it.
      expect(compareWithOracle(c.rule, verdict), where).toBeUndefined();
      const withExtensions = parseUsbRuleLine(c.rule);
      expect(withExtensions.ok && withExtensions.value !== undefined ? printUsbRule(withExtensions.value) : withExtensions, where).toBe(c.output);
    });
  });
});
