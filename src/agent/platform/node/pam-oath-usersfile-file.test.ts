import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPamOathUsersfileFile } from './pam-oath-usersfile-file';

const uid = process.getuid?.() ?? 0;
let root: string;
let dir: string;
let location: string;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'mng-pam-usersfile-'));
  dir = path.join(root, 'etc');
  location = path.join(dir, 'users.oath');
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('createPamOathUsersfileFile', () => {
  it('reads null before the first write; creates the folder 0700 and the file 0600', async () => {
    const file = createPamOathUsersfileFile({ location, ownerUid: uid });
    expect(await file.read()).toBeNull();
    expect(await file.update((current) => `${current ?? ''}HOTP/T30/6 alice - 00\n`)).toEqual({ written: true, attempts: 1 });
    expect(readFileSync(location, 'utf8')).toBe('HOTP/T30/6 alice - 00\n');
    expect(statSync(location).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(await file.read()).toBe('HOTP/T30/6 alice - 00\n');
  });

  it('does not write when nothing changes', async () => {
    const file = createPamOathUsersfileFile({ location, ownerUid: uid });
    await file.update(() => 'a\n');
    expect(await file.update((current) => current)).toEqual({ written: false, attempts: 1 });
    expect(await file.update(() => null)).toEqual({ written: false, attempts: 1 });
  });

  it('redoes the round when the file is replaced meanwhile (as pam_oath does after a login)', async () => {
    const file = createPamOathUsersfileFile({ location, ownerUid: uid });
    await file.update(() => 'HOTP/T30/6 alice - 00\n');
    const seen: (string | null)[] = [];
    const result = await file.update((current) => {
      seen.push(current);
      if (seen.length === 1) {
        // pam_oath writes <file>.new and renames it over the file.
        writeFileSync(`${location}.new`, 'HOTP/T30/6\talice\t-\t00\t0\t123456\t2026-04-01T09:00:00L\n', { mode: 0o600 });
        renameSync(`${location}.new`, location);
      }
      return `${current}# synced\n`;
    });
    expect(result).toEqual({ written: true, attempts: 2 });
    expect(seen[1]).toContain('123456');
    expect(readFileSync(location, 'utf8')).toBe('HOTP/T30/6\talice\t-\t00\t0\t123456\t2026-04-01T09:00:00L\n# synced\n');
  });

  it('refuses a folder others can write, and a file of another owner or a symlink', async () => {
    mkdirSync(dir, { mode: 0o700 });
    chmodSync(dir, 0o777);
    const file = createPamOathUsersfileFile({ location, ownerUid: uid });
    await expect(file.read()).rejects.toThrow(/can be changed by others/);
    await expect(file.update(() => 'x')).rejects.toThrow(/can be changed by others/);
    chmodSync(dir, 0o700);

    writeFileSync(path.join(root, 'elsewhere'), 'HOTP/T30/6 mallory - 00\n');
    symlinkSync(path.join(root, 'elsewhere'), location);
    await expect(file.read()).rejects.toThrow(/not a regular file/);

    const otherOwner = createPamOathUsersfileFile({ location: path.join(dir, 'other.oath'), ownerUid: uid + 1 });
    await expect(otherOwner.read()).rejects.toThrow(/uid/);
  });
});
