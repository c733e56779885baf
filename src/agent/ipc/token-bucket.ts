import type { Clock } from '../../shared/clock';

/** Outcome of taking one token. */
export type TakeOutcome = { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number };

/** Token buckets keyed by a number (uid) or string; one bucket per key. */
export interface TokenBuckets<K> {
  take(key: K): TakeOutcome;
  /** Keys with a bucket right now (full buckets are dropped now and then). */
  readonly size: number;
}

/**
 * Token buckets: each key holds up to `burst` tokens and gains `ratePerSecond` per second
 * (continuously, from the injected clock). `take` spends one token or says how long until one is
 * there (whole ms, at least 1). Buckets that are full again are forgotten, so memory follows
 * active keys only.
 */
export function createTokenBuckets<K>(options: { ratePerSecond: number; burst: number; clock: Clock }): TokenBuckets<K> {
  const { ratePerSecond, burst, clock } = options;
  if (!(ratePerSecond > 0) || !(burst >= 1)) throw new RangeError(`token bucket needs ratePerSecond > 0 and burst ≥ 1 (got ${ratePerSecond}, ${burst})`);
  // Kept in thousandths of a token: one ms at an integer rate adds a whole number of them, so
  // counts are exact (no floating-point drift over many small refills).
  const capacity = burst * 1000;
  const buckets = new Map<K, { milliTokens: number; atMs: number }>();
  let takesSinceSweep = 0;

  const refill = (bucket: { milliTokens: number; atMs: number }, nowMs: number): void => {
    // A clock that steps back gives no tokens (and takes none away).
    const elapsedMs = Math.max(0, nowMs - bucket.atMs);
    bucket.milliTokens = Math.min(capacity, bucket.milliTokens + elapsedMs * ratePerSecond);
    bucket.atMs = nowMs;
  };

  const sweep = (nowMs: number): void => {
    for (const [key, bucket] of buckets) {
      refill(bucket, nowMs);
      if (bucket.milliTokens >= capacity) buckets.delete(key);
    }
  };

  return {
    get size() {
      return buckets.size;
    },
    take(key) {
      const nowMs = clock.nowMs();
      takesSinceSweep += 1;
      if (takesSinceSweep >= 1024) {
        takesSinceSweep = 0;
        sweep(nowMs);
      }
      let bucket = buckets.get(key);
      if (bucket === undefined) {
        bucket = { milliTokens: capacity, atMs: nowMs };
        buckets.set(key, bucket);
      } else {
        refill(bucket, nowMs);
      }
      if (bucket.milliTokens >= 1000) {
        bucket.milliTokens -= 1000;
        return { ok: true };
      }
      return { ok: false, retryAfterMs: Math.max(1, Math.ceil((1000 - bucket.milliTokens) / ratePerSecond)) };
    },
  };
}
