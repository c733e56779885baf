import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFixedClock } from '../../../shared/clock';
import { ErrorCode, MngError } from '../../../shared/errors';
import type { EmergencyCodeRecord, VerificationState } from '../../mfa/model';
import { createFileEmergencyCodeStore, createFileVerificationStateStore } from './file-mfa-state-stores';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function root(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mng-mfa-state-'));
  dirs.push(dir);
  return dir;
}
const hex = (user: string): string => Buffer.from(user, 'utf8').toString('hex');

const state: VerificationState = { user: 'taro', lastAcceptedStep: 58_000_000, failures: 3, lockedUntilMs: 1_700_000_000_000, adminResetRequired: false };
const code: EmergencyCodeRecord = { user: 'taro', hash: 'a'.repeat(64), salt: 'b'.repeat(32), issuedAt: '2026-04-01T00:00:00.000Z', expiresAt: '2026-04-01T01:00:00.000Z', usedAt: null };

describe('createFileVerificationStateStore', () => {
  it('round-trips states atomically in an 0700 folder, 0600 files', async () => {
    const dir = path.join(root(), 'state');
    const store = createFileVerificationStateStore({ dir });
    expect(await store.get('taro')).toBeNull();
    expect(await store.list!()).toEqual([]);
    await store.put(state);
    await store.put({ ...state, user: '山田' });
    expect(await store.get('taro')).toEqual(state);
    expect(await store.list!()).toEqual(['taro', '山田']);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(dir, `${hex('taro')}.state.json`)).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('a broken file is a clear error and is kept: moved aside, not overwritten, when a new state is written', async () => {
    const dir = path.join(root(), 'state');
    const clock = createFixedClock(1234);
    const store = createFileVerificationStateStore({ dir, clock });
    await store.put(state);
    const file = path.join(dir, `${hex('taro')}.state.json`);
    for (const broken of ['{"format":', JSON.stringify({ format: 'mynumber-guard.mfa-state/v1', user: 'taro', failures: -1 }), JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), user: 'hanako' })]) {
      writeFileSync(file, broken);
      const error = await store.get('taro').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MngError);
      expect((error as MngError).code).toBe(ErrorCode.MfaStoreCorrupt);
      expect((error as MngError).text.en).toContain(file);
    }
    const last = readFileSync(file, 'utf8');
    await store.put({ ...state, failures: 0 });
    expect(readFileSync(`${file}.corrupt-1234`, 'utf8')).toBe(last);
    expect((await store.get('taro'))?.failures).toBe(0);
  });
});

describe('createFileEmergencyCodeStore', () => {
  it('stores hashes per user; put appends, replaceAll replaces', async () => {
    const dir = path.join(root(), 'emergency');
    const store = createFileEmergencyCodeStore({ dir });
    expect(await store.list('taro')).toEqual([]);
    await store.put(code);
    await store.put({ ...code, salt: 'c'.repeat(32) });
    expect(await store.list('taro')).toHaveLength(2);
    await store.replaceAll('taro', [{ ...code, usedAt: '2026-04-01T00:10:00.000Z' }]);
    expect(await store.list('taro')).toEqual([{ ...code, usedAt: '2026-04-01T00:10:00.000Z' }]);
    await store.replaceAll('taro', []);
    expect(await store.list('taro')).toEqual([]);
  });

  it('refuses a file that is not ours with a clear error and leaves it unchanged', async () => {
    const dir = path.join(root(), 'emergency');
    const store = createFileEmergencyCodeStore({ dir });
    await store.put(code);
    const file = path.join(dir, `${hex('taro')}.emergency.json`);
    writeFileSync(file, JSON.stringify({ format: 'mynumber-guard.mfa-emergency/v1', user: 'taro', codes: [{ ...code, user: undefined, hash: 'plaintext 1234567890' }] }));
    const error = await store.list('taro').catch((e: unknown) => e);
    expect((error as MngError).code).toBe(ErrorCode.MfaStoreCorrupt);
    expect(readFileSync(file, 'utf8')).toContain('plaintext');
    expect(existsSync(file)).toBe(true);
  });
});
