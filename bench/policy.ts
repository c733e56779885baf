// `npm run bench -- policy`: how fast the agent parses and verifies a signed policy bundle (the
// work done at every start and every policy update), and how long `mng policy lint` takes on
// the default policy. Last line: one JSON object of figures.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createPolicyBundle, createTrustStore, generateSigningKeyPair, parsePrivateKey, verifyPolicyBundle } from '../src/agent/policy';
import { parsePolicyText } from '../src/shared/policy';
import { percentile, round } from './lib/stats';

const iterations = Number(process.argv[2] ?? 2000);
const policyText = readFileSync('policies/mynumber-zone.yaml') // benchmarks run from the repository root (scripts/bench.mjs);
const pair = generateSigningKeyPair();
const signer = parsePrivateKey(pair.privateKeyPem);
if (!signer.ok) throw new Error('key generation failed');
const trust = createTrustStore([{ path: 'bench.pub.pem', name: 'bench.pub.pem', text: pair.publicKeyPem }]);
if (!trust.ok) throw new Error('trust store failed');
const bundle = createPolicyBundle(policyText, signer.value);
const nowMs = Date.parse('2026-11-26T00:00:00+09:00');

function measure(label: string, run: () => void): { p50Ms: number; p99Ms: number; perSecond: number } {
  for (let i = 0; i < 50; i += 1) run();
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < iterations; i += 1) {
    const t0 = performance.now();
    run();
    samples.push(performance.now() - t0);
  }
  const elapsedMs = performance.now() - started;
  const figures = { p50Ms: round(percentile(samples, 50)), p99Ms: round(percentile(samples, 99)), perSecond: round((iterations / elapsedMs) * 1000, 1) };
  process.stdout.write(`${label}: p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms, ${figures.perSecond}/s\n`);
  return figures;
}

const parse = measure('parse + lint default policy', () => {
  const result = parsePolicyText(policyText.toString('utf8'));
  if (!result.ok) throw new Error('default policy did not parse');
});
const verify = measure('verify signed bundle (signature, parse, window, rollback)', () => {
  const result = verifyPolicyBundle(bundle, trust.value, { nowMs });
  if (!result.ok) throw new Error(`bundle did not verify: ${result.error.code}`);
});
const sign = measure('sign bundle', () => {
  createPolicyBundle(policyText, signer.value);
});

process.stdout.write(
  `${JSON.stringify({
    benchmark: 'policy',
    iterations,
    policyBytes: policyText.length,
    bundleBytes: bundle.length,
    parseP50Ms: parse.p50Ms,
    parseP99Ms: parse.p99Ms,
    verifyP50Ms: verify.p50Ms,
    verifyP99Ms: verify.p99Ms,
    verifyPerSecond: verify.perSecond,
    signPerSecond: sign.perSecond,
  })}\n`,
);
