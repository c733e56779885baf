import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../shared/clock';
import { createMemoryMfaStores } from './memory-mfa-stores';
import { createMfaService } from './mfa-service';
import { formatPamOathTime, parsePamOathUsersfile, renderPamOathUsersfile, totpCodeAtStep } from './pam-oath-usersfile';
import { createPamOathReplayLedger } from './pam-replay-ledger';
import { testMfaPolicy, testMfaToken } from './test-mfa-fixtures';

const policy = testMfaPolicy;
const token = testMfaToken;
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
