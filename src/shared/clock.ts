/** Time is injected so decisions are testable (STYLE.md §4). */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  nowMs(): number;
}

/** The wall clock. */
export const systemClock: Clock = { nowMs: () => Date.now() };

/** A clock that stands still until moved; for tests and replay. */
export function createFixedClock(startMs: number): Clock & { advanceMs(deltaMs: number): void; setMs(ms: number): void } {
  let current = startMs;
  return {
    nowMs: () => current,
    advanceMs: (deltaMs) => {
      current += deltaMs;
    },
    setMs: (ms) => {
      current = ms;
    },
  };
}
