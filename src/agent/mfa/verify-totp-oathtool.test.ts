// Differential test: our verifier (otplib + node:crypto) against oathtool (liboath), an
// independent implementation (mfa.md §5.3), over random secrets, algorithms, digits and times.
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { needTools } from '../../../test/helpers/system-tools';
import type { TotpAlgorithm } from './model';
import { verifyTotp } from './verify-totp';

function oathtool(secretHex: string, algorithm: TotpAlgorithm, digits: number, epochSeconds: number): string {
  const mode = algorithm === 'SHA1' ? '--totp' : `--totp=${algorithm.toLowerCase()}`;
  const run = spawnSync('oathtool', [mode, '-d', String(digits), '-s', '30', '-N', `@${epochSeconds}`, secretHex], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`oathtool failed: ${run.stderr}`);
  return run.stdout.trim();
}

describe.skipIf(!needTools('oathtool'))('verifyTotp agrees with oathtool', () => {
  it('accepts what oathtool generates and pins the step (200 random cases)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 64 }),
        fc.constantFrom<TotpAlgorithm>('SHA1', 'SHA256', 'SHA512'),
        fc.constantFrom<6 | 8>(6, 8),
        fc.integer({ min: 0, max: 20_000_000_000 }),
        (secret, algorithm, digits, epochSeconds) => {
          const code = oathtool(Buffer.from(secret).toString('hex'), algorithm, digits, epochSeconds);
          expect(code).toMatch(new RegExp(`^[0-9]{${digits}}$`));
          const token = { secret, algorithm, digits, periodSeconds: 30, driftSteps: 0 };
          const step = Math.floor(epochSeconds / 30);
          expect(verifyTotp({ token, typedCode: code, nowMs: epochSeconds * 1000, toleranceSteps: 0, lastAcceptedStep: null })).toEqual({ valid: true, timeStep: step, delta: 0, currentStep: step });
          // One step later the same code is accepted only with drift allowed, as delta -1.
          expect(verifyTotp({ token, typedCode: code, nowMs: (epochSeconds + 30) * 1000, toleranceSteps: 1, lastAcceptedStep: null })).toMatchObject({ valid: true, timeStep: step, delta: -1 });
        },
      ),
      { numRuns: 200 },
    );
  });
});
