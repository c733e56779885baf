// The MFA service over the real file stores (AES-GCM secrets, JSON state, emergency hashes):
// what RFC 4226 §7.3 asks — a lockout that survives a restart — and exact counting under load.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createMfaService,
  testMfaCodeAt as codeAt,
  testMfaPolicy as basePolicy,
  testMfaT0 as t0,
  testMfaToken as token,
  type MfaServiceDeps,
} from '../../src/agent/mfa';
import type { AuditEventInput, AuditSink } from '../../src/agent/audit';
import { createFileEmergencyCodeStore, createFileSecretStore, createFileVerificationStateStore } from '../../src/agent/platform/node';
import { createFixedClock } from '../../src/shared/clock';


function memoryAudit(): AuditSink & { ofType(type: string): AuditEventInput[] } {
  const events: AuditEventInput[] = [];
  return {
    ofType: (type) => events.filter((e) => e.type === type),
    append: async (event) => {
      events.push(event);
      return { seq: events.length, hash: '' };
    },
  };
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function fileStores(root?: string): { root: string; secrets: MfaServiceDeps['secrets']; states: MfaServiceDeps['states']; emergency: MfaServiceDeps['emergency'] } {
  const dir = root ?? mkdtempSync(path.join(tmpdir(), 'mng-mfa-files-'));
  if (root === undefined) dirs.push(dir);
  return {
    root: dir,
    secrets: createFileSecretStore({ dir: path.join(dir, 'var', 'secrets'), keyFile: path.join(dir, 'etc', 'mfa.key') }),
    states: createFileVerificationStateStore({ dir: path.join(dir, 'var', 'state') }),
    emergency: createFileEmergencyCodeStore({ dir: path.join(dir, 'var', 'emergency') }),
  };
}

describe('MFA service over the file stores', () => {
  it('the lockout and the replay step survive a restart (a new service over the same files)', async () => {
    const stores = fileStores();
    const clock = createFixedClock(t0);
    const first = createMfaService({ ...stores, audit: memoryAudit(), clock, policy: () => basePolicy, hostName: 'pc-01' });
    await stores.secrets.put(token);
    const used = codeAt(t0);
    expect((await first.attempt('taro', used)).code).toBe('unlocked');
    const wrong = codeAt(t0 + 30_000) === '000000' ? '000001' : '000000';
    for (let i = 0; i < 5; i += 1) await first.attempt('taro', wrong);

    const reopened = fileStores(stores.root);
    const second = createMfaService({ ...reopened, audit: memoryAudit(), clock, policy: () => basePolicy, hostName: 'pc-01' });
    expect(await second.lockoutView('taro')).toEqual({ failures: 5, maxFailures: 5, retryAfterMs: 30_000, adminResetRequired: false });
    expect((await second.attempt('taro', codeAt(t0))).code).toBe('locked-out');
    clock.advanceMs(30_000);
    expect((await second.attempt('taro', used)).code).toBe('replayed');
    expect((await second.attempt('taro', codeAt(clock.nowMs()))).code).toBe('unlocked');
    expect((await second.status()).users.map((u) => [u.user, u.enrolled, u.source])).toEqual([['taro', true, 'enrolled']]);
  });

  it('counts 1,000 concurrent attempts exactly over the real files too', async () => {
    const stores = fileStores();
    const audit = memoryAudit();
    const policy = { ...basePolicy, lockout: { maxFailures: 20, delaySeconds: [60], lockUntilAdminReset: true } };
    const service = createMfaService({ ...stores, audit, clock: createFixedClock(t0), policy: () => policy, hostName: 'pc-01' });
    await stores.secrets.put(token);
    const wrong = codeAt(t0) === '000000' ? '000001' : '000000';
    const started = performance.now();
    const outcomes = await Promise.all(Array.from({ length: 1000 }, () => service.attempt('taro', wrong)));
    expect(outcomes.filter((o) => o.code === 'wrong-code')).toHaveLength(20);
    expect(outcomes.filter((o) => o.code === 'locked-out')).toHaveLength(980);
    expect(audit.ofType('mfa.attempt')).toHaveLength(1000);
    expect((await stores.states.get('taro'))?.failures).toBe(20);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('an emergency code works once across a restart', async () => {
    const stores = fileStores();
    const clock = createFixedClock(t0);
    const first = createMfaService({ ...stores, audit: memoryAudit(), clock, policy: () => basePolicy, hostName: 'pc-01' });
    const issued = await first.issueEmergencyCode('taro');
    if (!issued.ok) throw new Error(issued.error);
    const audit = memoryAudit();
    const second = createMfaService({ ...fileStores(stores.root), audit, clock, policy: () => basePolicy, hostName: 'pc-01' });
    expect((await second.attempt('taro', issued.value.code)).code).toBe('emergency-accepted');
    expect(audit.ofType('mfa.emergency-used')).toHaveLength(1);
    const third = createMfaService({ ...fileStores(stores.root), audit: memoryAudit(), clock, policy: () => basePolicy, hostName: 'pc-01' });
    expect((await third.attempt('taro', issued.value.code)).code).toBe('wrong-code');
  });

  it('a tampered secret fails the attempt with a clear error and an alert; status still lists everyone', async () => {
    const stores = fileStores();
    const audit = memoryAudit();
    const service = createMfaService({ ...stores, audit, clock: createFixedClock(t0), policy: () => basePolicy, hostName: 'pc-01' });
    await stores.secrets.put(token);
    await stores.secrets.put({ ...token, user: 'hanako' });
    const file = path.join(stores.root, 'var', 'secrets', `${Buffer.from('taro').toString('hex')}.token`);
    const bytes = readFileSync(file);
    bytes[bytes.length - 1]! ^= 0x80;
    writeFileSync(file, bytes);
    await expect(service.attempt('taro', codeAt(t0))).rejects.toMatchObject({ code: 'AGENT_E_MFA_STORE_CORRUPT' });
    expect(audit.ofType('mfa.secret-unreadable')).toEqual([expect.objectContaining({ severity: 'alert', data: { user: 'taro', error: 'AGENT_E_MFA_STORE_CORRUPT' } })]);
    expect((await service.status()).users.map((u) => [u.user, u.source])).toEqual([['hanako', 'enrolled'], ['taro', 'unreadable']]);
  });
});
