// `npm run bench -- exports [latencyFiles] [burstFiles] [hashMiB] [child|inline]`: the export
// ledger (issue #4 item 2) on real files in a temp folder, with the real audit log: file closed →
// ledger record (p50/p99), sustained 4 KiB files/s (burst written by another process, or with
// `inline` by this one as the first version of this bench did), and streamed SHA-256 of a 1 GiB
// file against `sha256sum` in the same run. Code shared with `bench media` in lib/exports-ledger.ts.
// Last line: one JSON object of figures.
import { loadavg } from 'node:os';
import { measureHash, measureLedger, type BurstWriter } from './lib/exports-ledger';
import { round } from './lib/stats';

const latencyFiles = Number(process.argv[2] ?? 300);
const burstFiles = Number(process.argv[3] ?? 10_000);
const hashMiB = Number(process.argv[4] ?? 1024);
const writer: BurstWriter = process.argv[5] === 'inline' ? 'inline' : 'child';
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const load = (): number[] => loadavg().map((value) => round(value, 2));

const loadBefore = load();
say(`load average before: ${loadBefore.join(' ')} (2-core machine: figures are noisy when other work runs)`);
const ledger = await measureLedger({ latencyFiles, burstFiles, writer }, say);
const hash = await measureHash(hashMiB, say);
process.stdout.write(
  `${JSON.stringify({
    benchmark: 'exports',
    ...ledger,
    ...hash,
    loadAverageBefore: loadBefore,
    loadAverageAfter: load(),
  })}\n`,
);
