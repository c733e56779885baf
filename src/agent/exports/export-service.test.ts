import { describe, expect, it } from 'vitest';
import { err, ok } from '../../shared/result';
import { systemClock } from '../../shared/clock';
import type { AuditEventInput } from '../audit';
import { createExportLedger } from './export-service';
import { createLedgerStore } from './ledger-store';
import { serializeLedgerRecord } from './ledger-line';
import type { ExportAction, ExportRecord } from './model';
import type { ScannedEntry, FileDisposer, FileEvent, FileEventSource, FileHashResult, FileHasher, LedgerFile } from './ports';

// Service logic with in-memory ports; the real adapters are exercised in test/e2e/exports.test.ts.
function rig(action: ExportAction, options: { hash?: (path: string, attempt: number) => FileHashResult; disposer?: FileDisposer; ledgerText?: string; scan?: ScannedEntry[] } = {}) {
  let emit: (event: FileEvent) => void = () => undefined;
  const events: FileEventSource = {
    watch(_root, onEvent) {
      emit = onEvent;
      return { ready: Promise.resolve(), close: () => Promise.resolve() };
    },
    scan: () => Promise.resolve(options.scan ?? []),
  };
  const attempts = new Map<string, number>();
  const hasher: FileHasher = {
    hash(path) {
      const attempt = (attempts.get(path) ?? 0) + 1;
      attempts.set(path, attempt);
      const result: FileHashResult = options.hash?.(path, attempt) ?? { state: 'hashed', kind: 'file', sha256: 'a'.repeat(64), facts: { sizeBytes: 1, mtimeMs: 1, uid: 1000 }, stable: true };
      return Promise.resolve(result);
    },
  };
  let text = options.ledgerText ?? '';
  const file: LedgerFile = {
    append: (t) => {
      text += t;
      return Promise.resolve();
    },
    read: () => Promise.resolve(text === '' ? undefined : text),
  };
  const audit: AuditEventInput[] = [];
  const records: ExportRecord[] = [];
  const disposer: FileDisposer = options.disposer ?? { quarantine: () => Promise.resolve(ok({ quarantinePath: '/q/1' })), remove: () => Promise.resolve(ok(undefined)) };
  const ledger = createExportLedger({
    destinations: [{ id: 'd', path: '/m', action, volume: { mountPoint: '/m', serial: 'S1' } }],
    events,
    hasher,
    store: createLedgerStore(file),
    disposer,
    users: { userName: (uid) => Promise.resolve(uid === 1000 ? 'taro' : undefined) },
    audit: { append: (e) => (audit.push(e), Promise.resolve({ seq: audit.length, hash: '' })) },
    clock: systemClock,
    reportFault: (error) => {
      throw error;
    },
    settleMs: 5,
    rescanIntervalMs: 0,
    onRecord: (r) => records.push(r),
  });
  return { ledger, emit: (e: FileEvent) => emit(e), records, audit, attempts };
}

describe('createExportLedger', () => {
  it('debounces a burst of events on one path into one record, and skips an unchanged re-settle', async () => {
    const r = rig('record');
    await r.ledger.start();
    r.emit({ type: 'add', path: '/m/a' });
    r.emit({ type: 'change', path: '/m/a' });
    r.emit({ type: 'change', path: '/m/a' });
    await new Promise((resolve) => setTimeout(resolve, 30));
    await r.ledger.idle();
    r.emit({ type: 'change', path: '/m/a' }); // same bytes, same mtime: no second record
    await new Promise((resolve) => setTimeout(resolve, 30));
    await r.ledger.idle();
    expect(r.records).toHaveLength(1);
    expect(r.records[0]).toMatchObject({ path: '/m/a', outcome: 'recorded', user: 'taro', volume: { serial: 'S1', mountPoint: '/m' } });
    expect(r.audit.map((e) => [e.type, e.severity])).toEqual([['export.recorded', 'info']]);
  });

  it('re-hashes a file that keeps changing and records the first hash too', async () => {
    const r = rig('record', {
      hash: (_path, attempt) => ({ state: 'hashed', kind: 'file', sha256: String(attempt).repeat(64), facts: { sizeBytes: attempt, mtimeMs: attempt, uid: 7 }, stable: attempt >= 2 }),
    });
    await r.ledger.start();
    r.emit({ type: 'add', path: '/m/b' });
    await new Promise((resolve) => setTimeout(resolve, 30));
    await r.ledger.idle();
    expect(r.records[0]).toMatchObject({ outcome: 'changed-while-hashed', previousSha256: '1'.repeat(64), sha256: '2'.repeat(64), user: 'uid:7' });
  });

  it('a failed delete is an alert record with the reason; the file counts as still there', async () => {
    const r = rig('delete', { disposer: { quarantine: () => Promise.resolve(err({ reason: 'EROFS' })), remove: () => Promise.resolve(err({ reason: 'EROFS' })) } });
    await r.ledger.start();
    r.emit({ type: 'add', path: '/m/c' });
    await new Promise((resolve) => setTimeout(resolve, 30));
    await r.ledger.idle();
    expect(r.records[0]).toMatchObject({ outcome: 'action-failed', reason: 'EROFS', action: 'delete' });
    expect(r.audit[0]?.severity).toBe('alert');
  });

  it('an unlink before the settle hashes at once and records the vanished file', async () => {
    const r = rig('record', { hash: () => ({ state: 'vanished' }) });
    await r.ledger.start();
    r.emit({ type: 'add', path: '/m/d' });
    r.emit({ type: 'unlink', path: '/m/d' });
    await r.ledger.idle();
    expect(r.records).toEqual([expect.objectContaining({ path: '/m/d', outcome: 'vanished-before-hash' })]);
  });

  it('start() reads the ledger and rescans: only files not yet recorded (or changed) are hashed', async () => {
    const known: ExportRecord = { path: '/m/e', destinationId: 'd', volume: { mountPoint: '/m' }, kind: 'file', sizeBytes: 1, sha256: 'a'.repeat(64), mtimeMs: 1, time: '2026-11-26T00:00:00.000Z', action: 'record', outcome: 'recorded' };
    const r = rig('record', {
      ledgerText: `${serializeLedgerRecord(known)}\n`,
      scan: [
        { path: '/m/e', kind: 'file', sizeBytes: 1, mtimeMs: 1 },
        { path: '/m/f', kind: 'file', sizeBytes: 1, mtimeMs: 1 },
      ],
    });
    await r.ledger.start();
    await r.ledger.idle();
    expect(r.records.map((x) => x.path)).toEqual(['/m/f']);
    expect(r.attempts.has('/m/e')).toBe(false);
  });
});
