import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import type { Clock } from "../core/ports/clock.js";
import { processClock } from "./process-clock.js";

/** Why the watch is opened again. */
export interface Reconnect {
  /** The error that ended the previous stream. */
  readonly cause: ConnectError;
  /** How long the CLI waits before reconnecting. */
  readonly delayMs: number;
  /** Events up to this sequence number were received; the new stream starts after it. */
  readonly afterSequence: bigint;
}

/** A follow that stopped at its wait timeout, without cancelling anything on the server. */
export interface StreamWaitTimedOut {
  readonly kind: "wait-timed-out";
  readonly lastSequence: bigint;
}

/** Where a follow starts, how long it waits, and how it reconnects: the same for every stream the CLI follows. */
export interface FollowTiming {
  /** Start after this sequence number. Default 0: every event from the start. */
  readonly afterSequence?: bigint;
  /** Stop waiting (without cancelling anything) after this long. Default: no limit. */
  readonly waitTimeoutMs?: number;
  /**
   * Reconnect when nothing (not even a heartbeat, which the server sends every 15 s) arrived for this long: a
   * proxy may hold a dead connection open. Default 60 s.
   */
  readonly idleTimeoutMs?: number;
  /** First reconnect delay, doubled on each failure in a row. Default 500 ms. */
  readonly initialDelayMs?: number;
  /** Longest reconnect delay. Default 15 s. */
  readonly maxDelayMs?: number;
  /**
   * Give up (throwing the last cause) when reconnecting has failed for this long in a row; a message received
   * resets it. Default 5 min.
   */
  readonly giveUpAfterMs?: number;
  /** Time and timers. Default real time, with timers that keep the process alive while it waits to reconnect. */
  readonly clock?: Clock;
  /** Called before each reconnect. Default: nothing. */
  onReconnect?(reconnect: Reconnect): void;
}

/** The FollowTiming fields of `options` alone (callers' options carry their own fields beside them). */
export function timingOf(options: FollowTiming): FollowTiming {
  const { afterSequence, waitTimeoutMs, idleTimeoutMs, initialDelayMs, maxDelayMs, giveUpAfterMs, clock } = options;
  return { afterSequence, waitTimeoutMs, idleTimeoutMs, initialDelayMs, maxDelayMs, giveUpAfterMs, clock, onReconnect: (reconnect) => options.onReconnect?.(reconnect) };
}

export interface FollowStreamOptions<Message, Result> extends FollowTiming {
  /** Opens the watch so that it starts after `afterSequence`; aborting `signal` must end it. */
  open(afterSequence: bigint, signal: AbortSignal): AsyncIterable<Message>;
  /** The sequence number of an event; undefined for messages without one (heartbeats). */
  sequenceOf(message: Message): bigint | undefined;
  /**
   * Called with every new event (once each, in order) and every message without a sequence. A result ends the
   * follow with it; undefined reads on.
   */
  onMessage(message: Message): Result | undefined;
  /**
   * Called when a stream ended without an error, with the last sequence received. A result ends the follow with
   * it; a ConnectError is the cause of a reconnect. An error it throws is handled as the stream's own.
   */
  onEnd(lastSequence: bigint): Promise<Result | ConnectError> | Result | ConnectError;
}

/**
 * Follows a server stream of sequenced events, resuming after the last sequence received when the connection
 * drops, the server restarts (UNAVAILABLE), the stream stalls, or the server dropped a slow watcher
 * (RESOURCE_EXHAUSTED, WATCHER_TOO_SLOW), so every event is delivered once; events at or before the last sequence
 * are skipped. Reconnects back off exponentially. Other errors are thrown as ConnectError.
 */
export async function followStream<Message, Result>(
  options: FollowStreamOptions<Message, Result>,
): Promise<Result | StreamWaitTimedOut> {
  const clock = options.clock ?? processClock;
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  const initialDelayMs = options.initialDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 15_000;
  const giveUpAfterMs = options.giveUpAfterMs ?? 300_000;
  const deadline = options.waitTimeoutMs === undefined ? undefined : clock.now().getTime() + options.waitTimeoutMs;

  let lastSequence = options.afterSequence ?? 0n;
  let failingSince: number | undefined;
  let failures = 0;
  for (;;) {
    const abort = new AbortController();
    let stop: "wait-timeout" | "idle" | undefined;
    const cancelDeadline =
      deadline === undefined
        ? () => {}
        : clock.setTimer(Math.max(0, deadline - clock.now().getTime()), () => {
            stop = "wait-timeout";
            abort.abort();
          });
    let cancelIdle = () => {};
    const armIdle = () => {
      cancelIdle();
      cancelIdle = clock.setTimer(idleTimeoutMs, () => {
        stop ??= "idle";
        abort.abort();
      });
    };
    let cause: ConnectError;
    try {
      armIdle();
      for await (const message of options.open(lastSequence, abort.signal)) {
        armIdle();
        failingSince = undefined;
        failures = 0;
        const sequence = options.sequenceOf(message);
        if (sequence !== undefined) {
          // A resumed stream never repeats events, but a server that did must not make the CLI show them twice.
          if (sequence <= lastSequence) continue;
          lastSequence = sequence;
        }
        const result = options.onMessage(message);
        if (result !== undefined) return result;
      }
      const ended = await options.onEnd(lastSequence);
      if (!(ended instanceof ConnectError)) return ended;
      cause = ended;
    } catch (error) {
      if (stop === "wait-timeout") return { kind: "wait-timed-out", lastSequence };
      if (stop === "idle") {
        cause = new ConnectError(`no message for ${Math.round(idleTimeoutMs / 1000)} s`, Code.Unavailable);
      } else {
        cause = ConnectError.from(error);
        if (!isResumable(cause)) throw cause;
      }
    } finally {
      cancelDeadline();
      cancelIdle();
    }

    const now = clock.now().getTime();
    failingSince ??= now;
    if (now - failingSince >= giveUpAfterMs) throw cause;
    const delayMs = Math.min(maxDelayMs, initialDelayMs * 2 ** failures);
    failures += 1;
    options.onReconnect?.({ cause, delayMs, afterSequence: lastSequence });
    if (deadline !== undefined && now + delayMs >= deadline) {
      await sleep(clock, Math.max(0, deadline - now));
      return { kind: "wait-timed-out", lastSequence };
    }
    await sleep(clock, delayMs);
  }
}

/** Errors after which the same watch can go on where it stopped. */
export function isResumable(error: ConnectError): boolean {
  if (error.code === Code.Unavailable) return true;
  if (error.code === Code.ResourceExhausted) {
    return error.findDetails(ErrorInfoSchema).some((info) => info.reason === "WATCHER_TOO_SLOW");
  }
  return false;
}

function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimer(ms, resolve));
}
