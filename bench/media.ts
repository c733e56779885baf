// `npm run bench -- media [mounts] [latencyFiles] [burstFiles] [hashMiB] [isolationRuns]`: the
// media and export figures of issue #4 in one run, each with its goal and whether it was met:
//   1. mount appears → decision applied (deny: unmounted + sealed), p50/p99 over `mounts` real
//      loop mounts (default 200, at least 50 for the goal; p99 is nearest-rank, so with 100 or
//      fewer it is the maximum) of an ext4 image classified as a USB removable disk by a sysfs
//      fixture; goal p99 ≤ 50 ms (lib/media-mounts.ts);
//   2. export ledger: file closed → record p50/p99 (goal p99 ≤ 100 ms) and sustained files/s for
//      a burst of 4 KiB files written by another process (goal ≥ 1,000/s) (lib/exports-ledger.ts);
//   3. SHA-256 of a 1 GiB file: our hasher vs `sha256sum` in the same run (goal ratio ≥ 0.8);
//   4. `mng isolation check` with 10 canaries in network namespaces made here, wall time (goal
//      ≤ 2 s for every run) (lib/media-isolation.ts).
// Needs root (mount, losetup, ip netns). Every mount, loop device, namespace and temp folder it
// makes is removed, also on failure and Ctrl-C. The load average is printed with the figures: on
// the 2-core development machines other work skews them. Last line: one JSON object of figures.
import { measureHash, measureLedger, type HashFigures, type LedgerFigures } from './lib/exports-ledger';
import { measureIsolation, type IsolationFigures } from './lib/media-isolation';
import { measureMountDecisions, type MountFigures } from './lib/media-mounts';
import { startBenchRun } from './lib/bench-run';

const goals = {
  mountToDecisionP99Ms: 50,
  minMounts: 50,
  closeToRecordP99Ms: 100,
  filesPerSecond4KiB: 1000,
  sha256RatioToTool: 0.8,
  isolationWallMs: 2000,
} as const;

const run = startBenchRun('media', 'npm run bench -- media [mounts=200] [latencyFiles=300] [burstFiles=10000] [hashMiB=1024] [isolationRuns=5]');
const { say, load, attempt, errors, loadAverage } = run;

const mounts = run.count(2, 'mounts', 200, 1, 10_000);
const latencyFiles = run.count(3, 'latencyFiles', 300, 1, 100_000);
const burstFiles = run.count(4, 'burstFiles', 10_000, 1, 1_000_000);
const hashMiB = run.count(5, 'hashMiB', 1024, 1, 16_384);
const isolationRuns = run.count(6, 'isolationRuns', 5, 1, 1000);

run.requireRoot('mount, losetup, ip netns');
run.requireTools(['mkfs.ext4', 'losetup', 'findmnt', 'stdbuf', 'mount', 'umount', 'blkid', 'sha256sum', 'ip', 'date']);

loadAverage.before = load();
say(`load average before: ${loadAverage.before?.join(' ')} (2-core machine: figures are noisy when other work runs)`);

const mountFigures: MountFigures | undefined = await attempt('mounts', () => measureMountDecisions(mounts, say, run.interrupted));
const ledgerFigures: LedgerFigures | undefined = await attempt('ledger', () => measureLedger({ latencyFiles, burstFiles }, say));
const hashFigures: HashFigures | undefined = await attempt('sha256', () => measureHash(hashMiB, say));
const isolationFigures: IsolationFigures | undefined = await attempt('isolation', () => measureIsolation(isolationRuns, say));

const figures = {
  mountToDecision:
    mountFigures === undefined
      ? null
      : {
          ...mountFigures,
          goalP99Ms: goals.mountToDecisionP99Ms,
          goalMinMounts: goals.minMounts,
          met: mountFigures.mounts >= goals.minMounts && mountFigures.denied === mountFigures.mounts && mountFigures.mountToDecisionP99Ms <= goals.mountToDecisionP99Ms,
        },
  ledgerLatency:
    ledgerFigures === undefined
      ? null
      : {
          files: ledgerFigures.latencyFiles,
          p50Ms: ledgerFigures.closeToRecordP50Ms,
          p99Ms: ledgerFigures.closeToRecordP99Ms,
          maxMs: ledgerFigures.closeToRecordMaxMs,
          goalP99Ms: goals.closeToRecordP99Ms,
          met: ledgerFigures.closeToRecordP99Ms <= goals.closeToRecordP99Ms,
        },
  ledgerThroughput:
    ledgerFigures === undefined
      ? null
      : {
          files: ledgerFigures.burstFiles,
          writer: ledgerFigures.burstWriter,
          recorded: ledgerFigures.burstRecorded,
          records: ledgerFigures.burstRecords,
          recordedByWatcher: ledgerFigures.burstRecordedByWatcher,
          writtenMs: ledgerFigures.burstWrittenMs,
          elapsedMs: ledgerFigures.burstElapsedMs,
          filesPerSecond: ledgerFigures.filesPerSecond4KiB,
          cpuMsPerFile: ledgerFigures.burstCpuMsPerFile,
          faults: ledgerFigures.faults,
          goalFilesPerSecond: goals.filesPerSecond4KiB,
          met: ledgerFigures.burstRecorded === ledgerFigures.burstFiles && ledgerFigures.faults === 0 && ledgerFigures.filesPerSecond4KiB >= goals.filesPerSecond4KiB,
        },
  sha256:
    hashFigures === undefined
      ? null
      : {
          mib: hashFigures.hashMiB,
          oursMiBps: hashFigures.sha256OursMiBps,
          toolMiBps: hashFigures.sha256ToolMiBps,
          ratio: hashFigures.sha256RatioToTool,
          equal: hashFigures.sha256Equal,
          goalRatio: goals.sha256RatioToTool,
          met: hashFigures.sha256Equal && hashFigures.sha256RatioToTool >= goals.sha256RatioToTool,
        },
  isolationCheck:
    isolationFigures === undefined
      ? null
      : {
          ...isolationFigures,
          met: isolationFigures.goalMet,
        },
};
const allMet = Object.values(figures).every((figure) => figure !== null && figure.met);
say(
  `goals: mount→decision ${String(figures.mountToDecision?.met ?? 'n/a')}, close→record ${String(figures.ledgerLatency?.met ?? 'n/a')}, files/s ${String(figures.ledgerThroughput?.met ?? 'n/a')}, sha256 ${String(figures.sha256?.met ?? 'n/a')}, isolation ${String(figures.isolationCheck?.met ?? 'n/a')}`,
);
process.stdout.write(`${JSON.stringify({ benchmark: 'media', ...figures, allMet, errors, interrupted: run.interrupted(), loadAverage: { ...loadAverage, after: load() } })}\n`);
process.exitCode = errors.length > 0 || run.interrupted() ? 1 : 0;
