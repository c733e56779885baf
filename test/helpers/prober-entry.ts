// Runs the TCP canary prober inside a network namespace for tests:
//   node prober.mjs <maxParallel> <timeoutMs> <host:port>…
// prints one JSON object: { wallMs, results: [{ outcome, elapsedMs, detail }] }.
import process from 'node:process';
import { performance } from 'node:perf_hooks';
import { createTcpCanaryProber } from '../../src/agent/platform/node';

const [maxParallel, timeoutMs, ...targets] = process.argv.slice(2);
const prober = createTcpCanaryProber({ maxParallel: Number(maxParallel) });
const started = performance.now();
const results = await Promise.all(
  targets.map((target) => {
    const colon = target.lastIndexOf(':');
    return prober.probe(target.slice(0, colon), Number(target.slice(colon + 1)), Number(timeoutMs));
  }),
);
process.stdout.write(`${JSON.stringify({ wallMs: performance.now() - started, results })}\n`);
