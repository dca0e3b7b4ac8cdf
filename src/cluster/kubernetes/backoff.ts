/** How informers wait before restarting after an error. */
export interface BackoffOptions {
  /** Delay before the first retry. Default: 500 ms. */
  readonly initialDelayMs?: number;
  /** No delay is longer than this. Default: 30 000 ms. */
  readonly maxDelayMs?: number;
  /** Growth per consecutive failure. Default: 2. */
  readonly multiplier?: number;
  /**
   * Fraction of each delay taken off at random (0..1), so informers that failed together (the API
   * server restarted) do not retry in lockstep. Default: 0.2.
   */
  readonly jitter?: number;
}

export interface Backoff {
  /** The delay before the next retry; each call counts one more consecutive failure. */
  next(): number;
  /** After a success: the next failure waits the initial delay again. */
  reset(): void;
}

/** Capped exponential backoff with jitter. @param random in [0, 1); injectable for tests. */
export function createBackoff(options: BackoffOptions = {}, random: () => number = Math.random): Backoff {
  const initial = Math.max(1, options.initialDelayMs ?? 500);
  const max = Math.max(initial, options.maxDelayMs ?? 30_000);
  const multiplier = Math.max(1, options.multiplier ?? 2);
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0.2));
  let failures = 0;
  return {
    next() {
      const base = Math.min(max, initial * multiplier ** failures);
      failures++;
      return Math.max(1, Math.round(base * (1 - jitter * random())));
    },
    reset() {
      failures = 0;
    },
  };
}
