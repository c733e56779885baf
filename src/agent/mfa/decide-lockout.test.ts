import { describe, expect, it } from 'vitest';
import {
  decideAfterAdminReset,
  decideAfterFailure,
  decideAfterSuccess,
  decideAttempt,
  decideLockoutView,
  fallbackLockoutDelaySeconds,
  initialVerificationState,
  type LockoutPolicy,
} from './decide-lockout';
import type { VerificationState } from './model';

const policy: LockoutPolicy = { maxFailures: 5, delaySeconds: [30, 120, 600, 1800], lockUntilAdminReset: true };
const t0 = 1_000_000;

/** Fails `n` times, each attempt made as soon as the gate allows it; returns the states after each failure. */
function failMany(n: number, p: LockoutPolicy): VerificationState[] {
  let state = initialVerificationState('taro');
  let now = t0;
  const seen: VerificationState[] = [];
  for (let i = 0; i < n; i += 1) {
    if (now < state.lockedUntilMs) now = state.lockedUntilMs;
    state = decideAfterFailure(state, p, now).state;
    seen.push(state);
  }
  return seen;
}

describe('decideAfterFailure', () => {
  it.each([
    // failures so far, policy, expected lock (seconds from now; 'admin'; null = none), lockout number
    [0, policy, null, 0],
    [3, policy, null, 0],
    [4, policy, 30, 1],
    [9, policy, 120, 2],
    [14, policy, 600, 3],
    [19, policy, 1800, 4],
    [24, policy, 'admin', 5],
    [4, { ...policy, lockUntilAdminReset: false }, 30, 1],
    [24, { ...policy, lockUntilAdminReset: false }, 1800, 5],
    [29, { ...policy, lockUntilAdminReset: false }, 1800, 6],
    [0, { maxFailures: 1, delaySeconds: [], lockUntilAdminReset: true }, 'admin', 1],
    [0, { maxFailures: 1, delaySeconds: [], lockUntilAdminReset: false }, fallbackLockoutDelaySeconds, 1],
    [2, { maxFailures: 3, delaySeconds: [10], lockUntilAdminReset: true }, 10, 1],
    [5, { maxFailures: 3, delaySeconds: [10], lockUntilAdminReset: true }, 'admin', 2],
  ] as const)('after %i failures, one more under %j locks %s', (before, p, lock, number) => {
    const state = { ...initialVerificationState('taro'), failures: before };
    const decision = decideAfterFailure(state, p, t0);
    expect(decision.state.failures).toBe(before + 1);
    expect(decision.lockoutNumber).toBe(number);
    expect(decision.lockedOut).toBe(lock !== null);
    if (lock === 'admin') expect(decision.state).toMatchObject({ adminResetRequired: true, lockedUntilMs: 0 });
    else if (lock === null) expect(decision.state).toMatchObject({ adminResetRequired: false, lockedUntilMs: 0 });
    else expect(decision.state).toMatchObject({ adminResetRequired: false, lockedUntilMs: t0 + lock * 1000 });
  });

  it('grows the delay with each lockout and ends in an admin reset (5 → 30 s → … → admin)', () => {
    const states = failMany(25, policy);
    const lockouts = states.filter((s, i) => (i + 1) % 5 === 0);
    expect(lockouts.slice(0, 4).map((s, i) => s.lockedUntilMs - (i === 0 ? t0 : states[i * 5 - 1]!.lockedUntilMs))).toEqual([30_000, 120_000, 600_000, 1_800_000]);
    expect(states[24]).toMatchObject({ failures: 25, adminResetRequired: true });
  });
});

describe('decideAttempt', () => {
  it.each([
    [{ failures: 0, lockedUntilMs: 0, adminResetRequired: false }, t0, { allowed: true }],
    [{ failures: 5, lockedUntilMs: t0 + 30_000, adminResetRequired: false }, t0, { allowed: false, retryAfterMs: 30_000, adminResetRequired: false }],
    [{ failures: 5, lockedUntilMs: t0 + 30_000, adminResetRequired: false }, t0 + 29_999, { allowed: false, retryAfterMs: 1, adminResetRequired: false }],
    [{ failures: 5, lockedUntilMs: t0 + 30_000, adminResetRequired: false }, t0 + 30_000, { allowed: true }],
    [{ failures: 25, lockedUntilMs: 0, adminResetRequired: true }, t0 + 1e12, { allowed: false, retryAfterMs: 0, adminResetRequired: true }],
  ])('%j at %i → %j', (partial, now, gate) => {
    expect(decideAttempt({ ...initialVerificationState('taro'), ...partial }, now)).toEqual(gate);
  });
});

describe('success, reset and the view', () => {
  it('success clears failures and keeps the accepted step', () => {
    const state: VerificationState = { user: 'taro', failures: 3, lockedUntilMs: 0, adminResetRequired: false, lastAcceptedStep: 5 };
    expect(decideAfterSuccess(state, 9)).toEqual({ user: 'taro', failures: 0, lockedUntilMs: 0, adminResetRequired: false, lastAcceptedStep: 9 });
    expect(decideAfterSuccess(state, null).lastAcceptedStep).toBe(5);
  });

  it('an admin reset lifts every lockout; the replay step goes only with the enrollment', () => {
    const state: VerificationState = { user: 'taro', failures: 25, lockedUntilMs: 0, adminResetRequired: true, lastAcceptedStep: 7 };
    expect(decideAfterAdminReset(state, { enrollment: false })).toEqual({ user: 'taro', failures: 0, lockedUntilMs: 0, adminResetRequired: false, lastAcceptedStep: 7 });
    expect(decideAfterAdminReset(state, { enrollment: true }).lastAcceptedStep).toBeNull();
  });

  it.each([
    [{ failures: 2 }, t0, { failures: 2, maxFailures: 5, retryAfterMs: 0, adminResetRequired: false }],
    [{ failures: 5, lockedUntilMs: t0 + 30_000 }, t0 + 10_000, { failures: 5, maxFailures: 5, retryAfterMs: 20_000, adminResetRequired: false }],
    [{ failures: 5, lockedUntilMs: t0 + 30_000 }, t0 + 30_000, { failures: 0, maxFailures: 5, retryAfterMs: 0, adminResetRequired: false }],
    [{ failures: 7, lockedUntilMs: t0 }, t0, { failures: 2, maxFailures: 5, retryAfterMs: 0, adminResetRequired: false }],
    [{ failures: 25, adminResetRequired: true }, t0, { failures: 5, maxFailures: 5, retryAfterMs: 0, adminResetRequired: true }],
  ])('view of %j at %i', (partial, now, view) => {
    expect(decideLockoutView({ ...initialVerificationState('taro'), ...partial }, policy, now)).toEqual(view);
  });

  it('without a policy the view says an administrator is needed (fail closed)', () => {
    expect(decideLockoutView(initialVerificationState('taro'), undefined, t0)).toMatchObject({ adminResetRequired: true, retryAfterMs: 0 });
  });
});
