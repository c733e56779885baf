import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, MngError } from '../../../shared/errors';
import { needTools } from '../../../../test/helpers/system-tools';
import { readRegularFile, readRegularFileSync } from './bounded-file';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mng-bounded-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function failure(promise: Promise<unknown>): Promise<MngError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MngError);
  return error as MngError;
}

function failureSync(fn: () => unknown): MngError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MngError);
    return error as MngError;
  }
  throw new Error('expected an MngError');
}

describe('readRegularFile', () => {
  it('reads a regular file up to maxBytes, async and sync', async () => {
    const file = path.join(dir, 'ok.txt');
    writeFileSync(file, 'hello');
    expect((await readRegularFile(file, { maxBytes: 5 })).toString()).toBe('hello');
    expect(readRegularFileSync(file, { maxBytes: 5 }).toString()).toBe('hello');
    const empty = path.join(dir, 'empty.txt');
    writeFileSync(empty, '');
    expect((await readRegularFile(empty, { maxBytes: 0 })).length).toBe(0);
  });

  it('refuses a 50 MB file without reading it (FileTooLarge)', async () => {
    const file = path.join(dir, 'big.bin');
    writeFileSync(file, '');
    truncateSync(file, 50 * 1024 * 1024); // sparse: costs no disk
    const started = Date.now();
    const error = await failure(readRegularFile(file, { maxBytes: 2 * 1024 * 1024 }));
    expect(error.code).toBe(ErrorCode.FileTooLarge);
    expect(error.text.en).toContain('52428800 bytes');
    expect(error.text.ja).toContain('大きすぎます');
    expect(error.hint).toBeDefined();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(failureSync(() => readRegularFileSync(file, { maxBytes: 1024 })).code).toBe(ErrorCode.FileTooLarge);
  });

  it('refuses a directory (NotRegularFile)', async () => {
    const error = await failure(readRegularFile(dir, { maxBytes: 1024 }));
    expect(error.code).toBe(ErrorCode.NotRegularFile);
    expect(error.text.en).toContain('a directory');
    expect(error.text.ja).toContain('フォルダ');
    expect(failureSync(() => readRegularFileSync(dir, { maxBytes: 1024 })).code).toBe(ErrorCode.NotRegularFile);
  });

  it('refuses a device file', async () => {
    const error = await failure(readRegularFile('/dev/zero', { maxBytes: 1024 }));
    expect(error.code).toBe(ErrorCode.NotRegularFile);
    expect(error.text.en).toContain('device');
  });

  describe.skipIf(!needTools('mkfifo'))('FIFO', () => {
    it('refuses a FIFO without hanging, even with no writer', async () => {
      const fifo = path.join(dir, 'pipe');
      expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
      const error = await failure(readRegularFile(fifo, { maxBytes: 1024 }));
      expect(error.code).toBe(ErrorCode.NotRegularFile);
      expect(error.text.en).toContain('FIFO');
      expect(failureSync(() => readRegularFileSync(fifo, { maxBytes: 1024 })).code).toBe(ErrorCode.NotRegularFile);
    }, 5000);
  });

  describe('socket', () => {
    let server: Server;
    const socketPath = () => path.join(dir, 'sock');
    beforeAll(async () => {
      server = createServer();
      await new Promise<void>((resolve) => server.listen(socketPath(), resolve));
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    it('refuses a Unix socket', async () => {
      const error = await failure(readRegularFile(socketPath(), { maxBytes: 1024 }));
      expect(error.code).toBe(ErrorCode.NotRegularFile);
    });
  });

  it.each([
    ['a missing file', () => path.join(dir, 'missing'), 'no such file'],
    ['a path through a file', () => path.join(dir, 'ok.txt', 'x'), 'not a directory'],
    [
      'a symlink loop',
      () => {
        const a = path.join(dir, 'loop-a');
        symlinkSync(path.join(dir, 'loop-b'), a);
        symlinkSync(a, path.join(dir, 'loop-b'));
        return a;
      },
      'symbolic links',
    ],
  ])('maps %s to FileUnreadable with a clear message', async (_name, makePath, fragment) => {
    const file = makePath();
    const error = await failure(readRegularFile(file, { maxBytes: 1024 }));
    expect(error.code).toBe(ErrorCode.FileUnreadable);
    expect(error.text.en).toContain(file);
    expect(error.text.en).toContain(fragment);
    expect(error.text.ja).toContain(file);
    expect(error.hint).toBeDefined();
  });

  it('rejects a bad maxBytes as a programming error', async () => {
    await expect(readRegularFile(dir, { maxBytes: -1 })).rejects.toBeInstanceOf(RangeError);
  });
});
