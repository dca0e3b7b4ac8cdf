import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import type { Clock } from "../core/ports/clock.js";

export interface RetryOptions {
  /** Time and timers (timers must keep the process alive). */
  readonly clock: Clock;
  /** Tries in all. Default 5. */
  readonly attempts?: number;
  /** First delay, doubled after each failure; the server's RetryInfo wins when longer. Default 1 s. */
  readonly initialDelayMs?: number;
  /** Longest delay. Default 15 s. */
  readonly maxDelayMs?: number;
  /** Called before each retry. */
  onRetry?(error: ConnectError, delayMs: number): void;
}

/**
 * Calls a unary RPC and retries what the server says is worth retrying: UNAVAILABLE (not reachable, caches not
 * synced, identity issuer down) and RESOURCE_EXHAUSTED with reason RATE_LIMITED, after the delay its RetryInfo
 * names. Update is safe to retry: with an idempotency key the server answers the first update, and without one a
 * second request finds its targets busy or already on the image.
 */
export async function callWithRetries<T>(call: () => Promise<T>, options: RetryOptions): Promise<T> {
  const attempts = options.attempts ?? 5;
  const initialDelayMs = options.initialDelayMs ?? 1000;
  const maxDelayMs = options.maxDelayMs ?? 15_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const connectError = ConnectError.from(error);
      if (attempt >= attempts || !isRetryable(connectError)) throw connectError;
      const delayMs = Math.min(maxDelayMs, Math.max(initialDelayMs * 2 ** (attempt - 1), retryInfoMs(connectError)));
      options.onRetry?.(connectError, delayMs);
      await new Promise<void>((resolve) => options.clock.setTimer(delayMs, resolve));
    }
  }
}

function isRetryable(error: ConnectError): boolean {
  if (error.code === Code.Unavailable) return true;
  return (
    error.code === Code.ResourceExhausted &&
    error.findDetails(ErrorInfoSchema).some((info) => info.reason === "RATE_LIMITED")
  );
}

function retryInfoMs(error: ConnectError): number {
  const delay = error.findDetails(RetryInfoSchema)[0]?.retryDelay;
  if (delay === undefined) return 0;
  return Number(delay.seconds) * 1000 + Math.ceil(delay.nanos / 1_000_000);
}
