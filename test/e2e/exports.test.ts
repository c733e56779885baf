// Export ledger on real files (issue #4 item 2): chokidar on a temp folder, the node hasher,
// the JSONL ledger file and the disposer. Every test writes real bytes and checks the record.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, rename, stat, symlink, unlink, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEventInput, AuditSink } from '../../src/agent/audit';
import {
  createExportLedger,
  createLedgerStore,
  createPasswdUserDirectory,
  type ExportAction,
  type ExportLedger,
  type ExportRecord,
  type FileEvent,
  type FileEventSource,
  type FileHasher,
} from '../../src/agent/exports';
import {
  createChokidarFileEventSource,
  createJsonlLedgerFile,
  createNodeFileDisposer,
  createNodeFileHasher,
  createPasswdFileSource,
} from '../../src/agent/platform/node';
import { systemClock } from '../../src/shared/clock';
import { hasTool, needTools } from '../helpers/system-tools';

interface Rig {
  readonly dir: string;
  readonly watched: string;
  readonly quarantine: string;
  readonly records: ExportRecord[];
  readonly audit: AuditEventInput[];
  readonly faults: unknown[];
  readonly ledger: ExportLedger;
  readonly ledgerPath: string;
}

let dir: string;
let rigs: Rig[] = [];

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mng-exports-'));
});

afterEach(async () => {
  for (const rig of rigs) await rig.ledger.stop();
  rigs = [];
  rmSync(dir, { recursive: true, force: true });
});

function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function startRig(
  action: ExportAction,
  options: { settleMs?: number; hasher?: FileHasher; concurrency?: number; events?: FileEventSource } = {},
): Promise<Rig> {
  const watched = path.join(dir, 'medium');
  const quarantine = path.join(dir, 'quarantine');
  const stateDir = path.join(dir, 'state');
  await mkdir(watched, { recursive: true });
  await mkdir(path.join(dir, 'etc'), { recursive: true });
  await writeFile(path.join(dir, 'etc/passwd'), `taro:x:${process.getuid?.() ?? 0}:1000::/home/taro:/bin/sh\nroot:x:0:0:root:/root:/bin/bash\n`);
  const records: ExportRecord[] = [];
  const audit: AuditEventInput[] = [];
  const faults: unknown[] = [];
  let seq = 0;
  const sink: AuditSink = {
    append(event) {
      audit.push(event);
      seq += 1;
      return Promise.resolve({ seq, hash: '0'.repeat(64) });
    },
  };
  const ledgerFile = createJsonlLedgerFile(stateDir);
  const ledger = createExportLedger({
    destinations: [{ id: 'medium', path: watched, action, volume: { mountPoint: watched, fsUuid: 'TEST-UUID' } }],
    events: options.events ?? createChokidarFileEventSource(),
    hasher: options.hasher ?? createNodeFileHasher(),
    store: createLedgerStore(ledgerFile),
    disposer: createNodeFileDisposer(quarantine),
    users: createPasswdUserDirectory(createPasswdFileSource(dir), systemClock),
    audit: sink,
    clock: systemClock,
    reportFault: (error) => faults.push(error),
    settleMs: options.settleMs ?? 50,
    concurrency: options.concurrency ?? 8,
    rescanIntervalMs: 0,
    onRecord: (record) => records.push(record),
  });
  await ledger.start();
  const rig = { dir, watched, quarantine, records, audit, faults, ledger, ledgerPath: ledgerFile.path };
  rigs.push(rig);
  return rig;
}

async function waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('chokidar event source on real files', () => {
  it('a destination that does not exist yet reports nothing from its parent (a symlink beside it), then what appears inside it', async () => {
    const parent = mkdtempSync(path.join(tmpdir(), 'mng-chokidar-missing-'));
    const events: FileEvent[] = [];
    const source = createChokidarFileEventSource();
    const handle = source.watch(path.join(parent, 'media'), (event) => events.push(event), () => undefined);
    try {
      await handle.ready;
      symlinkSync('/dev/shm', path.join(parent, 'shm'));
      writeFileSync(path.join(parent, 'sibling.txt'), 'x');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(events).toEqual([]);
      mkdirSync(path.join(parent, 'media'));
      await new Promise((resolve) => setTimeout(resolve, 300));
      writeFileSync(path.join(parent, 'media', 'inside.txt'), 'y');
      const inside = path.join(parent, 'media', 'inside.txt');
      const until = Date.now() + 5000;
      while (!events.some((event) => event.path === inside) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(events.map((event) => event.path).filter((file) => !file.startsWith(path.join(parent, 'media')))).toEqual([]);
      expect(events.some((event) => event.path === inside)).toBe(true);
    } finally {
      await handle.close();
      rmSync(parent, { recursive: true, force: true });
    }
  });
});

describe('export ledger on real files', () => {
  it('a written file becomes one record with the SHA-256 of its bytes, in the ledger file and the audit log', async () => {
    const rig = await startRig('record');
    const bytes = Buffer.from('マイナンバー 個人番号 export test\n'.repeat(1000));
    const file = path.join(rig.watched, '報告書.csv');
    await writeFile(file, bytes);
    await waitFor(() => rig.records.length === 1);
    await rig.ledger.idle();
    const record = rig.records[0];
    expect(record).toMatchObject({ path: file, outcome: 'recorded', kind: 'file', sizeBytes: bytes.length, sha256: sha256(bytes), user: 'taro', destinationId: 'medium' });
    expect(record?.volume).toEqual({ mountPoint: rig.watched, fsUuid: 'TEST-UUID' });
    if (hasTool('sha256sum')) {
      const out = spawnSync('sha256sum', [file], { encoding: 'utf8' }).stdout.split(' ')[0];
      expect(record?.sha256).toBe(out);
    }
    const lines = (await readFile(rig.ledgerPath, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toEqual(record);
    expect(rig.audit.filter((e) => e.type === 'export.recorded')).toHaveLength(1);
    expect((await stat(rig.ledgerPath)).mode & 0o777).toBe(0o600);
    expect(rig.faults).toEqual([]);
  });

  it('a burst of 10,000 files gives 10,000 records, none lost', async () => {
    const rig = await startRig('record', { concurrency: 16 });
    const count = 10_000;
    const sub = path.join(rig.watched, 'burst');
    await mkdir(sub);
    for (let i = 0; i < count; i += 250) {
      await Promise.all(Array.from({ length: Math.min(250, count - i) }, (_, j) => writeFile(path.join(sub, `f${i + j}.txt`), `file ${i + j}\n`)));
    }
    // Whatever the watcher missed, a rescan (as after a watcher error) must find; then all are recorded once.
    await waitFor(() => rig.records.length >= count * 0.5, 60_000);
    await rig.ledger.idle();
    await rig.ledger.rescan('medium');
    await rig.ledger.idle();
    const paths = new Set(rig.records.map((r) => r.path));
    expect(paths.size).toBe(count);
    expect(rig.records).toHaveLength(count);
    const sample = rig.records.find((r) => r.path.endsWith('/f1234.txt'));
    expect(sample?.sha256).toBe(sha256('file 1234\n'));
    expect((await readFile(rig.ledgerPath, 'utf8')).trim().split('\n')).toHaveLength(count);
  }, 120_000);

  it('a watcher error (lost events, IN_Q_OVERFLOW) triggers a rescan that records what the watcher dropped', async () => {
    const real = createChokidarFileEventSource();
    let delivered = 0;
    let reportLoss: (() => void) | undefined;
    // A watcher that loses every event after the 100th; the test then reports the loss, as an
    // overflow (IN_Q_OVERFLOW) would, once all files are written.
    const lossy: FileEventSource = {
      scan: (root) => real.scan(root),
      watch(root, onEvent, onError) {
        reportLoss = () => onError({ kind: 'overflow', message: 'IN_Q_OVERFLOW (simulated)' });
        return real.watch(
          root,
          (event) => {
            delivered += 1;
            if (delivered <= 100) onEvent(event);
          },
          onError,
        );
      },
    };
    const rig = await startRig('record', { events: lossy });
    const count = 2000;
    for (let i = 0; i < count; i += 200) {
      await Promise.all(Array.from({ length: 200 }, (_, j) => writeFile(path.join(rig.watched, `g${i + j}`), `g${i + j}`)));
    }
    if (reportLoss === undefined) throw new Error('the ledger never started watching');
    reportLoss();
    await waitFor(() => rig.records.length === count, 30_000);
    await rig.ledger.idle();
    expect(new Set(rig.records.map((r) => r.path)).size).toBe(count);
    expect(rig.audit.some((e) => e.type === 'export.rescan')).toBe(true);
  }, 60_000);

  it('a rescan after lost events records files the watcher never reported (restart with a ledger)', async () => {
    await mkdir(path.join(dir, 'medium'), { recursive: true });
    await writeFile(path.join(dir, 'medium', 'before-start.txt'), 'written while the agent was down');
    const rig = await startRig('record');
    await rig.ledger.idle();
    expect(rig.records.map((r) => path.basename(r.path))).toEqual(['before-start.txt']);
  });

  it('a file deleted before it could be hashed is recorded as vanished-before-hash', async () => {
    const real = createChokidarFileEventSource();
    const seen: string[] = [];
    const observed: FileEventSource = {
      scan: (root) => real.scan(root),
      watch: (root, onEvent, onError) =>
        real.watch(
          root,
          (event) => {
            seen.push(`${event.type} ${event.path}`);
            onEvent(event);
          },
          onError,
        ),
    };
    // A long settle: the file is deleted after the watcher reported it and before it was hashed.
    const rig = await startRig('record', { settleMs: 3000, events: observed });
    const file = path.join(rig.watched, 'short-lived.tmp');
    await writeFile(file, 'gone soon');
    await waitFor(() => seen.includes(`add ${file}`));
    await unlink(file);
    await waitFor(() => rig.records.length === 1);
    expect(rig.records[0]).toMatchObject({ path: file, outcome: 'vanished-before-hash' });
    expect(rig.records[0]?.sha256).toBeUndefined();
  });

  it('a file replaced while hashed is re-hashed and records both hashes', async () => {
    const real = createNodeFileHasher();
    let swapped = false;
    const file = () => path.join(dir, 'medium', 'swap.bin');
    const hasher: FileHasher = {
      async hash(target, root) {
        const result = await real.hash(target, root);
        if (!swapped && target === file()) {
          // Replace the file between reading and the after-checks: what a writer racing us does.
          swapped = true;
          await writeFile(`${target}.new`, 'second version');
          await rename(`${target}.new`, target);
          const again = await real.hash(target, root);
          return result.state === 'hashed' && again.state === 'hashed' ? { ...result, stable: false } : result;
        }
        return result;
      },
    };
    const rig = await startRig('record', { hasher });
    await writeFile(file(), 'first version');
    await waitFor(() => rig.records.some((r) => r.outcome === 'changed-while-hashed'));
    const record = rig.records.find((r) => r.outcome === 'changed-while-hashed');
    expect(record?.previousSha256).toBe(sha256('first version'));
    expect(record?.sha256).toBe(sha256('second version'));
  });

  it('the node hasher gives the SHA-256 of every size around its small-file and chunk limits', async () => {
    const hasher = createNodeFileHasher();
    for (const size of [0, 1, 4095, 4096, 4097, 64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 1024 * 1024 + 3]) {
      const bytes = randomBytesOf(size);
      const file = path.join(dir, `size-${size}.bin`);
      await writeFile(file, bytes);
      const result = await hasher.hash(file, dir);
      expect(result, `size ${size}`).toEqual({ state: 'hashed', kind: 'file', sha256: sha256(bytes), facts: expect.objectContaining({ sizeBytes: size }), stable: true });
    }
  });

  it('the node hasher itself notices a file that grows while it is read', async () => {
    const target = path.join(dir, 'growing.bin');
    await writeFile(target, Buffer.alloc(64 * 1024 * 1024, 1));
    let done = false;
    const hashing = createNodeFileHasher()
      .hash(target, dir)
      .finally(() => {
        done = true;
      });
    // A writer appending all the time the hash runs.
    while (!done) await appendFile(target, 'more');
    const result = await hashing;
    expect(result.state).toBe('hashed');
    if (result.state === 'hashed') expect(result.stable).toBe(false);
  });

  it('a symlink swapped in is recorded as a link and never followed outside the folder', async () => {
    const secret = path.join(dir, 'outside-secret.txt');
    await writeFile(secret, 'must not be read');
    const rig = await startRig('record');
    const link = path.join(rig.watched, 'innocent.txt');
    await writeFile(link, 'first');
    await waitFor(() => rig.records.length === 1);
    await unlink(link);
    await symlink(secret, link);
    const outsideDir = path.join(dir, 'outside-dir');
    await mkdir(outsideDir);
    await writeFile(path.join(outsideDir, 'deep.txt'), 'also outside');
    await symlink(outsideDir, path.join(rig.watched, 'dirlink'));
    await waitFor(() => rig.records.some((r) => r.kind === 'symlink' && r.path === link));
    await rig.ledger.idle();
    const linkRecord = rig.records.find((r) => r.kind === 'symlink' && r.path === link);
    expect(linkRecord?.sha256).toBe(sha256(secret));
    expect(rig.records.some((r) => r.sha256 === sha256('must not be read') || r.sha256 === sha256('also outside'))).toBe(false);
    // The hasher refuses a path whose parent resolves outside the root.
    expect(await createNodeFileHasher().hash(path.join(rig.watched, 'dirlink', 'deep.txt'), rig.watched)).toEqual({ state: 'unreadable', reason: 'outside-root' });
  });

  it('a 255-byte name is recorded', async () => {
    const rig = await startRig('record');
    const name = `${'報'.repeat(84)}abc`; // 84 × 3 bytes + 3 = 255 bytes
    expect(Buffer.byteLength(name)).toBe(255);
    await writeFile(path.join(rig.watched, name), 'long name');
    await waitFor(() => rig.records.length === 1);
    expect(rig.records[0]).toMatchObject({ path: path.join(rig.watched, name), sha256: sha256('long name'), outcome: 'recorded' });
  });

  it('quarantine moves the file into a 0700 folder with the same bytes', async () => {
    const rig = await startRig('quarantine');
    const bytes = Buffer.from('個人番号一覧');
    const file = path.join(rig.watched, `${'q'.repeat(255)}`);
    await writeFile(file, bytes);
    await waitFor(() => rig.records.length === 1);
    await rig.ledger.idle();
    const record = rig.records[0];
    expect(record).toMatchObject({ path: file, outcome: 'quarantined', sha256: sha256(bytes) });
    const moved = record?.quarantinePath ?? '';
    expect(path.dirname(moved)).toBe(rig.quarantine);
    expect(await readFile(moved)).toEqual(bytes);
    expect((await stat(rig.quarantine)).mode & 0o777).toBe(0o700);
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
    expect(rig.records).toHaveLength(1); // our own unlink is not a new record
  });

  it('quarantine across file systems (medium → internal disk) copies the bytes and removes the original', async () => {
    const shm = '/dev/shm';
    if ((await stat(shm).catch(() => undefined)) === undefined || (await stat(shm)).dev === (await stat(dir)).dev) {
      process.stderr.write('skipping the EXDEV case: /dev/shm is missing or on the same file system as the temp dir\n');
      return;
    }
    const quarantine = mkdtempSync(path.join(shm, 'mng-quarantine-'));
    try {
      const file = path.join(dir, 'cross.bin');
      const bytes = Buffer.alloc(300_000, 7);
      await writeFile(file, bytes);
      const moved = await createNodeFileDisposer(path.join(quarantine, 'q')).quarantine(file);
      expect(moved.ok).toBe(true);
      if (moved.ok) expect(await readFile(moved.value.quarantinePath)).toEqual(bytes);
      await expect(stat(file)).rejects.toThrow(/ENOENT/);
      expect((await stat(path.join(quarantine, 'q'))).mode & 0o777).toBe(0o700);
    } finally {
      rmSync(quarantine, { recursive: true, force: true });
    }
  });

  it('delete removes the file and records it', async () => {
    const rig = await startRig('delete');
    const file = path.join(rig.watched, 'leak.xlsx');
    await writeFile(file, 'data');
    await waitFor(() => rig.records.length === 1);
    expect(rig.records[0]).toMatchObject({ path: file, outcome: 'deleted', sha256: sha256('data') });
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
  });
});

const isRoot = process.getuid?.() === 0;
if (!isRoot) process.stderr.write('skipping the loop-mounted ext4 medium: needs root for mount\n');

describe.skipIf(!isRoot || !needTools('mkfs.ext4', 'mount', 'umount'))('export ledger on a loop-mounted ext4 medium', () => {
  it('a file written to the medium is hashed and quarantined to the internal disk (another file system)', async () => {
    const image = path.join(dir, 'medium.img');
    const medium = path.join(dir, 'medium');
    await mkdir(medium);
    spawnSync('truncate', ['-s', '64M', image]);
    expect(spawnSync('mkfs.ext4', ['-q', '-F', image]).status).toBe(0);
    expect(spawnSync('mount', ['-o', 'loop', image, medium]).status).toBe(0);
    try {
      const rig = await startRig('quarantine');
      const bytes = randomBytesOf(1_000_000);
      const file = path.join(medium, 'to-usb.bin');
      await writeFile(file, bytes);
      await waitFor(() => rig.records.length === 1);
      await rig.ledger.idle();
      expect(rig.records[0]).toMatchObject({ path: file, outcome: 'quarantined', sha256: sha256(bytes), sizeBytes: bytes.length });
      // The quarantine is on the internal disk (another file system): the bytes were copied, then removed from the medium.
      expect(await readFile(rig.records[0]?.quarantinePath ?? '')).toEqual(bytes);
      await expect(stat(file)).rejects.toThrow(/ENOENT/);
      await rig.ledger.stop();
    } finally {
      spawnSync('umount', [medium]);
    }
  });
});

function randomBytesOf(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i += 1) bytes[i] = (i * 2654435761) >>> 24;
  return bytes;
}
