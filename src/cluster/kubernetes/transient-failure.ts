import { KubernetesApiError, statusCodeOf } from "./kubernetes-errors.js";

/**
 * A failure worth another try of the same request: no answer at all (a reset, a timeout, a refused connection),
 * a 5xx, or 429. For all but 429 the request may have been applied before its answer was lost.
 */
export function isTransientFailure(error: unknown): boolean {
  const code = statusCodeOf(error);
  return code === undefined || code >= 500 || code === 429;
}

/** Whether a failed write may have been applied anyway: no answer, or a 5xx (a 429 was refused before any work). */
export function mayHaveBeenApplied(error: unknown): boolean {
  const code = statusCodeOf(error);
  return code === undefined || code >= 500;
}

/** The server's Retry-After in ms, capped at `capMs`; undefined when it sent none. */
export function retryAfterMs(error: unknown, capMs: number): number | undefined {
  if (!(error instanceof KubernetesApiError) || error.retryAfterSeconds === undefined) return undefined;
  return Math.min(capMs, Math.max(0, error.retryAfterSeconds * 1000));
}
