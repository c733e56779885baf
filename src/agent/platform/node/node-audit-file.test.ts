import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../shared/errors';
import { needTools } from '../../../../test/helpers/system-tools';
import { createNodeAuditFile, openRegularFileChunks, readAuditHeadFile } from './node-audit-file';

let work: string;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'mng-audit-file-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
let counter = 0;
function fresh(name = 'audit.jsonl'): string {
  counter += 1;
  const dir = path.join(work, `case-${counter}`);
  mkdirSync(dir);
  return path.join(dir, name);
}

describe('createNodeAuditFile', () => {
  it('creates the log 0600 and the head 0600', async () => {
    const logPath = fresh();
    const file = createNodeAuditFile(logPath);
    await file.open();
    await file.append(bytes('x\n'));
    await file.writeHead(bytes('{}\n'));
    await file.close();
    expect(statSync(logPath).mode & 0o777).toBe(0o600);
    expect(statSync(`${logPath}.head`).mode & 0o777).toBe(0o600);
    expect(existsSync(`${logPath}.head.tmp`)).toBe(false);
  });

  it('refuses a symbolic link planted in place of the log instead of appending through it', async () => {
    const logPath = fresh();
    const victim = path.join(path.dirname(logPath), 'victim');
    writeFileSync(victim, 'precious\n');
    symlinkSync(victim, logPath);
    await expect(createNodeAuditFile(logPath).open()).rejects.toMatchObject({ code: ErrorCode.AuditWriteFailed });
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
  });

  it('refuses a directory in place of the log', async () => {
    const logPath = fresh();
    mkdirSync(logPath);
    await expect(createNodeAuditFile(logPath).open()).rejects.toMatchObject({ code: expect.stringMatching(/NOT_REGULAR_FILE|AUDIT_WRITE_FAILED/) });
  });

  it('does not write the head through a symbolic link planted at its temp file', async () => {
    const logPath = fresh();
    const victim = path.join(path.dirname(logPath), 'victim');
    writeFileSync(victim, 'precious\n');
    symlinkSync(victim, `${logPath}.head.tmp`);
    const file = createNodeAuditFile(logPath);
    await file.open();
    await file.writeHead(bytes('{"seq":1}\n'));
    await file.close();
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(readFileSync(`${logPath}.head`, 'utf8')).toBe('{"seq":1}\n');
  });

  it('reports a head that is not a regular file as unreadable', async () => {
    const logPath = fresh();
    mkdirSync(`${logPath}.head`);
    const file = createNodeAuditFile(logPath);
    await file.open();
    expect(await file.readHead()).toMatchObject({ state: 'unreadable', reason: { en: expect.stringContaining('directory') } });
    await file.close();
  });
});

describe.skipIf(!needTools('mkfifo'))('FIFOs never block', () => {
  it('refuses a FIFO in place of the log without hanging', async () => {
    const logPath = fresh();
    expect(spawnSync('mkfifo', [logPath]).status).toBe(0);
    const started = Date.now();
    await expect(createNodeAuditFile(logPath).open()).rejects.toMatchObject({ code: ErrorCode.NotRegularFile });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses a FIFO given to the reader without hanging', async () => {
    const fifo = fresh('pipe');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    await expect(openRegularFileChunks(fifo)).rejects.toMatchObject({ code: ErrorCode.NotRegularFile, text: { en: expect.stringContaining('FIFO') } });
    expect(await readAuditHeadFile(fifo)).toMatchObject({ state: 'unreadable' });
  });
});

describe('openRegularFileChunks', () => {
  it('reads a file in chunks up to the size it had when opened', async () => {
    const file = fresh('log');
    writeFileSync(file, 'abcdef');
    const reader = await openRegularFileChunks(file);
    writeFileSync(file, 'abcdefghij');
    expect(reader.sizeBytes).toBe(6);
    expect(await reader.read(0, 4)).toEqual(bytes('abcd'));
    expect(await reader.read(4, 4)).toEqual(bytes('ef'));
    await reader.close();
  });

  it('refuses a directory, a device, and a missing file with clear codes', async () => {
    await expect(openRegularFileChunks(work)).rejects.toMatchObject({ code: ErrorCode.NotRegularFile });
    await expect(openRegularFileChunks('/dev/zero')).rejects.toMatchObject({ code: ErrorCode.NotRegularFile });
    await expect(openRegularFileChunks(path.join(work, 'nope'))).rejects.toMatchObject({ code: ErrorCode.FileUnreadable, cause: { code: 'ENOENT' } });
  });

  it('reads a missing head file as missing', async () => {
    expect(await readAuditHeadFile(path.join(work, 'nope.head'))).toEqual({ state: 'missing' });
  });
});
