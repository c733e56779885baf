import fc from 'fast-check';
import { generateSync } from 'otplib';
import { describe, expect, it } from 'vitest';
import type { TotpAlgorithm } from './model';
import { nodeCryptoPlugin } from './node-crypto-plugin';
import { verifyTotp, type TotpCheck } from './verify-totp';

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
const seeds: Record<TotpAlgorithm, Uint8Array> = {
  SHA1: ascii('12345678901234567890'),
  SHA256: ascii('12345678901234567890123456789012'),
  SHA512: ascii('1234567890123456789012345678901234567890123456789012345678901234'),
};

function token(overrides: Partial<TotpCheck['token']> = {}): TotpCheck['token'] {
  return { secret: seeds.SHA1, algorithm: 'SHA1', digits: 6, periodSeconds: 30, driftSteps: 0, ...overrides };
}

function codeAt(t: TotpCheck['token'], epochSeconds: number): string {
  return generateSync({ secret: t.secret, algorithm: t.algorithm.toLowerCase() as 'sha1', digits: t.digits, period: t.periodSeconds, epoch: epochSeconds, crypto: nodeCryptoPlugin });
}

// RFC 6238 Appendix B (X = 30, T0 = 0, 8 digits); seeds per algorithm as in Appendix A (mfa.md §2.2).
const rfc6238: Array<[number, string, string, string]> = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];

// RFC 4226 Appendix D: HOTP(counter) equals TOTP at step = counter with a 30 s period.
const rfc4226 = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];

describe('verifyTotp: RFC vectors', () => {
  it.each(rfc6238)('RFC 6238 Appendix B at T=%i', (time, sha1, sha256, sha512) => {
    for (const [algorithm, code] of [['SHA1', sha1], ['SHA256', sha256], ['SHA512', sha512]] as const) {
      const t = token({ secret: seeds[algorithm], algorithm, digits: 8 });
      const verdict = verifyTotp({ token: t, typedCode: code, nowMs: time * 1000, toleranceSteps: 0, lastAcceptedStep: null });
      expect(verdict, `${algorithm} at ${time}`).toEqual({ valid: true, timeStep: Math.floor(time / 30), delta: 0, currentStep: Math.floor(time / 30) });
    }
  });

  it.each(rfc4226.map((code, counter) => [counter, code] as const))('RFC 4226 Appendix D count %i', (counter, code) => {
    const verdict = verifyTotp({ token: token(), typedCode: code, nowMs: counter * 30_000 + 1_000, toleranceSteps: 0, lastAcceptedStep: null });
    expect(verdict).toMatchObject({ valid: true, timeStep: counter, delta: 0 });
    // The node crypto plugin reproduces the HOTP values directly as well.
    expect(generateSync({ strategy: 'hotp', secret: seeds.SHA1, counter, crypto: nodeCryptoPlugin })).toBe(code);
  });
});

describe('verifyTotp: drift, replay, clock', () => {
  const t = token();
  const now = 1_700_000_015_000; // 15 s into a step
  const step = Math.floor(now / 30_000);

  it('accepts one step either side with toleranceSteps 1 and reports delta; refuses two steps', () => {
    for (const delta of [-1, 0, 1]) {
      expect(verifyTotp({ token: t, typedCode: codeAt(t, (step + delta) * 30), nowMs: now, toleranceSteps: 1, lastAcceptedStep: null })).toEqual({ valid: true, timeStep: step + delta, delta, currentStep: step });
    }
    expect(verifyTotp({ token: t, typedCode: codeAt(t, (step - 2) * 30), nowMs: now, toleranceSteps: 1, lastAcceptedStep: null })).toMatchObject({ valid: false, reason: 'wrong-code' });
    expect(verifyTotp({ token: t, typedCode: codeAt(t, (step - 1) * 30), nowMs: now, toleranceSteps: 0, lastAcceptedStep: null })).toMatchObject({ valid: false, reason: 'wrong-code' });
  });

  it('refuses a second use and any earlier step as replayed (RFC 6238 §5.2)', () => {
    const code = codeAt(t, step * 30);
    expect(verifyTotp({ token: t, typedCode: code, nowMs: now, toleranceSteps: 1, lastAcceptedStep: step })).toMatchObject({ valid: false, reason: 'replayed', timeStep: step, delta: 0 });
    expect(verifyTotp({ token: t, typedCode: codeAt(t, (step - 1) * 30), nowMs: now, toleranceSteps: 1, lastAcceptedStep: step })).toMatchObject({ valid: false, reason: 'replayed', timeStep: step - 1 });
    expect(verifyTotp({ token: t, typedCode: codeAt(t, (step + 1) * 30), nowMs: now, toleranceSteps: 1, lastAcceptedStep: step })).toMatchObject({ valid: true, timeStep: step + 1 });
  });

  it('reports a clock rollback when the last accepted step is beyond now + tolerance', () => {
    const verdict = verifyTotp({ token: t, typedCode: codeAt(t, step * 30), nowMs: now, toleranceSteps: 1, lastAcceptedStep: step + 2 });
    expect(verdict).toMatchObject({ valid: false, reason: 'clock-rollback', currentStep: step });
  });

  it('applies a token drift (PSKC TimeDrift) before checking', () => {
    const drifted = token({ driftSteps: 3 });
    expect(verifyTotp({ token: drifted, typedCode: codeAt(drifted, (step + 3) * 30), nowMs: now, toleranceSteps: 0, lastAcceptedStep: null })).toMatchObject({ valid: true, timeStep: step + 3, delta: 0 });
  });
});

describe('verifyTotp: bad input never throws', () => {
  const t = token();
  it.each(['12345', '1234567', 'abcdef', '', '１２３４５', '12 34 5a', '1'.repeat(1024 * 1024)])('%j is malformed', (typed) => {
    expect(verifyTotp({ token: t, typedCode: typed, nowMs: 1e12, toleranceSteps: 1, lastAcceptedStep: null })).toMatchObject({ valid: false, reason: 'malformed' });
  });

  it('accepts full-width digits and spaces from a Japanese IME', () => {
    const code = codeAt(t, 1e9);
    const typed = [...code].map((d) => String.fromCharCode(0xff10 + Number(d))).join('').replace(/^(...)/, '$1\u3000');
    expect(verifyTotp({ token: t, typedCode: typed, nowMs: 1e12, toleranceSteps: 0, lastAcceptedStep: null })).toMatchObject({ valid: true });
  });

  it('maps an unusable stored token to token-invalid', () => {
    expect(verifyTotp({ token: token({ secret: new Uint8Array(10) }), typedCode: '123456', nowMs: 1e12, toleranceSteps: 1, lastAcceptedStep: null })).toMatchObject({ valid: false, reason: 'token-invalid' });
    expect(verifyTotp({ token: token({ periodSeconds: 0 }), typedCode: '123456', nowMs: 1e12, toleranceSteps: 1, lastAcceptedStep: null })).toMatchObject({ valid: false, reason: 'token-invalid' });
  });

  it('property: any string, time and last step give a verdict, never an exception', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.integer({ min: -1e13, max: 1e14 }), fc.option(fc.integer({ min: -5, max: 1e11 })), fc.integer({ min: -1, max: 3 }), (typed, nowMs, last, tolerance) => {
        const verdict = verifyTotp({ token: t, typedCode: typed, nowMs, toleranceSteps: tolerance, lastAcceptedStep: last });
        expect(typeof verdict.valid).toBe('boolean');
      }),
    );
  });
});
