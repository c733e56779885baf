import { generateSync } from 'otplib';
import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../shared/clock';
import type { MfaPolicy } from '../../shared/policy/schema';
import type { AuditEventInput, AuditSink } from '../audit';
import { createMemoryMfaStores } from './memory-mfa-stores';
import { createMfaService } from './mfa-service';
import { nodeCryptoPlugin } from './node-crypto-plugin';
import { testMfaCodeAt as codeAt, testMfaPolicy as basePolicy, testMfaSecret as secret, testMfaT0 as t0, testMfaToken as token } from './test-mfa-fixtures';


function memoryAudit(): AuditSink & { events: AuditEventInput[]; ofType(type: string): AuditEventInput[] } {
  const events: AuditEventInput[] = [];
  return {
    events,
    ofType: (type) => events.filter((e) => e.type === type),
    append: async (event) => {
      events.push(event);
      return { seq: events.length, hash: '' };
    },
  };
}

function setup(options: { policy?: MfaPolicy | undefined; stores?: ReturnType<typeof createMemoryMfaStores>; clock?: ReturnType<typeof createFixedClock> } = {}) {
  const stores = options.stores ?? createMemoryMfaStores();
  const clock = options.clock ?? createFixedClock(t0);
  const audit = memoryAudit();
  const policy = 'policy' in options ? options.policy : basePolicy;
  const service = createMfaService({ ...stores, audit, clock, policy: () => policy, hostName: 'pc-01' });
  return { service, stores, clock, audit };
}

describe('attempt', () => {
  it('unlocks with the right code, audits step and drift, and never logs the code or the secret', async () => {
    const { service, stores, audit } = setup();
    await stores.secrets.put(token);
    const code = codeAt(t0 - 30_000);
    const outcome = await service.attempt('taro', code);
    expect(outcome).toEqual({ code: 'unlocked', lockout: { failures: 0, maxFailures: 5, retryAfterMs: 0, adminResetRequired: false } });
    const step = Math.floor(t0 / 30_000);
    expect(audit.ofType('mfa.attempt')).toEqual([{ type: 'mfa.attempt', severity: 'info', data: { user: 'taro', result: 'unlocked', step: step - 1, delta: -1 } }]);
    const logged = JSON.stringify(audit.events);
    expect(logged).not.toContain(code);
    expect(logged).not.toContain(Buffer.from(secret).toString('base64'));
    expect((await stores.states.get('taro'))?.lastAcceptedStep).toBe(step - 1);
  });

  it('refuses a replayed code and counts it', async () => {
    const { service, stores } = setup();
    await stores.secrets.put(token);
    const code = codeAt(t0);
    expect((await service.attempt('taro', code)).code).toBe('unlocked');
    const again = await service.attempt('taro', code);
    expect(again.code).toBe('replayed');
    expect(again.lockout.failures).toBe(1);
  });

  it('normalizes IME input and answers malformed input with a clear code, without counting it', async () => {
    const { service, stores, audit } = setup();
    await stores.secrets.put(token);
    for (const typed of ['12345', '1234567', 'abcdef', '', '1'.repeat(1024 * 1024), '12-3456', '１２３４５ａ']) {
      expect((await service.attempt('taro', typed)).code, JSON.stringify(typed.slice(0, 10))).toBe('malformed');
    }
    expect((await service.lockoutView('taro')).failures).toBe(0);
    expect(audit.ofType('mfa.attempt').every((e) => e.data.result === 'malformed')).toBe(true);
    const wide = [...codeAt(t0)].map((d) => String.fromCharCode(0xff10 + Number(d))).join('');
    expect((await service.attempt('taro', `${wide.slice(0, 3)}\u3000${wide.slice(3)}`)).code).toBe('unlocked');
  });

  it('says not-enrolled for a user without a token', async () => {
    const { service } = setup();
    expect((await service.attempt('hanako', '123456')).code).toBe('not-enrolled');
  });

  it('locks out after maxFailures with growing delays, refuses without checking while locked, then needs an admin', async () => {
    const { service, stores, clock, audit } = setup();
    await stores.secrets.put(token);
    const wrong = codeAt(t0) === '000000' ? '000001' : '000000';
    for (let i = 0; i < 4; i += 1) expect((await service.attempt('taro', wrong)).code).toBe('wrong-code');
    const fifth = await service.attempt('taro', wrong);
    expect(fifth).toMatchObject({ code: 'wrong-code', retryAfterMs: 30_000, lockout: { failures: 5, retryAfterMs: 30_000, adminResetRequired: false } });
    expect(audit.ofType('mfa.locked-out')).toHaveLength(1);
    // Even the right code is refused while locked, and the attempt is audited.
    const refused = await service.attempt('taro', codeAt(clock.nowMs()));
    expect(refused).toMatchObject({ code: 'locked-out', retryAfterMs: 30_000 });
    expect(audit.ofType('mfa.attempt').at(-1)?.data).toMatchObject({ result: 'locked-out' });
    clock.advanceMs(30_000);
    for (let i = 0; i < 5; i += 1) await service.attempt('taro', wrong);
    expect(await service.lockoutView('taro')).toEqual({ failures: 5, maxFailures: 5, retryAfterMs: 120_000, adminResetRequired: false });
    clock.advanceMs(120_000);
    for (let i = 0; i < 5; i += 1) await service.attempt('taro', wrong);
    expect(await service.lockoutView('taro')).toMatchObject({ adminResetRequired: true });
    expect(audit.ofType('mfa.locked-out').at(-1)?.severity).toBe('alert');
    clock.advanceMs(86_400_000);
    expect((await service.attempt('taro', codeAt(clock.nowMs()))).code).toBe('locked-out');
    await service.reset('taro', { enrollment: false });
    expect((await service.attempt('taro', codeAt(clock.nowMs()))).code).toBe('unlocked');
    expect(audit.ofType('mfa.reset')).toHaveLength(1);
  });

  it('counts 1,000 concurrent attempts exactly (serialized per user)', async () => {
    const policy = { ...basePolicy, lockout: { maxFailures: 20, delaySeconds: [60], lockUntilAdminReset: true } };
    const { service, stores, audit } = setup({ policy });
    await stores.secrets.put(token);
    const wrong = codeAt(t0) === '000000' ? '000001' : '000000';
    const started = performance.now();
    const outcomes = await Promise.all(Array.from({ length: 1000 }, () => service.attempt('taro', wrong)));
    const elapsedMs = performance.now() - started;
    const byCode = outcomes.reduce<Record<string, number>>((acc, o) => ({ ...acc, [o.code]: (acc[o.code] ?? 0) + 1 }), {});
    expect(byCode).toEqual({ 'wrong-code': 20, 'locked-out': 980 });
    expect(audit.ofType('mfa.attempt')).toHaveLength(1000);
    expect(audit.ofType('mfa.locked-out')).toHaveLength(1);
    expect((await stores.states.get('taro'))?.failures).toBe(20);
    expect(elapsedMs).toBeLessThan(1000);
  });

  it('reports a clock rollback as an alert, does not count it, and refuses until time catches up', async () => {
    const { service, stores, clock, audit } = setup();
    await stores.secrets.put(token);
    expect((await service.attempt('taro', codeAt(t0))).code).toBe('unlocked');
    clock.setMs(t0 - 5 * 60_000);
    const outcome = await service.attempt('taro', codeAt(clock.nowMs()));
    expect(outcome.code).toBe('locked-out');
    expect(outcome.retryAfterMs).toBeGreaterThan(0);
    expect(audit.ofType('mfa.clock-rollback')).toHaveLength(1);
    expect(audit.ofType('mfa.clock-rollback')[0]!.severity).toBe('alert');
    expect((await stores.states.get('taro'))?.failures).toBe(0);
  });

  it('fails closed without a policy: nothing is checked, the answer is locked-out', async () => {
    const { service, stores, audit } = setup({ policy: undefined });
    await stores.secrets.put(token);
    const outcome = await service.attempt('taro', codeAt(t0));
    expect(outcome).toMatchObject({ code: 'locked-out', lockout: { adminResetRequired: true } });
    expect(audit.ofType('mfa.attempt')[0]!.data).toMatchObject({ result: 'no-policy' });
    expect((await service.beginEnrollment('taro')).ok).toBe(false);
    expect(await service.issueEmergencyCode('taro')).toEqual({ ok: false, error: 'no-policy' });
  });
});

describe('emergency codes through the service', () => {
  it('a code works once, is alerted for the collector, and expires', async () => {
    const { service, clock, audit } = setup();
    const issued = await service.issueEmergencyCode('taro');
    if (!issued.ok) throw new Error('not issued');
    expect(issued.value.code).toMatch(/^\d{5}-\d{5}$/);
    // Works without an enrolled token (the token is what was lost).
    expect((await service.attempt('taro', issued.value.code)).code).toBe('emergency-accepted');
    expect(audit.ofType('mfa.emergency-used')).toEqual([expect.objectContaining({ severity: 'alert', data: expect.objectContaining({ user: 'taro', flag: 'collector' }) })]);
    expect((await service.attempt('taro', issued.value.code)).code).toBe('wrong-code');
    const later = await service.issueEmergencyCode('taro');
    if (!later.ok) throw new Error('not issued');
    clock.advanceMs(3600 * 1000);
    expect((await service.attempt('taro', later.value.code.replace('-', ''))).code).toBe('wrong-code');
    expect(JSON.stringify(audit.events)).not.toContain(later.value.code.replace('-', ''));
  });

  it('is refused when the policy disables emergency codes', async () => {
    const { service, stores } = setup({ policy: { ...basePolicy, emergencyCode: { enabled: false, ttlSeconds: 3600 } } });
    await stores.secrets.put(token);
    expect(await service.issueEmergencyCode('taro')).toEqual({ ok: false, error: 'disabled' });
    expect((await service.attempt('taro', '12345-67890')).code).toBe('malformed');
  });
});

describe('enrollment', () => {
  it('stores the token only after a correct code; the confirming code cannot unlock afterwards', async () => {
    const { service, stores, clock, audit } = setup();
    const begun = await service.beginEnrollment('taro');
    if (!begun.ok) throw new Error(begun.error);
    expect(begun.value.qrSvg).toContain('<svg');
    const enrolledSecret = new URL(begun.value.uri).searchParams.get('secret')!;
    expect(await stores.secrets.get('taro')).toBeNull();
    expect((await service.confirmEnrollment(begun.value.enrollmentId, '12345')).code).toBe('malformed');
    const code = generateSync({ secret: enrolledSecret, epoch: Math.floor(clock.nowMs() / 1000), crypto: nodeCryptoPlugin });
    const wrong = code === '000000' ? '000001' : '000000';
    expect((await service.confirmEnrollment(begun.value.enrollmentId, wrong)).code).toBe('wrong-code');
    expect(await stores.secrets.get('taro')).toBeNull();
    expect(await service.confirmEnrollment(begun.value.enrollmentId, code)).toEqual({ code: 'enrolled', user: 'taro' });
    expect((await stores.secrets.get('taro'))?.secret).toHaveLength(20);
    expect(audit.ofType('mfa.enrolled')).toHaveLength(1);
    expect(JSON.stringify(audit.events)).not.toContain(enrolledSecret);
    expect((await service.attempt('taro', code)).code).toBe('replayed');
    expect((await service.confirmEnrollment(begun.value.enrollmentId, code)).code).toBe('not-found');
    expect(await service.beginEnrollment('taro')).toEqual({ ok: false, error: 'already-enrolled' });
    expect((await service.beginEnrollment('taro', { replace: true })).ok).toBe(true);
  });

  it('expires a pending enrollment after 10 minutes and drops it after 5 wrong codes', async () => {
    const { service, clock } = setup();
    const a = await service.beginEnrollment('taro');
    if (!a.ok) throw new Error(a.error);
    clock.advanceMs(10 * 60_000);
    expect((await service.confirmEnrollment(a.value.enrollmentId, '123456')).code).toBe('expired');
    const b = await service.beginEnrollment('taro');
    if (!b.ok) throw new Error(b.error);
    const right = generateSync({ secret: new URL(b.value.uri).searchParams.get('secret')!, epoch: Math.floor(clock.nowMs() / 1000), crypto: nodeCryptoPlugin });
    const wrong = right === '000000' ? '000001' : '000000';
    for (let i = 0; i < 5; i += 1) expect((await service.confirmEnrollment(b.value.enrollmentId, wrong)).code).toBe('wrong-code');
    expect((await service.confirmEnrollment(b.value.enrollmentId, right)).code).toBe('not-found');
  });

  it('reset --enrollment removes the token', async () => {
    const { service, stores } = setup();
    await stores.secrets.put(token);
    await service.reset('taro', { enrollment: true });
    expect(await stores.secrets.get('taro')).toBeNull();
    expect((await service.status()).users).toEqual([{ user: 'taro', enrolled: false, source: null, lockout: { failures: 0, maxFailures: 5, retryAfterMs: 0, adminResetRequired: false } }]);
  });
});
