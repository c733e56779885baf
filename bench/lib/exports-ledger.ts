// The export ledger's figures (issue #4 item 2), shared by `bench exports` and `bench media`:
// the real ledger (chokidar, the node hasher, the JSONL ledger file, the real audit log) on a
// temp folder. Close → record latency with one in-process writer, then sustained files/s for a
// burst of 4 KiB files written by a separate process (as a user's `cp` or file manager would),
// and the streamed SHA-256 of a large file against `sha256sum` in the same run.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createAuditLog } from '../../src/agent/audit';
import { createExportLedger, createLedgerStore, createPasswdUserDirectory, type ExportRecord } from '../../src/agent/exports';
import {
  createChokidarFileEventSource,
  createJsonlLedgerFile,
  createNodeAuditFile,
  createNodeFileDisposer,
  createNodeFileHasher,
  createPasswdFileSource,
} from '../../src/agent/platform/node';
import { systemClock } from '../../src/shared/clock';
import { percentile, round } from './stats';

/** Who writes the burst: `child` (another process, the default) or `inline` (this event loop, the old bench). */
export type BurstWriter = 'child' | 'inline';

/** What {@link measureLedger} runs. */
export interface LedgerBenchOptions {
  /** Files written one at a time for the latency figures. */
  readonly latencyFiles: number;
  /** 4 KiB files in the burst. */
  readonly burstFiles: number;
  readonly writer?: BurstWriter;
  /** Files hashed at once by the ledger; the service's default when absent. */
  readonly concurrency?: number;
}

/** The ledger's figures. Times in ms; CPU is this process's user + system time during the burst. */
export interface LedgerFigures {
  readonly latencyFiles: number;
  readonly closeToRecordP50Ms: number;
  readonly closeToRecordP99Ms: number;
  readonly closeToRecordMaxMs: number;
  readonly burstFiles: number;
  readonly burstWriter: BurstWriter;
  /** Distinct burst files with a record. */
  readonly burstRecorded: number;
  /** Records made during the burst; more than burstRecorded when a file was caught half-written and recorded again. */
  readonly burstRecords: number;
  /** Distinct files recorded from watcher events alone; the rest needed the rescan that lost events trigger. */
  readonly burstRecordedByWatcher: number;
  readonly burstWrittenMs: number;
  readonly burstElapsedMs: number;
  readonly filesPerSecond4KiB: number;
  /** Ledger process CPU (user + system) per recorded file during the burst. */
  readonly burstCpuMsPerFile: number;
  readonly faults: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// The burst writer: `count` files of 4 KiB, 100 at a time, as fast as the disk takes them.
const writerScript = `
const { writeFile } = require('node:fs/promises');
const path = require('node:path');
const [dir, countText] = process.argv.slice(1);
const count = Number(countText);
const block = require('node:crypto').randomBytes(4096);
(async () => {
  for (let i = 0; i < count; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, count - i) }, (_, j) => writeFile(path.join(dir, 'f' + (i + j) + '.bin'), block)));
  }
})().then(() => process.exit(0), (error) => { console.error(error); process.exit(1); });
`;

async function writeBurst(dir: string, count: number, writer: BurstWriter, block: Buffer): Promise<void> {
  if (writer === 'inline') {
    for (let i = 0; i < count; i += 100) {
      await Promise.all(Array.from({ length: Math.min(100, count - i) }, (_, j) => writeFile(path.join(dir, `f${i + j}.bin`), block)));
    }
    return;
  }
  const child = spawn(process.execPath, ['-e', writerScript, dir, String(count)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`burst writer exited ${String(code)}: ${stderr}`);
}

/**
 * Runs the ledger on a fresh temp folder and measures it; removes the folder whatever happens.
 * `say` receives the human-readable lines.
 */
export async function measureLedger(options: LedgerBenchOptions, say: (line: string) => void): Promise<LedgerFigures> {
  const writer = options.writer ?? 'child';
  const work = mkdtempSync(path.join(tmpdir(), 'mng-bench-exports-'));
  try {
    const watched = path.join(work, 'medium');
    await mkdir(watched);
    await mkdir(path.join(work, 'state'), { mode: 0o700 });
    const audit = await createAuditLog({ file: createNodeAuditFile(path.join(work, 'state', 'audit.jsonl')), clock: systemClock, host: 'pc-01', reportError: () => undefined });
    const waiting = new Map<string, (record: ExportRecord) => void>();
    let recorded = 0;
    let burstDir: string | undefined;
    const burstPaths = new Set<string>();
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
      ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
      rescanIntervalMs: 0,
      onRecord: (record) => {
        recorded += 1;
        if (burstDir !== undefined && record.path.startsWith(burstDir)) burstPaths.add(record.path);
        waiting.get(record.path)?.(record);
      },
    });
    await ledger.start();
    try {
      const block = randomBytes(4096);

      // 1. Latency: one writer, one file at a time; the clock starts when close() returns.
      const samples: number[] = [];
      for (let i = 0; i < options.latencyFiles; i += 1) {
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
      const maxMs = round(samples.length === 0 ? Number.NaN : Math.max(...samples));
      say(`file closed → ledger record: p50 ${p50Ms} ms, p99 ${p99Ms} ms, max ${maxMs} ms (${options.latencyFiles} files, settle 50 ms)`);

      // 2. Sustained: burstFiles 4 KiB files as fast as the writer can; time until the last is recorded.
      burstDir = `${path.join(watched, 'burst')}${path.sep}`;
      await mkdir(burstDir);
      const before = recorded;
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      await writeBurst(burstDir, options.burstFiles, writer, block);
      const writtenMs = performance.now() - started;
      while (burstPaths.size < options.burstFiles && performance.now() - started < 120_000) await sleep(5);
      const byWatcher = burstPaths.size;
      if (byWatcher < options.burstFiles) await ledger.rescan('medium'); // what lost events would trigger
      await ledger.idle();
      const elapsedMs = performance.now() - started;
      const cpu = process.cpuUsage(cpuBefore);
      const burstRecorded = burstPaths.size;
      const burstRecords = recorded - before;
      const filesPerSecond = round((burstRecorded / elapsedMs) * 1000, 1);
      const cpuMsPerFile = round((cpu.user + cpu.system) / 1000 / Math.max(1, burstRecorded), 4);
      say(
        `sustained: ${burstRecorded}/${options.burstFiles} files (${burstRecords} records) of 4 KiB in ${round(elapsedMs, 0)} ms (written by ${writer === 'child' ? 'another process' : 'this process'} in ${round(writtenMs, 0)} ms) → ${filesPerSecond} files/s; ledger CPU ${cpuMsPerFile} ms/file`,
      );
      return {
        latencyFiles: options.latencyFiles,
        closeToRecordP50Ms: p50Ms,
        closeToRecordP99Ms: p99Ms,
        closeToRecordMaxMs: maxMs,
        burstFiles: options.burstFiles,
        burstWriter: writer,
        burstRecorded,
        burstRecords,
        burstRecordedByWatcher: byWatcher,
        burstWrittenMs: round(writtenMs, 0),
        burstElapsedMs: round(elapsedMs, 0),
        filesPerSecond4KiB: filesPerSecond,
        burstCpuMsPerFile: cpuMsPerFile,
        faults: faults.length,
      };
    } finally {
      await ledger.stop();
      await audit.close();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** SHA-256 of a large file: ours (node:crypto) against `sha256sum`, best of 3 each, page cache warm. */
export interface HashFigures {
  readonly hashMiB: number;
  readonly sha256OursMiBps: number;
  readonly sha256ToolMiBps: number;
  /** Our speed divided by sha256sum's (goal ≥ 0.8). */
  readonly sha256RatioToTool: number;
  readonly sha256Equal: boolean;
}

/** Writes a `hashMiB` MiB file of random bytes to a temp folder, hashes it both ways, removes it. */
export async function measureHash(hashMiB: number, say: (line: string) => void): Promise<HashFigures> {
  const work = mkdtempSync(path.join(tmpdir(), 'mng-bench-hash-'));
  try {
    const big = path.join(work, 'big.bin');
    const chunk = randomBytes(1024 * 1024);
    const handle = await open(big, 'w');
    try {
      for (let i = 0; i < hashMiB; i += 1) await handle.write(chunk);
    } finally {
      await handle.close();
    }
    const hasher = createNodeFileHasher();
    let oursMs = Number.POSITIVE_INFINITY;
    let toolMs = Number.POSITIVE_INFINITY;
    let oursHash = '';
    let toolHash = '';
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const t0 = performance.now();
      const tool = spawnSync('sha256sum', [big], { encoding: 'utf8' });
      toolMs = Math.min(toolMs, performance.now() - t0);
      if (tool.status !== 0) throw new Error(`sha256sum failed: ${tool.stderr}`);
      toolHash = tool.stdout.split(' ')[0] ?? '';
      const t1 = performance.now();
      const ours = await hasher.hash(big, work);
      oursMs = Math.min(oursMs, performance.now() - t1);
      oursHash = ours.state === 'hashed' ? ours.sha256 : '';
    }
    const oursMiBps = round(hashMiB / (oursMs / 1000), 1);
    const toolMiBps = round(hashMiB / (toolMs / 1000), 1);
    const ratio = round(toolMs / oursMs, 3);
    say(`SHA-256 of ${hashMiB} MiB: ours ${oursMiBps} MiB/s, sha256sum ${toolMiBps} MiB/s → ${round(ratio * 100, 1)} % (hashes ${oursHash === toolHash ? 'equal' : 'DIFFER'})`);
    return { hashMiB, sha256OursMiBps: oursMiBps, sha256ToolMiBps: toolMiBps, sha256RatioToTool: ratio, sha256Equal: oursHash === toolHash };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
