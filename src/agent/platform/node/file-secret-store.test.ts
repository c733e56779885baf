import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, MngError } from '../../../shared/errors';
import type { TokenRecord } from '../../mfa/model';
import { createFileSecretStore } from './file-secret-store';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function root(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mng-secret-store-'));
  dirs.push(dir);
  return dir;
}

const secret = new TextEncoder().encode('12345678901234567890');
function record(user: string): TokenRecord {
  return { user, secret, algorithm: 'SHA1', digits: 6, periodSeconds: 30, driftSteps: 0, source: 'pskc', serial: 'SN-1', createdAt: '2026-04-01T00:00:00.000Z' };
}

async function expectCode(promise: Promise<unknown>, code: string, text?: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MngError);
  expect((error as MngError).code).toBe(code);
  if (text) expect((error as MngError).text.en).toMatch(text);
}

describe('createFileSecretStore', () => {
  it('round-trips records, one file per user (hex names: odd user names are safe), with an 0600 key apart', async () => {
    const dir = root();
    const store = createFileSecretStore({ dir: path.join(dir, 'var/mfa/secrets'), keyFile: path.join(dir, 'etc/mfa.key') });
    const users = ['taro', '山田 太郎', '../../etc/passwd', 'a/b', 'DOMAIN\\user'];
    for (const user of users) await store.put(record(user));
    for (const user of users) expect(await store.get(user)).toEqual(record(user));
    expect(await store.list()).toEqual([...users].sort());
    expect(readdirSync(path.join(dir, 'var/mfa/secrets')).every((name) => /^[0-9a-f]+\.token$/.test(name))).toBe(true);
    expect(statSync(path.join(dir, 'etc/mfa.key')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(dir, 'etc/mfa.key')).size).toBe(32);
    expect(statSync(path.join(dir, 'var/mfa/secrets')).mode & 0o777).toBe(0o700);
    expect(await store.get('nobody')).toBeNull();
    expect(await store.remove('taro')).toBe(true);
    expect(await store.remove('taro')).toBe(false);
    expect(await store.get('taro')).toBeNull();
  });

  it('writes no readable plaintext, and a fresh IV each time', async () => {
    const dir = root();
    const store = createFileSecretStore({ dir: path.join(dir, 's'), keyFile: path.join(dir, 'k/mfa.key') });
    await store.put(record('taro'));
    const file = path.join(dir, 's', `${Buffer.from('taro').toString('hex')}.token`);
    const first = readFileSync(file);
    for (const needle of ['12345678901234567890', Buffer.from(secret).toString('base64'), 'SHA1', 'taro', 'SN-1']) expect(first.includes(Buffer.from(needle))).toBe(false);
    await store.put(record('taro'));
    expect(readFileSync(file).equals(first)).toBe(false);
  });

  it('a tampered file fails GCM authentication with a clear error; so does another user’s file moved in', async () => {
    const dir = root();
    const store = createFileSecretStore({ dir: path.join(dir, 's'), keyFile: path.join(dir, 'k/mfa.key') });
    await store.put(record('taro'));
    await store.put(record('hanako'));
    const file = (user: string): string => path.join(dir, 's', `${Buffer.from(user).toString('hex')}.token`);
    const bytes = readFileSync(file('taro'));
    bytes[bytes.length - 3]! ^= 0x01;
    writeFileSync(file('taro'), bytes);
    await expectCode(store.get('taro'), ErrorCode.MfaStoreCorrupt, /AES-GCM authentication failed/);
    writeFileSync(file('taro'), readFileSync(file('hanako')));
    await expectCode(store.get('taro'), ErrorCode.MfaStoreCorrupt, /AES-GCM/);
    writeFileSync(file('taro'), 'plain text');
    await expectCode(store.get('taro'), ErrorCode.MfaStoreCorrupt, /not a mynumber-guard secret file/);
  });

  it('a different key cannot read the secrets; a missing key is a clear error', async () => {
    const dir = root();
    const store = createFileSecretStore({ dir: path.join(dir, 's'), keyFile: path.join(dir, 'k/mfa.key') });
    await store.put(record('taro'));
    const other = createFileSecretStore({ dir: path.join(dir, 's'), keyFile: path.join(dir, 'k2/mfa.key') });
    await expectCode(other.get('taro'), ErrorCode.KeyInvalid, /missing/);
    await other.put(record('hanako'));
    await expectCode(other.get('taro'), ErrorCode.MfaStoreCorrupt, /another key/);
  });

  it('refuses a group/world-readable key or folder, a wrong-size key and a key inside the folder', async () => {
    const dir = root();
    mkdirSync(path.join(dir, 'k'));
    writeFileSync(path.join(dir, 'k/mfa.key'), Buffer.alloc(32, 1), { mode: 0o644 });
    chmodSync(path.join(dir, 'k/mfa.key'), 0o644);
    const loose = createFileSecretStore({ dir: path.join(dir, 's'), keyFile: path.join(dir, 'k/mfa.key') });
    await expectCode(loose.put(record('taro')), ErrorCode.KeyInvalid, /readable by group or others/);

    writeFileSync(path.join(dir, 'k/short.key'), Buffer.alloc(16, 1), { mode: 0o600 });
    await expectCode(createFileSecretStore({ dir: path.join(dir, 's'), keyFile: path.join(dir, 'k/short.key') }).put(record('taro')), ErrorCode.KeyInvalid, /16 bytes/);

    mkdirSync(path.join(dir, 'open'), { mode: 0o755 });
    chmodSync(path.join(dir, 'open'), 0o755);
    const openDir = createFileSecretStore({ dir: path.join(dir, 'open'), keyFile: path.join(dir, 'k/new.key') });
    await expectCode(openDir.put(record('taro')), ErrorCode.KeyInvalid, /open to group or others/);
    await expectCode(openDir.get('taro'), ErrorCode.KeyInvalid, /open to group or others/);
    expect(existsSync(path.join(dir, 'k/new.key'))).toBe(false);

    expect(() => createFileSecretStore({ dir: path.join(dir, 's'), keyFile: path.join(dir, 's/mfa.key') })).toThrow(/inside the secret folder/);
  });
});
