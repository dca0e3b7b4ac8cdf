import { Code, ConnectError } from "@connectrpc/connect";
import type { UpdateEvent } from "../../../gen/updatemanager/v1/event_pb.js";
import type { WatchUpdateResponse } from "../../../gen/updatemanager/v1/update_service_pb.js";
import { realTimers, sleep, type Timers } from "./timers.js";

/** What the live view says about its stream. */
export type WatchStatus =
  | { readonly state: "connecting"; readonly afterSequence: bigint }
  | { readonly state: "live" }
  | { readonly state: "reconnecting"; readonly inMs: number; readonly reason: string }
  | { readonly state: "finished" }
  | { readonly state: "failed"; readonly error: unknown };

export interface WatchWithResumeOptions {
  /** Opens one WatchUpdate stream sending the events after `afterSequence`. Required. */
  watch(afterSequence: bigint, signal: AbortSignal): AsyncIterable<WatchUpdateResponse>;
  /** Where to start: 0 for every event from the first. Required. */
  afterSequence: bigint;
  /** Called once per event, in sequence order, never twice for the same sequence. Required. */
  onEvent(event: UpdateEvent): void;
  /** Called when the stream's status changes. Required. */
  onStatus(status: WatchStatus): void;
  /** Ends watching. Required. */
  signal: AbortSignal;
  /** Reconnect delays and the idle timeout. Default: `realTimers`. */
  timers?: Timers;
  /** Errors reconnecting cannot fix. Default: UNAUTHENTICATED, PERMISSION_DENIED, NOT_FOUND, INVALID_ARGUMENT. */
  isPermanent?: (error: unknown) => boolean;
  /** The first reconnect delay; it doubles per failed attempt in a row. Default: 1000 ms. */
  initialRetryMs?: number;
  /** The longest reconnect delay. Default: 30000 ms. */
  maxRetryMs?: number;
  /**
   * A stream silent for this long is presumed dead (a laptop that slept, a proxy that dropped the connection
   * quietly) and reopened. The server sends a heartbeat every 15 s. Default: 45000 ms.
   */
  idleTimeoutMs?: number;
}

const permanentCodes: ReadonlySet<Code> = new Set([
  Code.Unauthenticated,
  Code.PermissionDenied,
  Code.NotFound,
  Code.InvalidArgument,
]);

function isPermanentByDefault(error: unknown): boolean {
  return permanentCodes.has(ConnectError.from(error).code);
}

/**
 * Watches an update to its `finished` event across dropped streams: each new stream asks for the events after
 * the last one received (`after_sequence`), so nothing is missed or shown twice. Resolves "finished" after the
 * terminal event, "failed" on a permanent error (reported through `onStatus`), "aborted" when `signal` fires.
 */
export async function watchWithResume(options: WatchWithResumeOptions): Promise<"finished" | "failed" | "aborted"> {
  const { signal } = options;
  const timers = options.timers ?? realTimers;
  const isPermanent = options.isPermanent ?? isPermanentByDefault;
  const initialRetryMs = options.initialRetryMs ?? 1000;
  const maxRetryMs = options.maxRetryMs ?? 30_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 45_000;
  let after = options.afterSequence;
  let failuresInARow = 0;

  while (!signal.aborted) {
    const attempt = new AbortController();
    const abortAttempt = () => attempt.abort();
    signal.addEventListener("abort", abortAttempt, { once: true });
    let idle = false;
    let cancelIdle = () => {};
    const armIdleTimer = () => {
      cancelIdle();
      cancelIdle = timers.setTimer(idleTimeoutMs, () => {
        idle = true;
        attempt.abort();
      });
    };
    let dropReason = "the stream ended before the update finished";
    options.onStatus({ state: "connecting", afterSequence: after });
    try {
      armIdleTimer();
      let first = true;
      for await (const response of options.watch(after, attempt.signal)) {
        armIdleTimer();
        failuresInARow = 0;
        if (first) {
          first = false;
          options.onStatus({ state: "live" });
        }
        if (response.message.case !== "event") continue;
        const event = response.message.value;
        if (event.sequence <= after) continue;
        after = event.sequence;
        options.onEvent(event);
        if (event.kind.case === "finished") {
          options.onStatus({ state: "finished" });
          return "finished";
        }
      }
    } catch (error) {
      if (signal.aborted) return "aborted";
      if (idle) {
        dropReason = `no message for ${Math.round(idleTimeoutMs / 1000)} s`;
      } else if (isPermanent(error)) {
        options.onStatus({ state: "failed", error });
        return "failed";
      } else {
        dropReason = ConnectError.from(error).message;
      }
    } finally {
      cancelIdle();
      signal.removeEventListener("abort", abortAttempt);
      attempt.abort();
    }
    if (signal.aborted) break;
    const delay = Math.min(maxRetryMs, initialRetryMs * 2 ** failuresInARow);
    failuresInARow++;
    options.onStatus({ state: "reconnecting", inMs: delay, reason: dropReason });
    await sleep(timers, delay, signal);
  }
  return "aborted";
}
