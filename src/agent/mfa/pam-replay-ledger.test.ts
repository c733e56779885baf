import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../shared/clock';
import type { MfaPolicy } from '../../shared/policy/schema';
import { createMemoryMfaStores } from './memory-mfa-stores';
import { createMfaService } from './mfa-service';
import type { TokenRecord } from './model';
import { formatPamOathTime, parsePamOathUsersfile, renderPamOathUsersfile, totpCodeAtStep } from './pam-oath-usersfile';
import { createPamOathReplayLedger } from './pam-replay-ledger';

const policy: MfaPolicy = {
  implements: [],
  totp: { algorithm: 'SHA1', digits: 6, periodSeconds: 30, driftSteps: 1 },
  gracePeriodSeconds: 0,
  idleLockSeconds: 600,
  unlockPeriodSeconds: 28_800,
  lockout: { maxFailures: 5, delaySeconds: [30], lockUntilAdminReset: true },
  emergencyCode: { enabled: true, ttlSeconds: 3600 },
};
const token: TokenRecord = {
  user: 'taro',
  secret: new TextEncoder().encode('12345678901234567890'),
  algorithm: 'SHA1',
  digits: 6,
  periodSeconds: 30,
  driftSteps: 0,
  source: 'enrolled',
  serial: null,
  createdAt: '2026-04-01T00:00:00.000Z',
};
const jst = 9 * 60;
const t0 = Date.parse('2026-11-26T01:00:10Z');
const stepAt = (ms: number) => Math.floor(ms / 1000 / 30);

async function rig(pamLine: { lastOtp: string; lastTime: string } | null) {
  const hex = Buffer.from(token.secret).toString('hex');
  let text: string | null = renderPamOathUsersfile([
    { type: 'HOTP/T30/6', user: 'taro', password: '-', secretHex: hex, movingFactor: pamLine === null ? null : '0', lastOtp: pamLine?.lastOtp ?? null, lastTime: pamLine?.lastTime ?? null },
  ]);
  const file = {
    read: () => Promise.resolve(text),
    update: (change: (current: string | null) => string | null) => {
      const next = change(text);
      if (next !== null) text = next;
      return Promise.resolve();
    },
  };
  const stores = createMemoryMfaStores();
  await stores.secrets.put(token);
  const clock = createFixedClock(t0);
  const service = createMfaService({
    ...stores,
    audit: { append: () => Promise.resolve({ seq: 1, hash: '' }) },
    clock,
    policy: () => policy,
    hostName: 'pc-01',
    sharedReplay: createPamOathReplayLedger({ file, utcOffsetMinutes: () => jst, windowSteps: 1 }),
  });
  return { service, text: () => text, clock };
}

describe('replay sharing with pam_oath', () => {
  it('a code pam_oath accepted at logon is refused by the agent', async () => {
    const step = stepAt(t0);
    const code = totpCodeAtStep(token, step);
    const r = await rig({ lastOtp: code, lastTime: formatPamOathTime(step * 30 + 5, { utcOffsetMinutes: jst }) });
    expect((await r.service.attempt('taro', code)).code).toBe('replayed');
  });

  it('a code the agent accepted is written into the usersfile line, so pam_oath refuses it', async () => {
    const r = await rig(null);
    const step = stepAt(t0);
    const code = totpCodeAtStep(token, step);
    expect((await r.service.attempt('taro', code)).code).toBe('unlocked');
    const entry = parsePamOathUsersfile(r.text() ?? '').entries.find((e) => e.user === 'taro');
    expect(entry?.lastOtp).toBe(code);
    expect(entry?.lastTime).not.toBeNull();
  });

  it('without a usersfile nothing is shared and the agent works alone', async () => {
    const stores = createMemoryMfaStores();
    await stores.secrets.put(token);
    const service = createMfaService({
      ...stores,
      audit: { append: () => Promise.resolve({ seq: 1, hash: '' }) },
      clock: createFixedClock(t0),
      policy: () => policy,
      hostName: 'pc-01',
      sharedReplay: createPamOathReplayLedger({ file: { read: () => Promise.resolve(null), update: () => Promise.resolve() }, utcOffsetMinutes: () => jst, windowSteps: 1 }),
    });
    expect((await service.attempt('taro', totpCodeAtStep(token, stepAt(t0)))).code).toBe('unlocked');
  });
});
