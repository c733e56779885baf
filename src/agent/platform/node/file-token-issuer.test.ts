import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../shared/errors';
import { createFileTokenIssuer } from './file-token-issuer';

const isRoot = process.getuid?.() === 0;

describe('createFileTokenIssuer', () => {
  let base: string;
  beforeEach(() => {
    base = mkdtempSync(path.join(tmpdir(), 'mng-tokens-'));
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('issue writes 64 hex digits to <dir>/<uid>; verify accepts exactly the current token', async () => {
    const dir = path.join(base, 'tokens');
    const issuer = createFileTokenIssuer({ dir });
    await issuer.issue(1001);
    const first = readFileSync(path.join(dir, '1001'), 'utf8').trim();
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(await issuer.verify(1001, first)).toBe(true);
    expect(await issuer.verify(1002, first)).toBe(false);
    expect(await issuer.verify(1001, first.replace(/.$/, (c) => (c === '0' ? '1' : '0')))).toBe(false);
    expect(await issuer.verify(1001, '')).toBe(false);
    await issuer.issue(1001);
    expect(await issuer.verify(1001, first)).toBe(false);
    // No temporary files are left behind.
    expect(readdirSync(dir)).toEqual(['1001']);
    await issuer.revoke(1001);
    await issuer.revoke(1001);
    expect(readdirSync(dir)).toEqual([]);
    expect(await issuer.verify(1001, first)).toBe(false);
  });

  it('a planted file does not count: only tokens issued by this agent verify', async () => {
    const dir = path.join(base, 'tokens');
    const issuer = createFileTokenIssuer({ dir });
    await issuer.issue(0);
    writeFileSync(path.join(dir, '1001'), 'a'.repeat(64));
    expect(await issuer.verify(1001, 'a'.repeat(64))).toBe(false);
  });

  it.skipIf(!isRoot)('folder 0711 owned by the agent, file 0400 owned by the uid (root only: chown)', async () => {
    const dir = path.join(base, 'tokens');
    mkdirSync(dir, { mode: 0o777 });
    chmodSync(dir, 0o777);
    const issuer = createFileTokenIssuer({ dir });
    await issuer.issue(1001);
    const folder = lstatSync(dir);
    expect(folder.mode & 0o7777).toBe(0o711);
    const file = lstatSync(path.join(dir, '1001'));
    expect(file.mode & 0o7777).toBe(0o400);
    expect([file.uid, file.gid]).toEqual([1001, 0]);
  });

  it('refuses a token folder that is a symlink or not a folder', async () => {
    const target = path.join(base, 'elsewhere');
    mkdirSync(target);
    symlinkSync(target, path.join(base, 'link'));
    await expect(createFileTokenIssuer({ dir: path.join(base, 'link') }).issue(1)).rejects.toMatchObject({ code: ErrorCode.IpcTokenWriteFailed });
    writeFileSync(path.join(base, 'file'), '');
    await expect(createFileTokenIssuer({ dir: path.join(base, 'file') }).issue(1)).rejects.toMatchObject({ code: ErrorCode.IpcTokenWriteFailed });
    await expect(createFileTokenIssuer({ dir: path.join(base, 'x') }).issue(-1)).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
  });
});
