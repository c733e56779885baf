import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../shared/clock';
import { ErrorCode, type MngError } from '../../shared/errors';
import { createAuditLog, type AuditLogDeps } from './audit-log';
import { createMemoryAuditFile, type MemoryAuditFile } from './memory-audit-file';
import { auditGenesisHash, type AuditRecord, type AuditRecordRef } from './model';
import { readAuditRecords } from './read-audit';
import { parseAuditHead, sha256Hex } from './record';
import { verifyAuditLog } from './verify-audit';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const start = Date.UTC(2025, 3, 1, 0, 0, 0);

function setup(file: MemoryAuditFile = createMemoryAuditFile(), extra: Partial<AuditLogDeps> = {}) {
  const clock = createFixedClock(start);
  const errors: MngError[] = [];
  const open = () => createAuditLog({ file, clock, host: 'pc-01', reportError: (error) => errors.push(error), ...extra });
  return { file, clock, errors, open };
}

function records(bytes: Uint8Array): AuditRecord[] {
  return [...readAuditRecords(bytes)].flatMap((item) => (item.kind === 'record' ? [item.record] : []));
}

function headOf(file: MemoryAuditFile): AuditRecordRef | undefined {
  const bytes = file.headBytes();
  if (bytes === undefined) return undefined;
  const parsed = parseAuditHead(bytes);
  return parsed.ok ? { seq: parsed.value.seq, hash: parsed.value.hash } : undefined;
}

function linesOf(bytes: Uint8Array): string[] {
  const lines = decoder.decode(bytes).split('\n');
  lines.pop();
  return lines;
}

const event = (i: number) => ({ type: 'usb.blocked', severity: 'notice' as const, data: { i } });

describe('createAuditLog: appending', () => {
  it('writes chained records in call order and keeps the head on the last one', async () => {
    const { file, clock, open } = setup();
    const log = await open();
    expect(log.opened).toMatchObject({ created: true, head: 'absent', appended: [] });
    expect(log.last()).toEqual({ seq: 0, hash: auditGenesisHash });
    const first = await log.append(event(0));
    clock.advanceMs(1500);
    const second = await log.append({ type: 'policy.applied', severity: 'info', data: { version: 3 } });
    const lines = linesOf(file.bytes());
    expect(first).toEqual({ seq: 1, hash: sha256Hex(lines[0] as string) });
    expect(second).toEqual({ seq: 2, hash: sha256Hex(lines[1] as string) });
    expect(JSON.parse(lines[1] as string)).toEqual({
      v: 1,
      seq: 2,
      time: '2025-04-01T00:00:01.500Z',
      type: 'policy.applied',
      severity: 'info',
      host: 'pc-01',
      data: { version: 3 },
      prev: first.hash,
    });
    expect(log.last()).toEqual(second);
    expect(headOf(file)).toEqual(second);
    expect(verifyAuditLog(file.bytes(), second)).toMatchObject({ ok: true, records: 2 });
  });

  it('continues seq and prev when the log is opened again', async () => {
    const { file, open } = setup();
    const first = await open();
    await first.append(event(0));
    const before = await first.append(event(1));
    await first.close();
    const second = await open();
    expect(second.opened).toMatchObject({ created: false, head: 'matched', appended: [], verify: { ok: true, records: 2 } });
    expect(second.last()).toEqual(before);
    const after = await second.append(event(2));
    expect(after.seq).toBe(3);
    expect(records(file.bytes())[2]?.prev).toBe(before.hash);
    expect(verifyAuditLog(file.bytes(), headOf(file))).toMatchObject({ ok: true, records: 3 });
  });

  it('writes 1000 concurrent appends in call order, grouped into few writes, as a valid chain', async () => {
    const file = createMemoryAuditFile();
    let writes = 0;
    const counting: MemoryAuditFile = {
      ...file,
      append: async (bytes) => {
        writes += 1;
        await file.append(bytes);
      },
    };
    const { open } = setup(counting);
    const log = await open();
    const refs = await Promise.all(Array.from({ length: 1000 }, (_, i) => log.append(event(i))));
    expect(refs.map((ref) => ref.seq)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(records(file.bytes()).map((record) => record.data.i)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(verifyAuditLog(file.bytes(), headOf(file))).toMatchObject({ ok: true, records: 1000, lastSeq: 1000 });
    // Group commit: each write + fsync carries every event that queued up meanwhile (≤ 256).
    expect(writes).toBeGreaterThanOrEqual(4);
    expect(writes).toBeLessThan(20);
  });

  it('writes what the data was at the time of the call', async () => {
    const { file, open } = setup();
    const log = await open();
    const data: Record<string, unknown> = { user: 'tanaka' };
    const pending = log.append({ type: 'mfa.passed', severity: 'info', data });
    data.user = 'changed';
    await pending;
    expect(records(file.bytes())[0]?.data).toEqual({ user: 'tanaka' });
  });

  it('refuses malformed events without disturbing the chain', async () => {
    const { file, open } = setup(createMemoryAuditFile(), { maxRecordBytes: 1024 });
    const log = await open();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const refused = [
      { type: 'USB blocked', severity: 'info', data: {} },
      { type: 'usb', severity: 'info', data: {} },
      { type: 'usb.blocked', severity: 'critical', data: {} },
      { type: 'usb.blocked', severity: 'info', data: { big: 1n } },
      { type: 'usb.blocked', severity: 'info', data: cyclic },
      { type: 'usb.blocked', severity: 'info', data: { text: 'x'.repeat(2000) } },
    ] as const;
    for (const bad of refused) {
      await expect(log.append(bad as never)).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
    }
    await log.append(event(1));
    expect(verifyAuditLog(file.bytes())).toMatchObject({ ok: true, records: 1 });
  });

  it('refuses a host name that would garble the log', async () => {
    const { file, clock } = setup();
    await expect(createAuditLog({ file, clock, host: 'pc 01\n', reportError: () => undefined })).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
  });

  it('writes any JSON data so that it verifies and reads back equal', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })), { minLength: 1, maxLength: 5 }), async (datas) => {
        const { file, open } = setup();
        const log = await open();
        for (const data of datas) await log.append({ type: 'test.data', severity: 'info', data });
        expect(verifyAuditLog(file.bytes(), headOf(file))).toMatchObject({ ok: true, records: datas.length });
        expect(records(file.bytes()).map((record) => record.data)).toEqual(datas.map((data) => JSON.parse(JSON.stringify(data))));
      }),
      { numRuns: 100 },
    );
  });

  it('refuses appends after close and settles flush', async () => {
    const { open } = setup();
    const log = await open();
    const pending = log.append(event(1));
    await log.flush();
    await expect(pending).resolves.toMatchObject({ seq: 1 });
    await log.close();
    await expect(log.append(event(2))).rejects.toMatchObject({ code: ErrorCode.AuditWriteFailed });
  });
});

describe('createAuditLog: when the disk fails', () => {
  it('rejects the failed append and all later ones; reopening repairs the partial line and continues', async () => {
    const { file, open } = setup();
    const log = await open();
    await log.append(event(0));
    file.failNext('append', 17);
    await expect(log.append(event(1))).rejects.toMatchObject({ code: ErrorCode.AuditWriteFailed });
    await expect(log.append(event(2))).rejects.toMatchObject({ code: ErrorCode.AuditWriteFailed });
    const reopened = await open();
    expect(reopened.opened.tailRepair).toMatchObject({ action: 'moved-aside', bytes: 17, line: 2 });
    await reopened.append(event(3));
    expect(verifyAuditLog(file.bytes(), headOf(file))).toMatchObject({ ok: true });
    expect(records(file.bytes()).map((record) => record.type)).toEqual(['usb.blocked', 'audit.tail-repaired', 'usb.blocked']);
  });

  it('fails the start, and closes the file, when what opening must record cannot be written', async () => {
    const { file, open } = setup();
    const log = await open();
    await log.append(event(0));
    await log.close();
    file.setBytes(new Uint8Array([...file.bytes(), 0x7b]));
    file.failNext('append');
    await expect(open()).rejects.toMatchObject({ code: ErrorCode.AuditWriteFailed });
    await expect(file.read(0, 1)).rejects.toThrow(/not open/);
    // The torn byte was moved aside before the record of it failed: the side file is the evidence
    // (docs/audit.md §5 step 5 compares side files with tail-repaired records).
    expect([...file.sideFiles.values()]).toEqual([new Uint8Array([0x7b])]);
    const again = await open();
    expect(verifyAuditLog(file.bytes(), headOf(file))).toMatchObject({ ok: true });
    expect(again.last().seq).toBe(1);
  });

  it('resolves an append whose head write failed, reports it, and writes the head next time', async () => {
    const { file, open, errors } = setup();
    const log = await open();
    await log.append(event(0));
    file.failNext('writeHead');
    const second = await log.append(event(1));
    expect(errors).toHaveLength(1);
    expect(headOf(file)?.seq).toBe(1);
    const third = await log.append(event(2));
    expect(headOf(file)).toEqual(third);
    expect(second.seq).toBe(2);
  });
});

describe('createAuditLog: opening a damaged log', () => {
  async function written(count: number) {
    const ctx = setup();
    const log = await ctx.open();
    for (let i = 0; i < count; i += 1) {
      await log.append(event(i));
      ctx.clock.advanceMs(1000);
    }
    await log.close();
    return ctx;
  }

  it('moves a torn tail to a side file, cuts it off, records it, and the chain verifies', async () => {
    const ctx = await written(3);
    const intact = ctx.file.bytes();
    const torn = encoder.encode('{"v":1,"seq":4,"time":"2025-04-01T00:0');
    ctx.file.setBytes(new Uint8Array([...intact, ...torn]));
    const log = await ctx.open();
    const [sidePath, sideBytes] = [...ctx.file.sideFiles][0] ?? [];
    expect(sidePath).toBe('/memory/audit.jsonl.torn-4-20250401T000003000Z');
    expect(sideBytes).toEqual(torn);
    expect(log.opened.tailRepair).toEqual({ action: 'moved-aside', line: 4, bytes: torn.length, sha256: sha256Hex(torn), sideFile: sidePath });
    const all = records(ctx.file.bytes());
    expect(all.at(-1)).toMatchObject({
      seq: 4,
      type: 'audit.tail-repaired',
      severity: 'warning',
      data: { action: 'moved-aside', line: 4, bytes: torn.length, sha256: sha256Hex(torn), sideFile: sidePath },
    });
    expect(ctx.file.bytes().subarray(0, intact.length)).toEqual(intact);
    expect(verifyAuditLog(ctx.file.bytes(), headOf(ctx.file))).toMatchObject({ ok: true, records: 4 });
  });

  it('never overwrites an earlier side file', async () => {
    const ctx = await written(1);
    const intact = ctx.file.bytes();
    ctx.file.setBytes(new Uint8Array([...intact, 0x41]));
    await (await ctx.open()).close();
    // The same torn position again at the same time: the side file name is taken.
    ctx.file.setBytes(new Uint8Array([...intact, 0x43]));
    ctx.file.setHeadBytes(undefined);
    await (await ctx.open()).close();
    expect([...ctx.file.sideFiles.values()].map((bytes) => decoder.decode(bytes))).toEqual(['A', 'C']);
    expect([...ctx.file.sideFiles.keys()][1]).toMatch(/-1$/);
  });

  it('completes a last record that only lacks its newline instead of moving it', async () => {
    const ctx = await written(3);
    const bytes = ctx.file.bytes();
    ctx.file.setBytes(bytes.subarray(0, bytes.length - 1));
    ctx.file.setHeadBytes(undefined);
    const log = await ctx.open();
    expect(log.opened.tailRepair).toMatchObject({ action: 'newline-added', line: 3 });
    expect(ctx.file.sideFiles.size).toBe(0);
    expect(log.last().seq).toBe(5);
    expect(records(ctx.file.bytes()).map((record) => record.type)).toEqual([
      'usb.blocked',
      'usb.blocked',
      'usb.blocked',
      'audit.tail-repaired',
      'audit.head-invalid',
    ]);
    expect(verifyAuditLog(ctx.file.bytes(), headOf(ctx.file)).ok).toBe(true);
  });

  it('raises one alert for a broken chain, not one per restart, and a new one for new damage', async () => {
    const ctx = await written(5);
    const lines = linesOf(ctx.file.bytes());
    ctx.file.setBytes(encoder.encode([lines[0], lines[1], lines[3], lines[4]].map((line) => `${line}\n`).join('')));
    const first = await ctx.open();
    expect(first.opened.verify).toMatchObject({ ok: false, firstBad: { line: 3, seq: 4, reason: 'deleted' } });
    expect(first.opened.appended).toHaveLength(1);
    const alert = records(ctx.file.bytes()).at(-1);
    expect(alert).toMatchObject({
      type: 'audit.chain-broken-detected',
      severity: 'alert',
      data: { firstBad: { line: 3, seq: 4, reason: 'deleted' }, problemCount: 1, issues: [{ line: 3, seq: 4, reason: 'deleted' }] },
    });
    await first.close();

    const second = await ctx.open();
    expect(second.opened.verify).toMatchObject({ ok: false, firstBad: { line: 3, acknowledged: { seq: 6 } } });
    expect(second.opened.appended).toEqual([]);
    await second.append(event(9));
    await second.close();

    // New damage: the first record's data edited.
    const now = linesOf(ctx.file.bytes());
    now[0] = (now[0] as string).replace('"i":0', '"i":7');
    ctx.file.setBytes(encoder.encode(now.map((line) => `${line}\n`).join('')));
    const third = await ctx.open();
    expect(third.opened.appended).toHaveLength(1);
    expect(records(ctx.file.bytes()).at(-1)).toMatchObject({
      type: 'audit.chain-broken-detected',
      data: { firstBad: { line: 1, seq: 1, reason: 'edited' }, problemCount: 1 },
    });
  });

  it('keeps the gap visible when records were cut off the end: seq continues after the head', async () => {
    const ctx = await written(5);
    const oldHead = headOf(ctx.file) as AuditRecordRef;
    const lines = linesOf(ctx.file.bytes());
    ctx.file.setBytes(encoder.encode(lines.slice(0, 3).map((line) => `${line}\n`).join('')));
    const log = await ctx.open();
    expect(log.opened.verify).toMatchObject({ ok: false, firstBad: { line: 4, seq: 4, reason: 'truncated' } });
    const alert = records(ctx.file.bytes()).at(-1);
    expect(alert).toMatchObject({ seq: 6, type: 'audit.chain-broken-detected', data: { gap: { afterSeq: 3, nextSeq: 6 }, head: oldHead } });
    expect(log.last().seq).toBe(6);
    await log.close();

    // The gap is reported for ever, as acknowledged by the alert that stands right after it.
    const later = verifyAuditLog(ctx.file.bytes(), headOf(ctx.file));
    expect(later).toMatchObject({ ok: false, firstBad: { line: 4, seq: 6, reason: 'seq-gap', acknowledged: { line: 4, seq: 6 } } });
    const againstOldAnchor = verifyAuditLog(ctx.file.bytes(), oldHead);
    expect(againstOldAnchor).toMatchObject({ ok: false, firstBad: { line: 4, seq: 6, acknowledged: { line: 4 } } });
    const reopened = await ctx.open();
    expect(reopened.opened.appended).toEqual([]);
  });

  it('raises an alert for an edited last record; the old head still shows it, acknowledged', async () => {
    const ctx = await written(3);
    const oldHead = headOf(ctx.file) as AuditRecordRef;
    const lines = linesOf(ctx.file.bytes());
    lines[2] = (lines[2] as string).replace('"i":2', '"i":8');
    ctx.file.setBytes(encoder.encode(lines.map((line) => `${line}\n`).join('')));
    const log = await ctx.open();
    expect(log.opened).toMatchObject({ head: 'mismatch', verify: { ok: false, firstBad: { line: 3, seq: 3, reason: 'edited' } } });
    await log.close();
    const now = verifyAuditLog(ctx.file.bytes(), headOf(ctx.file));
    expect(now).toMatchObject({ ok: true, integrityEvents: [{ line: 4, type: 'audit.chain-broken-detected', severity: 'alert' }] });
    expect(verifyAuditLog(ctx.file.bytes(), oldHead)).toMatchObject({ ok: false, firstBad: { line: 3, reason: 'edited', acknowledged: { line: 4 } } });
  });

  it('records a missing head as a warning and an unreadable head as an alert, then writes a good head', async () => {
    const ctx = await written(2);
    ctx.file.setHeadBytes(undefined);
    const missing = await ctx.open();
    expect(missing.opened.head).toBe('missing');
    expect(records(ctx.file.bytes()).at(-1)).toMatchObject({ type: 'audit.head-invalid', severity: 'warning', data: { state: 'missing' } });
    expect(headOf(ctx.file)).toEqual(missing.last());
    await missing.close();

    ctx.file.setHeadBytes(encoder.encode('{"seq": "three"}'));
    const invalid = await ctx.open();
    expect(invalid.opened.head).toBe('invalid');
    expect(records(ctx.file.bytes()).at(-1)).toMatchObject({ type: 'audit.head-invalid', severity: 'alert', data: { state: 'invalid' } });
    expect(headOf(ctx.file)).toEqual(invalid.last());
  });

  it('renews a head that lags behind the log without writing a record', async () => {
    const ctx = await written(3);
    const lines = linesOf(ctx.file.bytes());
    ctx.file.setHeadBytes(encoder.encode(`{"v":1,"seq":2,"hash":"${sha256Hex(lines[1] as string)}"}\n`));
    const log = await ctx.open();
    expect(log.opened).toMatchObject({ head: 'matched', appended: [] });
    expect(headOf(ctx.file)).toEqual({ seq: 3, hash: sha256Hex(lines[2] as string) });
  });
});
