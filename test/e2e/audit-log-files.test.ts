// The audit log writer on real files (node adapter): what survives a restart, what reaches fsync,
// how a torn tail is repaired, and order under load.
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAuditLog, parseAuditHead, readAuditRecords, verifyAuditLog, type AuditLog, type AuditRecordRef } from '../../src/agent/audit';
import { createNodeAuditFile } from '../../src/agent/platform/node';
import { createFixedClock } from '../../src/shared/clock';
import type { MngError } from '../../src/shared/errors';

let work: string;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'mng-audit-log-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

let counter = 0;
function freshLogPath(): string {
  counter += 1;
  return path.join(work, `audit-${counter}.jsonl`);
}

async function openLog(logPath: string, clockMs = Date.UTC(2025, 3, 1)): Promise<{ log: AuditLog; errors: MngError[] }> {
  const errors: MngError[] = [];
  const log = await createAuditLog({ file: createNodeAuditFile(logPath), clock: createFixedClock(clockMs), host: 'pc-01', reportError: (error) => errors.push(error) });
  return { log, errors };
}

function headOf(logPath: string): AuditRecordRef {
  const parsed = parseAuditHead(new Uint8Array(readFileSync(`${logPath}.head`)));
  if (!parsed.ok) throw new Error(parsed.error.en);
  return { seq: parsed.value.seq, hash: parsed.value.hash };
}

const event = (i: number) => ({ type: 'usb.blocked', severity: 'notice' as const, data: { i } });

describe('audit log on real files', () => {
  it('continues seq and prev across a reopen, and the head follows', async () => {
    const logPath = freshLogPath();
    const first = await openLog(logPath);
    await first.log.append(event(0));
    const second = await first.log.append(event(1));
    await first.log.close();
    expect(headOf(logPath)).toEqual(second);

    const again = await openLog(logPath);
    expect(again.log.opened).toMatchObject({ created: false, head: 'matched', appended: [] });
    const third = await again.log.append(event(2));
    await again.log.close();
    expect(third.seq).toBe(3);
    const bytes = new Uint8Array(readFileSync(logPath));
    expect(verifyAuditLog(bytes, headOf(logPath))).toMatchObject({ ok: true, records: 3, lastSeq: 3, lastHash: third.hash });
    expect(again.errors).toEqual([]);
  });

  it('fsyncs every append before it resolves, and the directory when it creates the log', async () => {
    const probe = await open(path.join(work, 'probe'), 'w');
    const prototype = Object.getPrototypeOf(probe) as { datasync(): Promise<void>; sync(): Promise<void> };
    await probe.close();
    const events: string[] = [];
    const datasync = prototype.datasync;
    const sync = prototype.sync;
    vi.spyOn(prototype, 'datasync').mockImplementation(async function (this: unknown) {
      events.push('datasync');
      return datasync.call(this);
    });
    vi.spyOn(prototype, 'sync').mockImplementation(async function (this: unknown) {
      events.push('sync');
      return sync.call(this);
    });

    const logPath = freshLogPath();
    const { log } = await openLog(logPath);
    expect(events).toEqual(['sync']); // the new file's directory
    events.length = 0;
    const settled: string[] = [];
    await log.append(event(0)).then(() => settled.push(`resolved after ${events.join(',')}`));
    // Log data fsync, then the head's temp file fsync, then the append resolves.
    expect(settled).toEqual(['resolved after datasync,datasync']);
    await log.close();
  });

  it('repairs a torn tail: the torn bytes go to a side file, the log is cut, recorded, and verifies', async () => {
    const logPath = freshLogPath();
    const first = await openLog(logPath);
    for (let i = 0; i < 3; i += 1) await first.log.append(event(i));
    await first.log.close();
    const intactSize = statSync(logPath).size;
    const torn = '{"v":1,"seq":4,"time":"2025-04-01T00:00:00.000Z","type":"usb.bl';
    appendFileSync(logPath, torn);

    const again = await openLog(logPath, Date.UTC(2025, 3, 2, 9, 30));
    const repair = again.log.opened.tailRepair;
    expect(repair).toMatchObject({ action: 'moved-aside', line: 4, bytes: torn.length });
    expect(path.basename(repair?.sideFile ?? '')).toBe(`${path.basename(logPath)}.torn-4-20250402T093000000Z`);
    expect(readFileSync(repair?.sideFile ?? '', 'utf8')).toBe(torn);
    expect(readdirSync(work).filter((name) => name.startsWith(`${path.basename(logPath)}.torn-`))).toHaveLength(1);
    await again.log.close();

    const bytes = new Uint8Array(readFileSync(logPath));
    expect(new TextDecoder().decode(bytes.subarray(intactSize))).toContain('"type":"audit.tail-repaired"');
    expect(verifyAuditLog(bytes, headOf(logPath))).toMatchObject({ ok: true, records: 4 });
  });

  it('writes 1000 concurrent appends in call order as a valid chain', async () => {
    const logPath = freshLogPath();
    const { log } = await openLog(logPath);
    const refs = await Promise.all(Array.from({ length: 1000 }, (_, i) => log.append(event(i))));
    await log.close();
    expect(refs.map((ref) => ref.seq)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    const bytes = new Uint8Array(readFileSync(logPath));
    const order = [...readAuditRecords(bytes)].map((item) => (item.kind === 'record' ? item.record.data.i : undefined));
    expect(order).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(verifyAuditLog(bytes, headOf(logPath))).toMatchObject({ ok: true, records: 1000 });
    expect(headOf(logPath)).toEqual(refs.at(-1));
  });

  it('detects records cut off the end on the next start, and leaves the gap visible', async () => {
    const logPath = freshLogPath();
    const first = await openLog(logPath);
    const sizes: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      await first.log.append(event(i));
      sizes.push(statSync(logPath).size);
    }
    await first.log.close();
    truncateSync(logPath, sizes[1]);

    const again = await openLog(logPath);
    expect(again.log.opened.verify).toMatchObject({ ok: false, firstBad: { reason: 'truncated', line: 3 } });
    expect(again.log.last().seq).toBe(5);
    await again.log.close();
  });
});
