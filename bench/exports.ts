// `npm run bench -- exports [latencyFiles] [burstFiles] [hashMiB]`: the export ledger (issue #4
// item 2) on real files in a temp folder, with the real audit log: file closed → ledger record
// (p50/p99), sustained 4 KiB files/s, and streamed SHA-256 of a 1 GiB file against `sha256sum` in
// the same run. Last line: one JSON object of figures.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createAuditLog } from '../src/agent/audit';
import { createExportLedger, createLedgerStore, createPasswdUserDirectory, type ExportRecord } from '../src/agent/exports';
import {
  createChokidarFileEventSource,
  createJsonlLedgerFile,
  createNodeAuditFile,
  createNodeFileDisposer,
  createNodeFileHasher,
  createPasswdFileSource,
} from '../src/agent/platform/node';
import { systemClock } from '../src/shared/clock';
import { percentile, round } from './lib/stats';

const latencyFiles = Number(process.argv[2] ?? 300);
const burstFiles = Number(process.argv[3] ?? 10_000);
const hashMiB = Number(process.argv[4] ?? 1024);
const work = mkdtempSync(path.join(tmpdir(), 'mng-bench-exports-'));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

try {
  const watched = path.join(work, 'medium');
  await mkdir(watched);
  await mkdir(path.join(work, 'state'), { mode: 0o700 });
  const audit = await createAuditLog({ file: createNodeAuditFile(path.join(work, 'state', 'audit.jsonl')), clock: systemClock, host: 'pc-01', reportError: () => undefined });
  const waiting = new Map<string, (record: ExportRecord) => void>();
  let recorded = 0;
  const faults: unknown[] = [];
  const ledger = createExportLedger({
    destinations: [{ id: 'medium', path: watched, action: 'record', volume: { mountPoint: watched } }],
    events: createChokidarFileEventSource(),
    hasher: createNodeFileHasher(),
    store: createLedgerStore(createJsonlLedgerFile(path.join(work, 'state'))),
    disposer: createNodeFileDisposer(path.join(work, 'quarantine')),
    users: createPasswdUserDirectory(createPasswdFileSource('/'), systemClock),
    audit,
    clock: systemClock,
    reportFault: (error) => faults.push(error),
    concurrency: 16,
    rescanIntervalMs: 0,
    onRecord: (record) => {
      recorded += 1;
      waiting.get(record.path)?.(record);
    },
  });
  await ledger.start();
  const block = randomBytes(4096);

  // 1. Latency: one writer, one file at a time; the clock starts when close() returns.
  const samples: number[] = [];
  for (let i = 0; i < latencyFiles; i += 1) {
    const file = path.join(watched, `latency-${i}.bin`);
    const done = new Promise<ExportRecord>((resolve) => waiting.set(file, resolve));
    const handle = await open(file, 'w');
    await handle.write(block);
    await handle.close();
    const t0 = performance.now();
    await done;
    samples.push(performance.now() - t0);
    waiting.delete(file);
    await sleep(2);
  }
  await ledger.idle();
  const p50Ms = round(percentile(samples, 50));
  const p99Ms = round(percentile(samples, 99));
  process.stdout.write(`file closed → ledger record: p50 ${p50Ms} ms, p99 ${p99Ms} ms (${latencyFiles} files, settle 50 ms)\n`);

  // 2. Sustained: write burstFiles 4 KiB files as fast as we can; time until the last is recorded.
  const burstDir = path.join(watched, 'burst');
  await mkdir(burstDir);
  const before = recorded;
  const started = performance.now();
  for (let i = 0; i < burstFiles; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, burstFiles - i) }, (_, j) => writeFile(path.join(burstDir, `f${i + j}.bin`), block)));
  }
  const writtenMs = performance.now() - started;
  while (recorded - before < burstFiles && performance.now() - started < 120_000) await sleep(5);
  const byWatcher = recorded - before;
  if (byWatcher < burstFiles) await ledger.rescan('medium'); // what lost events would trigger
  await ledger.idle();
  const elapsedMs = performance.now() - started;
  const filesPerSecond = round(((recorded - before) / elapsedMs) * 1000, 1);
  process.stdout.write(`sustained: ${recorded - before}/${burstFiles} files of 4 KiB in ${round(elapsedMs, 0)} ms (written in ${round(writtenMs, 0)} ms) → ${filesPerSecond} files/s\n`);
  await ledger.stop();
  await audit.close();

  // 3. SHA-256 of a large file: ours (streamed, node:crypto) vs sha256sum, page cache warm for both.
  const big = path.join(work, 'big.bin');
  const chunk = randomBytes(1024 * 1024);
  const handle = await open(big, 'w');
  for (let i = 0; i < hashMiB; i += 1) await handle.write(chunk);
  await handle.close();
  const hasher = createNodeFileHasher();
  let oursMs = Number.POSITIVE_INFINITY;
  let toolMs = Number.POSITIVE_INFINITY;
  let oursHash = '';
  let toolHash = '';
  for (let round_ = 0; round_ < 3; round_ += 1) {
    const t0 = performance.now();
    const tool = spawnSync('sha256sum', [big], { encoding: 'utf8' });
    toolMs = Math.min(toolMs, performance.now() - t0);
    toolHash = tool.stdout.split(' ')[0] ?? '';
    const t1 = performance.now();
    const ours = await hasher.hash(big, work);
    oursMs = Math.min(oursMs, performance.now() - t1);
    oursHash = ours.state === 'hashed' ? ours.sha256 : '';
  }
  rmSync(big);
  const oursMiBps = round(hashMiB / (oursMs / 1000), 1);
  const toolMiBps = round(hashMiB / (toolMs / 1000), 1);
  const ratio = round(toolMs / oursMs, 3);
  process.stdout.write(`SHA-256 of ${hashMiB} MiB: ours ${oursMiBps} MiB/s, sha256sum ${toolMiBps} MiB/s → ${round(ratio * 100, 1)} % (hashes ${oursHash === toolHash ? 'equal' : 'DIFFER'})\n`);

  process.stdout.write(
    `${JSON.stringify({
      benchmark: 'exports',
      latencyFiles,
      closeToRecordP50Ms: p50Ms,
      closeToRecordP99Ms: p99Ms,
      burstFiles,
      burstRecorded: recorded - before,
      burstRecordedByWatcher: byWatcher,
      filesPerSecond4KiB: filesPerSecond,
      hashMiB,
      sha256OursMiBps: oursMiBps,
      sha256ToolMiBps: toolMiBps,
      sha256RatioToTool: ratio,
      sha256Equal: oursHash === toolHash,
      faults: faults.length,
    })}\n`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
