import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { needTools } from '../../../test/helpers/system-tools';
import type { TokenRecord } from './model';
import {
  formatPamOathTime,
  mergePamOathUsersfile,
  pamOathTypeFor,
  pamOathUsersfileHeader,
  parsePamOathTime,
  parsePamOathUsersfile,
  readPamOathAcceptedStep,
  renderPamOathUsersfile,
  shareReplayState,
  totpCodeAtStep,
  writeAgentAcceptedStep,
  type PamOathEntry,
} from './pam-oath-usersfile';

const jst = { utcOffsetMinutes: 540 };
const stepOptions = { ...jst, windowSteps: 1 };
const seed20 = new Uint8Array(Buffer.from('12345678901234567890', 'ascii'));

function token(overrides: Partial<TokenRecord> = {}): TokenRecord {
  return {
    user: 'alice',
    secret: seed20,
    algorithm: 'SHA1',
    digits: 6,
    periodSeconds: 30,
    driftSteps: 0,
    source: 'enrolled',
    serial: null,
    createdAt: '2026-04-01T00:00:00.000Z',
    ...overrides,
  };
}

describe('totpCodeAtStep', () => {
  // RFC 6238 Appendix B, SHA-1, 8 digits (mfa.md §2.2).
  it.each([
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ])('RFC 6238 vector at %i s → %s', (seconds, code) => {
    expect(totpCodeAtStep(token({ digits: 8 }), Math.floor(seconds / 30))).toBe(code);
  });

  it('RFC 4226 Appendix D (6 digits, counters 0 and 9)', () => {
    expect(totpCodeAtStep(token(), 0)).toBe('755224');
    expect(totpCodeAtStep(token(), 9)).toBe('520489');
  });

  it.skipIf(!needTools('oathtool'))('matches oathtool over random secrets, digits and times', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 32 }), fc.constantFrom(6 as const, 8 as const), fc.integer({ min: 0, max: 4_000_000_000 }), (secret, digits, seconds) => {
        const out = spawnSync('oathtool', ['--totp', '-d', String(digits), '-N', `@${seconds}`, Buffer.from(secret).toString('hex')], { encoding: 'utf8' });
        expect(out.status).toBe(0);
        expect(totpCodeAtStep(token({ secret, digits }), Math.floor(seconds / 30))).toBe(out.stdout.trim());
      }),
      { numRuns: 25 },
    );
  });
});

describe('parsePamOathUsersfile', () => {
  it('reads fresh lines and lines pam_oath rewrote with counter, last OTP and time', () => {
    const text = [
      '# comment',
      'HOTP/T30/6 alice - 3132333435363738393031323334353637383930',
      'HOTP/T30/8\tbob\t-\tAABBCCDDEEFF00112233445566778899\t0\t372657\t2026-11-26T11:20:52L',
      '',
    ].join('\n');
    expect(parsePamOathUsersfile(text)).toEqual({
      entries: [
        { type: 'HOTP/T30/6', user: 'alice', password: '-', secretHex: '3132333435363738393031323334353637383930', movingFactor: null, lastOtp: null, lastTime: null },
        { type: 'HOTP/T30/8', user: 'bob', password: '-', secretHex: 'aabbccddeeff00112233445566778899', movingFactor: '0', lastOtp: '372657', lastTime: '2026-11-26T11:20:52L' },
      ],
      ignored: [],
    });
  });

  it('reports lines pam_oath would not read', () => {
    const { entries, ignored } = parsePamOathUsersfile('TOTP alice - 00\nHOTP/T30 bob -\nHOTP/T30 carol - 0g\nHOTP/T30 dave - 00 x\nHOTP/T30 erin - 00 0 123456 yesterday\n');
    expect(entries).toEqual([]);
    expect(ignored.map((item) => item.line)).toEqual([1, 2, 3, 4, 5]);
    expect(ignored[0]!.reason.en).toContain('TOTP');
    expect(ignored[0]!.reason.ja).toContain('1 行目');
  });

  it('fuzz: never throws; render → parse gives the entries back', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (text) => void parsePamOathUsersfile(text)), { numRuns: 300 });
    const entry = fc.record({
      type: fc.constantFrom('HOTP/T30/6', 'HOTP/T30/8', 'HOTP/T60/6'),
      user: fc.stringMatching(/^[a-z_][a-z0-9_.-]{0,15}$/),
      password: fc.constant('-'),
      secretHex: fc.uint8Array({ minLength: 16, maxLength: 32 }).map((bytes) => Buffer.from(bytes).toString('hex')),
      state: fc.option(fc.tuple(fc.nat().map(String), fc.stringMatching(/^\d{6}$/), fc.integer({ min: 0, max: 4_000_000_000 }).map((s) => formatPamOathTime(s, jst)))),
    });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 5 }), (items) => {
        const entries: PamOathEntry[] = items.map(({ state, ...rest }) => ({ ...rest, movingFactor: state?.[0] ?? null, lastOtp: state?.[1] ?? null, lastTime: state?.[2] ?? null }));
        expect(parsePamOathUsersfile(renderPamOathUsersfile(entries))).toEqual({ entries, ignored: [] });
      }),
    );
  });
});

describe('pamOathTypeFor', () => {
  it.each([
    [{}, 'HOTP/T30/6'],
    [{ digits: 8 as const }, 'HOTP/T30/8'],
    [{ periodSeconds: 60 }, 'HOTP/T60/6'],
    [{ secret: new Uint8Array(32) }, 'HOTP/T30/6'],
  ])('%j → %s', (overrides, type) => {
    expect(pamOathTypeFor(token(overrides))).toEqual({ ok: true, value: type });
  });

  it.each([
    [{ algorithm: 'SHA256' as const }, 'HMAC-SHA1'],
    [{ algorithm: 'SHA512' as const }, 'HMAC-SHA1'],
    [{ periodSeconds: 45 }, '30 and 60'],
    [{ secret: new Uint8Array(33) }, 'at most 32'],
    [{ user: 'taro yamada' }, 'white space'],
    [{ user: '#root' }, 'white space'],
  ])('%j is refused with a reason', (overrides, reason) => {
    const result = pamOathTypeFor(token(overrides));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.en).toContain(reason);
      expect(result.error.ja.length).toBeGreaterThan(0);
    }
  });
});

describe('mergePamOathUsersfile', () => {
  const aliceHex = Buffer.from(seed20).toString('hex');
  const old = parsePamOathUsersfile(
    [
      `HOTP/T30/6\talice\t-\t${aliceHex}\t3\t123456\t2026-04-01T09:00:00L`,
      `HOTP/T30/6\tbob\t-\t${'ab'.repeat(20)}\t1\t654321\t2026-04-01T09:00:00L`,
      `HOTP/T30/6\tcarol\t-\t${'cd'.repeat(20)}`,
      'garbage line',
    ].join('\n'),
  );

  it('keeps pam_oath state of unchanged secrets, resets changed ones, removes users without a token, skips unsupported', () => {
    const merge = mergePamOathUsersfile(old, [
      token(),
      token({ user: 'bob', secret: new Uint8Array(20).fill(0xef) }),
      token({ user: 'dave', digits: 8 }),
      token({ user: 'erin', algorithm: 'SHA256' }),
    ]);
    expect(merge.kept).toEqual(['alice']);
    expect(merge.replaced).toEqual(['bob']);
    expect(merge.added).toEqual(['dave']);
    expect(merge.removed).toEqual(['carol']);
    expect(merge.skipped.map((item) => item.user)).toEqual(['erin']);
    expect(merge.ignoredLines.map((item) => item.line)).toEqual([4]);
    expect(merge.text.split('\n')).toEqual([
      ...pamOathUsersfileHeader,
      `HOTP/T30/6\talice\t-\t${aliceHex}\t3\t123456\t2026-04-01T09:00:00L`,
      `HOTP/T30/6\tbob\t-\t${'ef'.repeat(20)}`,
      `HOTP/T30/8\tdave\t-\t${aliceHex}`,
      '',
    ]);
  });

  it('a changed digit count resets the line too', () => {
    expect(mergePamOathUsersfile(old, [token({ digits: 8 })]).replaced).toEqual(['alice']);
  });

  it('from nothing: a fresh file in user order', () => {
    const merge = mergePamOathUsersfile(null, [token({ user: 'zed' }), token({ user: 'amy' })]);
    expect(merge.entries.map((entry) => entry.user)).toEqual(['amy', 'zed']);
    expect(merge.added).toEqual(['amy', 'zed']);
  });
});

describe('pam_oath timestamps', () => {
  it('format and parse local time with the given offset', () => {
    // 2026-04-01T00:00:00Z is 09:00 in Japan.
    const seconds = Date.UTC(2026, 3, 1) / 1000;
    expect(formatPamOathTime(seconds, jst)).toBe('2026-04-01T09:00:00L');
    expect(parsePamOathTime('2026-04-01T09:00:00L', jst)).toBe(seconds);
    expect(parsePamOathTime('2026-04-01T09:00:00L', { utcOffsetMinutes: 0 })).toBe(seconds + 9 * 3600);
    expect(parsePamOathTime('2026-13-01T09:00:00L', jst)).toBeNull();
    expect(parsePamOathTime('2026-04-01 09:00:00', jst)).toBeNull();
  });
});

describe('replay state shared with the agent', () => {
  const t = token();
  const base: PamOathEntry = { type: 'HOTP/T30/6', user: 'alice', password: '-', secretHex: Buffer.from(seed20).toString('hex'), movingFactor: null, lastOtp: null, lastTime: null };
  const step = Math.floor(Date.UTC(2026, 3, 1, 0, 0, 10) / 1000 / 30);

  it('finds the step of the last OTP pam_oath accepted, also one step off its timestamp', () => {
    expect(readPamOathAcceptedStep(base, t, stepOptions)).toBeNull();
    for (const offset of [-1, 0, 1]) {
      const entry = { ...base, movingFactor: '0', lastOtp: totpCodeAtStep(t, step + offset), lastTime: formatPamOathTime(step * 30 + 12, jst) };
      expect(readPamOathAcceptedStep(entry, t, stepOptions)).toEqual({ step: step + offset, exact: true });
    }
  });

  it('an unmatched last OTP gives the latest step pam_oath could have accepted', () => {
    const entry = { ...base, movingFactor: '0', lastOtp: 'xxxxxx', lastTime: formatPamOathTime(step * 30, jst) };
    expect(readPamOathAcceptedStep(entry, t, stepOptions)).toEqual({ step: step + 1, exact: false });
  });

  it('a line for another secret says nothing about this token', () => {
    const entry = { ...base, secretHex: 'ab'.repeat(20), lastOtp: '123456', lastTime: formatPamOathTime(step * 30, jst) };
    expect(readPamOathAcceptedStep(entry, t, stepOptions)).toBeNull();
    expect(writeAgentAcceptedStep(entry, t, step, stepOptions)).toBe(entry);
  });

  it('writes the agent step as last OTP and time, only when newer than pam_oath state', () => {
    const written = writeAgentAcceptedStep(base, t, step, stepOptions);
    expect(written).toEqual({ ...base, movingFactor: '0', lastOtp: totpCodeAtStep(t, step), lastTime: formatPamOathTime(step * 30, jst) });
    expect(readPamOathAcceptedStep(written, t, stepOptions)).toEqual({ step, exact: true });
    expect(writeAgentAcceptedStep(written, t, step - 1, stepOptions)).toBe(written);
    expect(writeAgentAcceptedStep(written, t, step, stepOptions)).toBe(written);
    expect(readPamOathAcceptedStep(writeAgentAcceptedStep(written, t, step + 2, stepOptions), t, stepOptions)).toEqual({ step: step + 2, exact: true });
  });

  it('shareReplayState moves each side to the later step', () => {
    const bob = token({ user: 'bob', secret: new Uint8Array(20).fill(7) });
    const pamAhead = { ...base, user: 'bob', secretHex: Buffer.from(bob.secret).toString('hex'), movingFactor: '0', lastOtp: totpCodeAtStep(bob, step + 1), lastTime: formatPamOathTime((step + 1) * 30, jst) };
    const result = shareReplayState(
      [base, pamAhead],
      new Map([
        ['alice', t],
        ['bob', bob],
      ]),
      new Map([
        ['alice', step],
        ['bob', step - 5],
      ]),
      stepOptions,
    );
    expect(result.pamUpdated).toEqual(['alice']);
    expect(result.agentUpdated).toEqual(['bob']);
    expect(result.agentSteps).toEqual(
      new Map([
        ['alice', step],
        ['bob', step + 1],
      ]),
    );
    expect(result.entries[0]!.lastOtp).toBe(totpCodeAtStep(t, step));
    expect(result.entries[1]).toBe(pamAhead);
  });
});
