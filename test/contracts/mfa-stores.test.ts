// One suite per MFA port, run against the file adapters and the in-memory fakes, so the fakes the
// service and IPC tests use cannot drift from the real stores (STYLE.md §4).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryMfaStores, type EmergencyCodeStore, type SecretStore, type TokenRecord, type VerificationStateStore } from '../../src/agent/mfa';
import { createFileEmergencyCodeStore, createFileSecretStore, createFileVerificationStateStore } from '../../src/agent/platform/node';

interface Stores {
  readonly secrets: SecretStore;
  readonly states: VerificationStateStore;
  readonly emergency: EmergencyCodeStore;
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const implementations: Array<[string, () => Stores]> = [
  ['memory fakes', () => createMemoryMfaStores()],
  [
    'file adapters',
    () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'mng-mfa-contract-'));
      dirs.push(dir);
      return {
        secrets: createFileSecretStore({ dir: path.join(dir, 'secrets'), keyFile: path.join(dir, 'key', 'mfa.key') }),
        states: createFileVerificationStateStore({ dir: path.join(dir, 'state') }),
        emergency: createFileEmergencyCodeStore({ dir: path.join(dir, 'emergency') }),
      };
    },
  ],
];

const token = (user: string): TokenRecord => ({
  user,
  secret: new Uint8Array(20).fill(7),
  algorithm: 'SHA256',
  digits: 8,
  periodSeconds: 60,
  driftSteps: -2,
  source: 'pskc',
  serial: null,
  createdAt: '2026-04-01T00:00:00.000Z',
});
const code = { user: 'taro', hash: 'a'.repeat(64), salt: 'b'.repeat(32), issuedAt: '2026-04-01T00:00:00.000Z', expiresAt: '2026-04-01T01:00:00.000Z', usedAt: null };

describe.each(implementations)('MFA stores contract: %s', (_name, create) => {
  it('SecretStore: get/put/remove/list, copies not shared', async () => {
    const { secrets } = create();
    expect(await secrets.get('taro')).toBeNull();
    expect(await secrets.list()).toEqual([]);
    const record = token('taro');
    await secrets.put(record);
    await secrets.put(token('鈴木'));
    record.secret.fill(0);
    expect(await secrets.get('taro')).toEqual(token('taro'));
    expect(await secrets.list()).toEqual(['taro', '鈴木']);
    expect(await secrets.remove('taro')).toBe(true);
    expect(await secrets.remove('taro')).toBe(false);
    expect(await secrets.list()).toEqual(['鈴木']);
  });

  it('VerificationStateStore: last write wins, list names users', async () => {
    const { states } = create();
    expect(await states.get('taro')).toBeNull();
    await states.put({ user: 'taro', lastAcceptedStep: null, failures: 1, lockedUntilMs: 0, adminResetRequired: false });
    await states.put({ user: 'taro', lastAcceptedStep: 9, failures: 0, lockedUntilMs: 5, adminResetRequired: true });
    expect(await states.get('taro')).toEqual({ user: 'taro', lastAcceptedStep: 9, failures: 0, lockedUntilMs: 5, adminResetRequired: true });
    expect(await states.list?.()).toEqual(['taro']);
  });

  it('EmergencyCodeStore: per user, put appends, replaceAll replaces', async () => {
    const { emergency } = create();
    await emergency.put(code);
    await emergency.put({ ...code, user: 'hanako' });
    expect(await emergency.list('taro')).toEqual([code]);
    await emergency.replaceAll('taro', []);
    expect(await emergency.list('taro')).toEqual([]);
    expect(await emergency.list('hanako')).toHaveLength(1);
  });
});
