/**
 * Why a registry call failed, for the watcher to act on:
 * - `unauthorized`: credentials missing, wrong, or not allowed to pull (HTTP 401/403, a token server refusal);
 * - `not-found`: no such repository, tag or manifest (HTTP 404);
 * - `rate-limited`: the registry said 429 (or the local request budget is spent); retry after `retryAfterMs`;
 * - `unavailable`: network error, timeout, HTTP 5xx: try again on the next check;
 * - `invalid`: bad input or configuration, or a response the client cannot read (never fixed by retrying).
 */
export type RegistryErrorKind = "unauthorized" | "not-found" | "rate-limited" | "unavailable" | "invalid";

export interface RegistryErrorOptions {
  /** Registry host ("docker.io", "127.0.0.1:5000"). */
  readonly registry?: string;
  /** Repository path ("library/nginx"). */
  readonly repository?: string;
  /** HTTP status, when a response caused the error. */
  readonly status?: number;
  /** When to try again (rate-limited only). */
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
}

export class RegistryError extends Error {
  override readonly name = "RegistryError";
  readonly registry: string | undefined;
  readonly repository: string | undefined;
  readonly status: number | undefined;
  /** Set for `rate-limited`: how long to wait before the next request to this registry. */
  readonly retryAfterMs: number | undefined;

  constructor(
    readonly kind: RegistryErrorKind,
    message: string,
    options: RegistryErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.registry = options.registry;
    this.repository = options.repository;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export function isRegistryError(error: unknown, kind?: RegistryErrorKind): error is RegistryError {
  return error instanceof RegistryError && (kind === undefined || error.kind === kind);
}
