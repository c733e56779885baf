// `npm run bench -- audit [records]`: what the audit log costs. Appends on a real file (each one
// fsynced), grouped appends under load, verifying a large log in memory, and opening it (the writer
// verifies the whole file at start). Last line: one JSON object of figures.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createAuditLog, verifyAuditLog } from '../src/agent/audit';
import { createNodeAuditFile } from '../src/agent/platform/node';
import { systemClock } from '../src/shared/clock';

const largeRecords = Number(process.argv[2] ?? 100_000);
const work = mkdtempSync(path.join(tmpdir(), 'mng-bench-audit-'));
const event = (i: number) => ({ type: 'usb.blocked', severity: 'notice' as const, data: { i, vendorId: '0781', productId: '5567', serial: `4C530001${i}`, user: 'tanaka' } });
const open = (file: string) => createAuditLog({ file: createNodeAuditFile(file), clock: systemClock, host: 'pc-01', reportError: () => undefined });

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

try {
  // One caller at a time: every append is its own write + fsync + head replace.
  const sequentialFile = path.join(work, 'sequential.jsonl');
  const sequential = await open(sequentialFile);
  const latencies: number[] = [];
  for (let i = 0; i < 200; i += 1) {
    const started = performance.now();
    await sequential.append(event(i));
    latencies.push(performance.now() - started);
  }
  await sequential.close();

  // Many callers at once: appends are grouped into one write + fsync.
  const concurrentFile = path.join(work, 'concurrent.jsonl');
  const concurrent = await open(concurrentFile);
  const burstStarted = performance.now();
  await Promise.all(Array.from({ length: 5000 }, (_, i) => concurrent.append(event(i))));
  const burstMs = performance.now() - burstStarted;
  await concurrent.close();

  // A large log: build it in bursts, then verify it in memory and time a reopen.
  const largeFile = path.join(work, 'large.jsonl');
  const large = await open(largeFile);
  for (let i = 0; i < largeRecords; i += 1000) {
    await Promise.all(Array.from({ length: Math.min(1000, largeRecords - i) }, (_, j) => large.append(event(i + j))));
  }
  await large.close();
  const bytes = new Uint8Array(await readFile(largeFile));
  const verifyStarted = performance.now();
  const verdict = verifyAuditLog(bytes);
  const verifyMs = performance.now() - verifyStarted;
  if (!verdict.ok) throw new Error(`bench: the large log does not verify: ${verdict.firstBad.message.en}`);
  const reopenStarted = performance.now();
  const reopened = await open(largeFile);
  const reopenMs = performance.now() - reopenStarted;
  await reopened.close();

  const sizeMiB = statSync(largeFile).size / (1024 * 1024);
  const figures = {
    appendP50Ms: Number(percentile(latencies, 50).toFixed(3)),
    appendP99Ms: Number(percentile(latencies, 99).toFixed(3)),
    burst5000AppendsPerSecond: Math.round(5000 / (burstMs / 1000)),
    largeRecords,
    largeLogMiB: Number(sizeMiB.toFixed(1)),
    verifyMiBPerSecond: Number((sizeMiB / (verifyMs / 1000)).toFixed(1)),
    verifyRecordsPerSecond: Math.round(largeRecords / (verifyMs / 1000)),
    openLargeLogMs: Math.round(reopenMs),
  };
  process.stdout.write(`audit log: ${JSON.stringify(figures, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
