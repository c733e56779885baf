// One MFA policy, token and code generator for tests of the MFA core and its stores (not used in
// production; exported through index.ts for tests in other folders, like mounts/test-mounts.ts).
import { generateSync } from 'otplib';
import type { MfaPolicy } from '../../shared/policy/schema';
import type { TokenRecord } from './model';
import { nodeCryptoPlugin } from './node-crypto-plugin';

/** The default policy's MFA section, shortened to two delays. */
export const testMfaPolicy: MfaPolicy = {
  implements: ['test'],
  totp: { algorithm: 'SHA1', digits: 6, periodSeconds: 30, driftSteps: 1 },
  gracePeriodSeconds: 0,
  idleLockSeconds: 600,
  unlockPeriodSeconds: 28_800,
  lockout: { maxFailures: 5, delaySeconds: [30, 120], lockUntilAdminReset: true },
  emergencyCode: { enabled: true, ttlSeconds: 3600 },
};

/** 15 s into a 30 s step. */
export const testMfaT0 = Date.parse('2026-04-01T00:00:15.000Z');

/** The RFC 6238 Appendix B SHA-1 secret. */
export const testMfaSecret = new TextEncoder().encode('12345678901234567890');

/** An enrolled SHA-1 / 6-digit / 30 s token of user `taro`. */
export const testMfaToken: TokenRecord = {
  user: 'taro',
  secret: testMfaSecret,
  algorithm: 'SHA1',
  digits: 6,
  periodSeconds: 30,
  driftSteps: 0,
  source: 'enrolled',
  serial: null,
  createdAt: '2026-04-01T00:00:00.000Z',
};

/** The 6-digit SHA-1 code of `secret` at `ms` (ms since the epoch). */
export function testMfaCodeAt(ms: number, secret: Uint8Array = testMfaSecret): string {
  return generateSync({ secret, epoch: Math.floor(ms / 1000), crypto: nodeCryptoPlugin });
}
