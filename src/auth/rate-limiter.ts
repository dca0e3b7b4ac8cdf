import type { Clock } from "../core/ports/clock.js";

/** A token bucket: `perMinute` calls a minute on average, up to `burst` at once. */
export interface RateLimit {
  /** Refill rate; 0 turns the limit off. */
  readonly perMinute: number;
  /** Bucket size: calls possible at once after a quiet spell. At least 1. */
  readonly burst: number;
}

export type RateClass = "write" | "read";

export interface RateLimiterOptions {
  readonly clock: Clock;
  /** Update, CancelUpdate and ClearQuarantine, per principal. Default: 10 a minute, burst 5. */
  readonly writes?: RateLimit;
  /** Every other RPC, per principal. Default: 100 a minute, burst 50. */
  readonly reads?: RateLimit;
  /**
   * Most buckets kept (two per active principal at most). Beyond it, buckets that have refilled
   * (indistinguishable from new ones) are dropped first, then the least recently used. Default: 10 000.
   */
  readonly maxBuckets?: number;
}

export const defaultWriteLimit: RateLimit = { perMinute: 10, burst: 5 };
export const defaultReadLimit: RateLimit = { perMinute: 100, burst: 50 };

export type RateDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

export interface RateLimiter {
  /** Takes one call from the principal's bucket of that class. */
  take(principal: string, rateClass: RateClass): RateDecision;
  /** Buckets held (for tests and metrics). */
  size(): number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** Per-principal token buckets, on the injected clock, in bounded memory. */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const limits: Record<RateClass, RateLimit> = {
    write: options.writes ?? defaultWriteLimit,
    read: options.reads ?? defaultReadLimit,
  };
  for (const [name, limit] of Object.entries(limits)) {
    if (!(limit.perMinute >= 0) || !(limit.burst >= 1)) {
      throw new RangeError(`${name} rate limit: perMinute must be >= 0 and burst >= 1`);
    }
  }
  const maxBuckets = options.maxBuckets ?? 10_000;
  // Map order is least recently used first: every use moves a bucket to the end.
  const buckets = new Map<string, Bucket>();

  function refill(bucket: Bucket, limit: RateLimit, now: number): void {
    const elapsed = Math.max(0, now - bucket.updatedAt);
    bucket.tokens = Math.min(limit.burst, bucket.tokens + (elapsed * limit.perMinute) / 60_000);
    bucket.updatedAt = now;
  }

  function evict(now: number): void {
    const target = Math.floor(maxBuckets * 0.9);
    for (const [key, bucket] of buckets) {
      if (buckets.size <= target) return;
      const limit = limits[key.startsWith("write\0") ? "write" : "read"];
      refill(bucket, limit, now);
      if (bucket.tokens >= limit.burst) buckets.delete(key);
    }
    for (const key of buckets.keys()) {
      if (buckets.size <= target) return;
      buckets.delete(key);
    }
  }

  return {
    take(principal, rateClass) {
      const limit = limits[rateClass];
      if (limit.perMinute === 0) return { allowed: true };
      const now = options.clock.now().getTime();
      const key = `${rateClass}\0${principal}`;
      let bucket = buckets.get(key);
      if (bucket === undefined) {
        bucket = { tokens: limit.burst, updatedAt: now };
      } else {
        buckets.delete(key);
        refill(bucket, limit, now);
      }
      buckets.set(key, bucket);
      if (buckets.size > maxBuckets) evict(now);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true };
      }
      const perMs = limit.perMinute / 60_000;
      return { allowed: false, retryAfterMs: Math.ceil((1 - bucket.tokens) / perMs) };
    },
    size: () => buckets.size,
  };
}
