// `mng isolation check` with 10 canaries, wall time (issue #4 goal: ≤ 2 s), shared by `bench
// isolation` and `bench media`. It runs inside network namespaces made here: the terminal's
// default route goes through a test router to a test zone holding 3 listeners (connected), 2
// closed ports (refused) and 5 addresses the router blackholes (timeout after canaryTimeoutMs =
// 1000 ms), the slowest honest mix; a second figure is the isolated case (no route: every canary
// unreachable). Only addresses inside the namespaces are contacted, never the default policy's
// canaries. The namespaces and listeners are removed before it returns or throws.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildIsolationCli } from '../../test/helpers/isolation-cli';
import { isolationPolicyText } from '../../test/helpers/isolation-policy';
import { createIsolationLab, ip } from '../../test/helpers/netns';
import { percentile, round } from './stats';

/** Wall-time goal of one `mng isolation check` (ms). */
export const isolationGoalWallMs = 2000;

/** The isolation check's figures (ms, wall time of the whole `mng` process). */
export interface IsolationFigures {
  readonly runs: number;
  readonly canaries: number;
  readonly canaryTimeoutMs: number;
  readonly isolatedWallP50Ms: number;
  readonly isolatedWallMaxMs: number;
  readonly mixedWallP50Ms: number;
  readonly mixedWallMaxMs: number;
  readonly mixedCheckP50Ms: number;
  readonly goalWallMs: number;
  /** Every run of both cases within the goal. */
  readonly goalMet: boolean;
}

const canaryTimeoutMs = 1000;
const canaries = [
  ...[8441, 8442, 8443].map((port, i) => ({ name: `listener-${i + 1}`, host: '10.77.2.2', port, zone: 'lgwan' })),
  ...[9441, 9442].map((port, i) => ({ name: `closed-${i + 1}`, host: '10.77.2.2', port, zone: 'lgwan' })),
  ...[1, 2, 3, 4, 5].map((n) => ({ name: `blackhole-${n}`, host: `10.77.3.${n}`, port: 443, zone: 'internet' })),
];

/** Runs the check `runs` times isolated, then `runs` times through the router. */
export async function measureIsolation(runs: number, say: (line: string) => void): Promise<IsolationFigures> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mng-iso-bench-'));
  let lab: ReturnType<typeof createIsolationLab> | undefined;
  try {
    lab = createIsolationLab();
    const terminal = lab.terminal;
    const cli = await buildIsolationCli();
    const policyFile = path.join(dir, 'policy.yaml');
    writeFileSync(policyFile, isolationPolicyText({ allowedCidrs: ['10.77.1.0/24'], dnsServers: ['10.77.1.53'], allowedInterfaces: ['t0'], canaries, canaryTimeoutMs }));
    for (const port of [8441, 8442, 8443]) await lab.listen(lab.listener, '10.77.2.2', port);

    const measure = (label: string, expectedStatus: number): { p50Ms: number; maxMs: number; checkP50Ms: number } => {
      const walls: number[] = [];
      const checks: number[] = [];
      for (let i = 0; i < runs; i += 1) {
        const t0 = performance.now();
        const run = spawnSync('ip', ['netns', 'exec', terminal, process.execPath, cli, '--json', 'isolation', 'check', '--policy', policyFile], { encoding: 'utf8' });
        walls.push(performance.now() - t0);
        if (run.status !== expectedStatus) throw new Error(`${label}: exit ${String(run.status)}, expected ${expectedStatus}: ${run.stderr}`);
        checks.push((JSON.parse(run.stdout) as { elapsedMs: number }).elapsedMs);
      }
      const figures = { p50Ms: round(percentile(walls, 50), 1), maxMs: round(Math.max(...walls), 1), checkP50Ms: round(percentile(checks, 50), 1) };
      say(`${label}: wall p50 ${figures.p50Ms} ms, max ${figures.maxMs} ms (check itself p50 ${figures.checkP50Ms} ms), ${runs} runs`);
      return figures;
    };

    const isolated = measure('isolation check, 10 canaries, isolated (no route: all unreachable)', 0);
    ip('-n', terminal, 'route', 'add', 'default', 'via', '10.77.1.1');
    const mixed = measure(`isolation check, 10 canaries via router (3 connected, 2 refused, 5 timeout at ${canaryTimeoutMs} ms)`, 1);
    return {
      runs,
      canaries: canaries.length,
      canaryTimeoutMs,
      isolatedWallP50Ms: isolated.p50Ms,
      isolatedWallMaxMs: isolated.maxMs,
      mixedWallP50Ms: mixed.p50Ms,
      mixedWallMaxMs: mixed.maxMs,
      mixedCheckP50Ms: mixed.checkP50Ms,
      goalWallMs: isolationGoalWallMs,
      goalMet: mixed.maxMs <= isolationGoalWallMs && isolated.maxMs <= isolationGoalWallMs,
    };
  } finally {
    lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
