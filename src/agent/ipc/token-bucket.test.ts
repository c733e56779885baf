import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../shared/clock';
import { createTokenBuckets } from './token-bucket';

describe('createTokenBuckets', () => {
  it('spends the burst, then one token per 1/rate seconds, and says how long to wait', () => {
    const clock = createFixedClock(0);
    const buckets = createTokenBuckets<number>({ ratePerSecond: 4, burst: 2, clock });
    expect(buckets.take(1)).toEqual({ ok: true });
    expect(buckets.take(1)).toEqual({ ok: true });
    expect(buckets.take(1)).toEqual({ ok: false, retryAfterMs: 250 });
    clock.advanceMs(100);
    expect(buckets.take(1)).toEqual({ ok: false, retryAfterMs: 150 });
    clock.advanceMs(150);
    expect(buckets.take(1)).toEqual({ ok: true });
    // Keys are independent.
    expect(buckets.take(2)).toEqual({ ok: true });
  });

  it('a clock that steps back adds nothing', () => {
    const clock = createFixedClock(10_000);
    const buckets = createTokenBuckets<string>({ ratePerSecond: 1, burst: 1, clock });
    expect(buckets.take('a').ok).toBe(true);
    clock.setMs(0);
    expect(buckets.take('a').ok).toBe(false);
  });

  it('full buckets are forgotten', () => {
    const clock = createFixedClock(0);
    const buckets = createTokenBuckets<number>({ ratePerSecond: 1000, burst: 1, clock });
    for (let key = 0; key < 2000; key += 1) buckets.take(key);
    clock.advanceMs(10);
    for (let i = 0; i < 1024; i += 1) buckets.take(0);
    expect(buckets.size).toBeLessThan(10);
  });

  it('property: over any schedule, granted ≤ burst + rate × elapsed, exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 50 }), fc.array(fc.nat({ max: 200 }), { maxLength: 300 }), (rate, burst, gaps) => {
        const clock = createFixedClock(0);
        const buckets = createTokenBuckets<number>({ ratePerSecond: rate, burst, clock });
        let granted = 0;
        let elapsed = 0;
        for (const gap of gaps) {
          clock.advanceMs(gap);
          elapsed += gap;
          const outcome = buckets.take(0);
          if (outcome.ok) granted += 1;
          else expect(outcome.retryAfterMs).toBeGreaterThanOrEqual(1);
        }
        expect(granted).toBeLessThanOrEqual(burst + Math.floor((rate * (elapsed - (gaps[0] ?? 0))) / 1000));
      }),
    );
  });
});
