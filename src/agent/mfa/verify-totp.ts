import { verifySync } from 'otplib';
import type { TokenRecord } from './model';
import { nodeCryptoPlugin } from './node-crypto-plugin';
import { normalizeCode } from './normalize-code';

/** What {@link verifyTotp} checks. */
export interface TotpCheck {
  readonly token: Pick<TokenRecord, 'secret' | 'algorithm' | 'digits' | 'periodSeconds' | 'driftSteps'>;
  /** The code as typed (normalized here: full-width digits, spaces, a middle hyphen). */
  readonly typedCode: string;
  /** Verifier's time, ms since the Unix epoch. */
  readonly nowMs: number;
  /** Steps of drift accepted either side (policy `totp.driftSteps`; RFC 6238 §5.2 recommends 1). */
  readonly toleranceSteps: number;
  /** Last accepted time step of this token (replay guard, RFC 6238 §5.2); null before the first success. */
  readonly lastAcceptedStep: number | null;
}

/** Why a code was not accepted. */
export type TotpRejection =
  /** Not `digits` digits after normalization; otplib was not called. */
  | 'malformed'
  /** No step within the tolerance matches. */
  | 'wrong-code'
  /** The code is right but its step is not after the last accepted one: a second use (RFC 6238 §5.2). */
  | 'replayed'
  /** The last accepted step lies beyond now + tolerance: the clock went back (RFC 6238 §6). */
  | 'clock-rollback'
  /** The stored token cannot be used (bad secret length, digits, period): an integrity problem. */
  | 'token-invalid';

/**
 * Outcome of one TOTP check. `currentStep` is the verifier's step (token drift applied); `timeStep`
 * and `delta` (steps from `currentStep`) are set when a code matched, also for `replayed`.
 */
export type TotpVerdict =
  | { readonly valid: true; readonly timeStep: number; readonly delta: number; readonly currentStep: number }
  | {
      readonly valid: false;
      readonly reason: TotpRejection;
      readonly timeStep: number | null;
      readonly delta: number | null;
      readonly currentStep: number | null;
      /** otplib's error name when it threw (never the code or the secret). */
      readonly detail?: string;
    };

function rejected(reason: TotpRejection, currentStep: number | null, extra: { timeStep?: number; delta?: number; detail?: string } = {}): TotpVerdict {
  return { valid: false, reason, timeStep: extra.timeStep ?? null, delta: extra.delta ?? null, currentStep, ...(extra.detail === undefined ? {} : { detail: extra.detail }) };
}

function isUsableToken(token: TotpCheck['token']): boolean {
  return (
    token.secret.length >= 16 &&
    token.secret.length <= 64 &&
    (token.digits === 6 || token.digits === 8) &&
    Number.isInteger(token.periodSeconds) &&
    token.periodSeconds >= 1 &&
    token.periodSeconds <= 3600 &&
    Number.isInteger(token.driftSteps)
  );
}

/**
 * Verifies a typed TOTP code with otplib 13 (mfa.md §9): the input is normalized and checked
 * before otplib (which throws on malformed tokens), `epochTolerance` = toleranceSteps × period,
 * `afterTimeStep` = last accepted step. Every otplib error becomes a verdict: this never throws.
 */
export function verifyTotp(check: TotpCheck): TotpVerdict {
  const { token, toleranceSteps, lastAcceptedStep } = check;
  const normalized = normalizeCode(check.typedCode, token.digits);
  if (!normalized.ok) return rejected('malformed', null);
  if (!isUsableToken(token) || !Number.isInteger(toleranceSteps) || toleranceSteps < 0) return rejected('token-invalid', null);
  const period = token.periodSeconds;
  // PSKC TimeDrift (RFC 6030 §6.1): the token's clock runs `driftSteps` steps off the verifier's.
  const epoch = Math.floor(check.nowMs / 1000) + token.driftSteps * period;
  if (!Number.isFinite(epoch) || epoch < 0) return rejected('token-invalid', null, { detail: 'epoch-out-of-range' });
  const currentStep = Math.floor(epoch / period);
  // RFC 6238 §6: a last accepted step beyond the window means time went backwards. otplib would
  // throw AfterTimeStepRangeExceededError here; deciding first keeps the reason explicit.
  if (lastAcceptedStep !== null && lastAcceptedStep > currentStep + toleranceSteps) return rejected('clock-rollback', currentStep);
  const options = {
    secret: token.secret,
    token: normalized.code,
    algorithm: token.algorithm.toLowerCase() as 'sha1' | 'sha256' | 'sha512',
    digits: token.digits,
    period,
    epoch,
    t0: 0,
    crypto: nodeCryptoPlugin,
    // RFC 6238 §5.2: the tolerance is in seconds in otplib 13 (mfa.md §1.2).
    epochTolerance: toleranceSteps * period,
  };
  try {
    const result = verifySync(lastAcceptedStep === null ? options : { ...options, afterTimeStep: lastAcceptedStep });
    if (result.valid && 'timeStep' in result) return { valid: true, timeStep: result.timeStep, delta: result.delta, currentStep };
    if (lastAcceptedStep === null) return rejected('wrong-code', currentStep);
    // Tell a second use from a wrong code: the same check without the replay guard.
    const again = verifySync(options);
    if (again.valid && 'timeStep' in again) return rejected('replayed', currentStep, { timeStep: again.timeStep, delta: again.delta });
    return rejected('wrong-code', currentStep);
  } catch (error) {
    const name = error instanceof Error ? error.name : 'unknown';
    if (name === 'AfterTimeStepRangeExceededError') return rejected('clock-rollback', currentStep, { detail: name });
    if (name === 'TokenLengthError' || name === 'TokenFormatError') return rejected('malformed', currentStep, { detail: name });
    return rejected('token-invalid', currentStep, { detail: name });
  }
}
