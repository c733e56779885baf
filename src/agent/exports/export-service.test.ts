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
function rig(
  action: ExportAction,
  options: { hash?: (path: string, attempt: number) => FileHashResult; disposer?: FileDisposer; ledgerText?: string; scan?: ScannedEntry[]; file?: LedgerFile; concurrency?: number; maxUncommitted?: number } = {},
) {
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
  const file: LedgerFile = options.file ?? {
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
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.maxUncommitted !== undefined ? { maxUncommitted: options.maxUncommitted } : {}),
    onRecord: (r) => records.push(r),
  });
  return { ledger, emit: (e: FileEvent) => emit(e), records, audit, attempts };
}

describe('createExportLedger', () => {
  it('never acts on a path outside its destination (a watcher reporting a sibling of a missing folder)', async () => {
    const removed: string[] = [];
    const r = rig('quarantine', {
      disposer: {
        quarantine: (path) => (removed.push(path), Promise.resolve(ok({ quarantinePath: '/q/1' }))),
        remove: (path) => (removed.push(path), Promise.resolve(ok(undefined))),
      },
      scan: [{ path: '/run/shm', kind: 'symlink', sizeBytes: 8, mtimeMs: 1 }],
    });
    await r.ledger.start();
    r.emit({ type: 'add', path: '/run/shm' });
    r.emit({ type: 'add', path: '/mx/a' });
    r.emit({ type: 'add', path: '/' });
    await new Promise((resolve) => setTimeout(resolve, 30));
    await r.ledger.idle();
    expect(r.records).toEqual([]);
    expect(removed).toEqual([]);
    // The control: a file inside it is quarantined.
    r.emit({ type: 'add', path: '/m/inside' });
    await new Promise((resolve) => setTimeout(resolve, 30));
    await r.ledger.idle();
    expect(removed).toEqual(['/m/inside']);
  });

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

  it('hashing goes on while records wait for the disk; a record counts (onRecord, idle) only once durable, in order', async () => {
    // A ledger file whose writes wait until the test opens the gate: a slow fsync.
    const written: string[] = [];
    let openGate: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const slow: LedgerFile = {
      append: async (text) => {
        await gate;
        written.push(text);
      },
      read: () => Promise.resolve(undefined),
    };
    const r = rig('record', { file: slow, concurrency: 2 });
    await r.ledger.start();
    for (let i = 0; i < 10; i += 1) r.emit({ type: 'add', path: `/m/p${i}` });
    await new Promise((resolve) => setTimeout(resolve, 50));
    // All 10 were hashed with 2 slots although none is durable yet.
    expect(r.attempts.size).toBe(10);
    expect(r.records).toEqual([]);
    let idle = false;
    const idling = r.ledger.idle().then(() => (idle = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(idle).toBe(false);
    openGate();
    await idling;
    expect(r.records.map((x) => x.path)).toEqual(Array.from({ length: 10 }, (_, i) => `/m/p${i}`));
    expect(written.join('').trim().split('\n')).toHaveLength(10);
    expect(r.audit).toHaveLength(10);
  });

  it('back-pressure: past maxUncommitted records, hashing waits for the disk', async () => {
    let openGate: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const slow: LedgerFile = { append: () => gate, read: () => Promise.resolve(undefined) };
    const r = rig('record', { file: slow, concurrency: 1, maxUncommitted: 3 });
    await r.ledger.start();
    for (let i = 0; i < 10; i += 1) r.emit({ type: 'add', path: `/m/q${i}` });
    await new Promise((resolve) => setTimeout(resolve, 50));
    // One slot: 3 commits in flight are allowed, the 4th hash holds the slot until they are durable.
    expect(r.attempts.size).toBe(4);
    openGate();
    await r.ledger.idle();
    expect(r.records).toHaveLength(10);
  });

  it('a ledger that cannot be written is reported as a fault, and the record is not counted', async () => {
    const faults: unknown[] = [];
    const broken: LedgerFile = { append: () => Promise.reject(new Error('EIO')), read: () => Promise.resolve(undefined) };
    const r = rig('record', { file: broken });
    // The rig's reportFault throws; this test needs the fault as a value.
    let emitBroken: (event: FileEvent) => void = () => undefined;
    const ledger = createExportLedger({
      destinations: [{ id: 'd', path: '/m', action: 'record', volume: { mountPoint: '/m' } }],
      events: { watch: (_root, onEvent) => ((emitBroken = onEvent), { ready: Promise.resolve(), close: () => Promise.resolve() }), scan: () => Promise.resolve([]) },
      hasher: { hash: () => Promise.resolve({ state: 'hashed', kind: 'file', sha256: 'a'.repeat(64), facts: { sizeBytes: 1, mtimeMs: 1, uid: 0 }, stable: true }) },
      store: createLedgerStore(broken),
      disposer: { quarantine: () => Promise.resolve(ok({ quarantinePath: '/q' })), remove: () => Promise.resolve(ok(undefined)) },
      users: { userName: () => Promise.resolve(undefined) },
      audit: { append: (e) => (r.audit.push(e), Promise.resolve({ seq: 1, hash: '' })) },
      clock: systemClock,
      reportFault: (error) => faults.push(error),
      settleMs: 1,
      rescanIntervalMs: 0,
      onRecord: (x) => r.records.push(x),
    });
    await ledger.start();
    emitBroken({ type: 'add', path: '/m/x' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await ledger.idle();
    expect(faults).toEqual([new Error('EIO')]);
    expect(r.records).toEqual([]);
    // The audit event (the authority) is written first; the missing index line makes the next
    // rescan record the file again rather than lose it.
    expect(r.audit.map((e) => e.type)).toEqual(['export.recorded']);
  });

  it('a folder that belongs to a nested destination is recorded there only, by events and by the rescan', async () => {
    const emitters = new Map<string, (event: FileEvent) => void>();
    const records: ExportRecord[] = [];
    const memory: LedgerFile = { append: () => Promise.resolve(), read: () => Promise.resolve(undefined) };
    const scanned: Record<string, ScannedEntry[]> = {
      '/media': [
        { path: '/media/taro/STICK/old.txt', kind: 'file', sizeBytes: 1, mtimeMs: 1 },
        { path: '/media/taro/left.txt', kind: 'file', sizeBytes: 1, mtimeMs: 1 },
      ],
      '/media/taro/STICK': [{ path: '/media/taro/STICK/old.txt', kind: 'file', sizeBytes: 1, mtimeMs: 1 }],
    };
    const ledger = createExportLedger({
      destinations: [
        { id: 'policy:/media', path: '/media', action: 'quarantine', volume: { mountPoint: '/' }, excludes: ['/media/taro/STICK'] },
        { id: 'volume:IT-1', path: '/media/taro/STICK', action: 'record', volume: { mountPoint: '/media/taro/STICK' } },
      ],
      events: {
        watch: (root, onEvent) => (emitters.set(root, onEvent), { ready: Promise.resolve(), close: () => Promise.resolve() }),
        scan: (root) => Promise.resolve(scanned[root] ?? []),
      },
      hasher: { hash: () => Promise.resolve({ state: 'hashed', kind: 'file', sha256: 'a'.repeat(64), facts: { sizeBytes: 1, mtimeMs: 2, uid: 0 }, stable: true }) },
      store: createLedgerStore(memory),
      disposer: { quarantine: () => Promise.resolve(ok({ quarantinePath: '/q' })), remove: () => Promise.resolve(ok(undefined)) },
      users: { userName: () => Promise.resolve(undefined) },
      audit: { append: () => Promise.resolve({ seq: 1, hash: '' }) },
      clock: systemClock,
      reportFault: (error) => {
        throw error;
      },
      settleMs: 1,
      rescanIntervalMs: 0,
      onRecord: (record) => records.push(record),
    });
    await ledger.start();
    await ledger.idle();
    // chokidar on /media also sees the stick's files; only the stick's destination takes them.
    emitters.get('/media')?.({ type: 'add', path: '/media/taro/STICK/new.txt' });
    emitters.get('/media/taro/STICK')?.({ type: 'add', path: '/media/taro/STICK/new.txt' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await ledger.idle();
    const seen = records.map((r) => [r.path, r.destinationId, r.outcome]).sort();
    expect(seen).toEqual([
      ['/media/taro/STICK/new.txt', 'volume:IT-1', 'recorded'],
      ['/media/taro/STICK/old.txt', 'volume:IT-1', 'recorded'],
      ['/media/taro/left.txt', 'policy:/media', 'quarantined'],
    ]);
    await ledger.stop();
  });
});
