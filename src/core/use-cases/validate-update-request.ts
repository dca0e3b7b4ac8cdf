import { invalidArgument } from "../domain/domain-error.js";
import { formatDuration } from "./format-duration.js";

const maxIdempotencyKeyLength = 128;

/** The idempotency key, or undefined when unset (proto3 sends "" for unset). */
export function validateIdempotencyKey(key: string | undefined): string | undefined {
  if (key === undefined || key === "") return undefined;
  if (key.length > maxIdempotencyKeyLength) {
    throw invalidArgument(
      "idempotency_key",
      `idempotency_key must be at most ${maxIdempotencyKeyLength} characters, got ${key.length}`,
    );
  }
  if (!/^[\x20-\x7e]+$/.test(key)) {
    throw invalidArgument("idempotency_key", "idempotency_key may contain printable ASCII characters only");
  }
  return key;
}

/** The update's timeout: the default when unset, otherwise more than 0 and at most `maxMs`. */
export function validateUpdateTimeout(timeoutMs: number | undefined, defaultMs: number, maxMs: number): number {
  if (timeoutMs === undefined) return defaultMs;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw invalidArgument("update_timeout", `update_timeout must be positive, got ${timeoutMs}ms`);
  }
  if (timeoutMs > maxMs) {
    throw invalidArgument(
      "update_timeout",
      `update_timeout must be at most ${formatDuration(maxMs)}, got ${formatDuration(timeoutMs)}`,
    );
  }
  return timeoutMs;
}
