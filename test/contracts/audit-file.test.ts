// Contract of the AuditFile port (src/agent/audit/ports.ts), run against the node adapter and the
// in-memory fake, so the fake used by the writer's tests cannot drift from the real file.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryAuditFile } from '../../src/agent/audit/memory-audit-file';
import type { AuditFile } from '../../src/agent/audit/ports';
import { createNodeAuditFile } from '../../src/agent/platform/node';

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function freshLogPath(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'mng-audit-contract-'));
  roots.push(root);
  return path.join(root, 'audit.jsonl');
}

interface Subject {
  readonly file: AuditFile;
  /** Reads a side file the adapter made. */
  readSide(sidePath: string): Uint8Array | undefined;
}

const subjects: [string, () => Subject][] = [
  [
    'node',
    () => ({
      file: createNodeAuditFile(freshLogPath()),
      readSide: (sidePath) => (existsSync(sidePath) ? new Uint8Array(readFileSync(sidePath)) : undefined),
    }),
  ],
  [
    'memory',
    () => {
      const file = createMemoryAuditFile();
      return { file, readSide: (sidePath) => file.sideFiles.get(sidePath) };
    },
  ],
];

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe.each(subjects)('AuditFile contract: %s', (_name, create) => {
  it('creates a missing log on open, and opens it again with its size', async () => {
    const { file } = create();
    expect(await file.open()).toEqual({ sizeBytes: 0, created: true });
    await file.append(bytes('abc\n'));
    await file.close();
    expect(await file.open()).toEqual({ sizeBytes: 4, created: false });
    await file.close();
  });

  it('appends at the end and reads back any range; fewer bytes only at the end', async () => {
    const { file } = create();
    await file.open();
    await file.append(bytes('line one\n'));
    await file.append(bytes('line two\n'));
    expect(await file.read(0, 9)).toEqual(bytes('line one\n'));
    expect(await file.read(9, 100)).toEqual(bytes('line two\n'));
    expect(await file.read(18, 10)).toEqual(new Uint8Array(0));
    await file.close();
  });

  it('moves the tail aside into a new side file before cutting it off, never overwriting one', async () => {
    const { file, readSide } = create();
    await file.open();
    await file.append(bytes('kept\ntorn'));
    const first = await file.moveTailAside(5, '.torn-2-20250401T000000000Z');
    expect(first).toBe(`${file.path}.torn-2-20250401T000000000Z`);
    expect(readSide(first)).toEqual(bytes('torn'));
    expect(await file.read(0, 100)).toEqual(bytes('kept\n'));
    await file.append(bytes('again'));
    const second = await file.moveTailAside(5, '.torn-2-20250401T000000000Z');
    expect(second).toBe(`${first}-1`);
    expect(readSide(second)).toEqual(bytes('again'));
    expect(readSide(first)).toEqual(bytes('torn'));
    await file.append(bytes('next\n'));
    expect(await file.read(0, 100)).toEqual(bytes('kept\nnext\n'));
    await file.close();
  });

  it('reads a missing head as missing, and back what was written last', async () => {
    const { file } = create();
    await file.open();
    expect(await file.readHead()).toEqual({ state: 'missing' });
    await file.writeHead(bytes('{"seq":1}\n'));
    await file.writeHead(bytes('{"seq":2}\n'));
    expect(await file.readHead()).toEqual({ state: 'present', bytes: bytes('{"seq":2}\n') });
    await file.close();
  });
});
