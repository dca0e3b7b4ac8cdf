/**
 * `Retry-After` (RFC 9110): delay-seconds or an HTTP date. Returns milliseconds from `nowMs` (0 for a date in
 * the past), undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^[0-9]{1,10}$/.test(text)) return Number(text) * 1000;
  if (!/^[A-Za-z]{3}, /.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** A request budget as Docker Hub announces it: `ratelimit-limit: 100;w=21600`, `ratelimit-remaining: 76;w=21600`. */
export interface RateLimitQuota {
  /** Requests left in the window. */
  readonly remaining: number;
  /** The window in milliseconds, when given (`w=` seconds). */
  readonly windowMs: number | undefined;
}

/** Parses `N` or `N;w=SECONDS` (draft-ietf-httpapi-ratelimit-headers as Docker Hub sends it). */
export function parseRateLimitQuota(value: string | null): RateLimitQuota | undefined {
  if (value === null) return undefined;
  const match = /^\s*([0-9]{1,12})\s*(?:;\s*w\s*=\s*([0-9]{1,12})\s*)?(?:;.*)?$/.exec(value);
  if (match === null) return undefined;
  return { remaining: Number(match[1]), windowMs: match[2] === undefined ? undefined : Number(match[2]) * 1000 };
}
