// `npm run bench -- isolation [runs]`: wall time of `mng isolation check` with 10 canaries, run
// inside a network namespace made here (issue #4 goal: ≤ 2 s wall). The terminal's default route
// goes through a test router to a test zone holding 3 listeners (connected), 2 closed ports
// (refused) and 5 addresses the router blackholes (timeout after canaryTimeoutMs = 1000 ms): the
// slowest honest mix. A second figure is the isolated case (no route: every canary unreachable).
// Nothing outside the test namespaces is contacted. Last line: one JSON object of figures.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildIsolationCli } from '../test/helpers/isolation-cli';
import { isolationPolicyText } from '../test/helpers/isolation-policy';
import { createIsolationLab, ip } from '../test/helpers/netns';
import { percentile, round } from './lib/stats';

const runs = Number(process.argv[2] ?? 5);
const canaryTimeoutMs = 1000;
const canaries = [
  ...[8441, 8442, 8443].map((port, i) => ({ name: `listener-${i + 1}`, host: '10.77.2.2', port, zone: 'lgwan' })),
  ...[9441, 9442].map((port, i) => ({ name: `closed-${i + 1}`, host: '10.77.2.2', port, zone: 'lgwan' })),
  ...[1, 2, 3, 4, 5].map((n) => ({ name: `blackhole-${n}`, host: `10.77.3.${n}`, port: 443, zone: 'internet' })),
];

const dir = mkdtempSync(path.join(tmpdir(), 'mng-iso-bench-'));
const lab = createIsolationLab();
try {
  const cli = await buildIsolationCli();
  const policyFile = path.join(dir, 'policy.yaml');
  writeFileSync(policyFile, isolationPolicyText({ allowedCidrs: ['10.77.1.0/24'], dnsServers: ['10.77.1.53'], allowedInterfaces: ['t0'], canaries, canaryTimeoutMs }));
  for (const port of [8441, 8442, 8443]) await lab.listen(lab.listener, '10.77.2.2', port);

  const measure = (label: string, expectedStatus: number): { p50Ms: number; maxMs: number; checkP50Ms: number } => {
    const walls: number[] = [];
    const checks: number[] = [];
    for (let i = 0; i < runs; i += 1) {
      const t0 = performance.now();
      const run = spawnSync('ip', ['netns', 'exec', lab.terminal, process.execPath, cli, '--json', 'isolation', 'check', '--policy', policyFile], { encoding: 'utf8' });
      walls.push(performance.now() - t0);
      if (run.status !== expectedStatus) throw new Error(`${label}: exit ${String(run.status)}, expected ${expectedStatus}: ${run.stderr}`);
      checks.push((JSON.parse(run.stdout) as { elapsedMs: number }).elapsedMs);
    }
    const figures = { p50Ms: round(percentile(walls, 50), 1), maxMs: round(Math.max(...walls), 1), checkP50Ms: round(percentile(checks, 50), 1) };
    process.stdout.write(`${label}: wall p50 ${figures.p50Ms} ms, max ${figures.maxMs} ms (check itself p50 ${figures.checkP50Ms} ms), ${runs} runs\n`);
    return figures;
  };

  const isolated = measure('10 canaries, isolated (no route: all unreachable)', 0);
  ip('-n', lab.terminal, 'route', 'add', 'default', 'via', '10.77.1.1');
  const mixed = measure(`10 canaries via router (3 connected, 2 refused, 5 timeout at ${canaryTimeoutMs} ms)`, 1);
  process.stdout.write(
    `${JSON.stringify({
      benchmark: 'isolation',
      runs,
      canaries: canaries.length,
      canaryTimeoutMs,
      isolatedWallP50Ms: isolated.p50Ms,
      isolatedWallMaxMs: isolated.maxMs,
      mixedWallP50Ms: mixed.p50Ms,
      mixedWallMaxMs: mixed.maxMs,
      mixedCheckP50Ms: mixed.checkP50Ms,
      goalWallMs: 2000,
      goalMet: mixed.maxMs <= 2000 && isolated.maxMs <= 2000,
    })}\n`,
  );
} finally {
  lab.destroy();
  rmSync(dir, { recursive: true, force: true });
}
