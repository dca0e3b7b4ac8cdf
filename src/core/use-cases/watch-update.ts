import { DomainError } from "../domain/domain-error.js";
import { isTerminal } from "../domain/update.js";
import type { UpdateEvent } from "../domain/update-event.js";
import { updateEventBytes } from "../domain/update-event-size.js";
import type { Clock } from "../ports/clock.js";
import type { Unsubscribe } from "../ports/cluster.js";
import type { UpdateStore } from "../ports/update-store.js";
import { updateNotFound } from "./get-update.js";
import type { ResolvedUpdateEngineOptions } from "./update-engine-options.js";

/** One message of a watch stream. */
export type WatchItem =
  | { readonly type: "event"; readonly event: UpdateEvent }
  | {
      readonly type: "heartbeat";
      readonly time: Date;
      /** The sequence of the last event delivered on this stream (or the starting point). */
      readonly lastSequence: number;
    };

export type WatchUpdate = (id: string, afterSequence: number, signal?: AbortSignal) => AsyncIterable<WatchItem>;

/**
 * Streams an update's events: the recorded ones after `afterSequence`, then live ones, gapless and
 * in order, ending after the `finished` event. Heartbeats keep idle streams alive. A client that
 * leaves more than `watchBufferSize` live events, or more than `watchBufferBytes` of them (`updateEventBytes`),
 * unread is cut off with WATCHER_TOO_SLOW (metadata `last_sequence`, to resume from) instead of growing the
 * server's memory. An `afterSequence`
 * beyond the last event means live events only. Errors (NOT_FOUND)
 * surface on the first read. Ending iteration or aborting `signal` releases everything at once.
 */
export function createWatchUpdate(
  deps: { readonly store: UpdateStore; readonly clock: Clock },
  options: Pick<ResolvedUpdateEngineOptions, "watchHeartbeatMs" | "watchBufferSize" | "watchBufferBytes">,
): WatchUpdate {
  return (id, afterSequence, signal) => ({
    [Symbol.asyncIterator]: () => createWatchIterator(id, Math.max(0, Math.floor(afterSequence)), signal),
  });

  function createWatchIterator(id: string, afterSequence: number, signal: AbortSignal | undefined): AsyncIterator<WatchItem> {
    let started = false;
    let closed = false;
    let overflow = false;
    let lastDelivered = afterSequence;
    /** Recorded events not delivered yet, then live ones; both in sequence order. */
    let backlog: UpdateEvent[] = [];
    const live: UpdateEvent[] = [];
    /** What `live` holds, in `updateEventBytes`. */
    let liveBytes = 0;
    let heartbeatDue = false;
    /** When the stream last sent something (ms): a heartbeat is due `watchHeartbeatMs` after it. */
    let lastSentMs = 0;
    let unsubscribe: Unsubscribe | undefined;
    let cancelHeartbeat: (() => void) | undefined;
    let wake: (() => void) | undefined;

    const onAbort = () => close();
    signal?.addEventListener("abort", onAbort, { once: true });

    function close(): void {
      if (closed) return;
      closed = true;
      unsubscribe?.();
      unsubscribe = undefined;
      cancelHeartbeat?.();
      cancelHeartbeat = undefined;
      signal?.removeEventListener("abort", onAbort);
      backlog = [];
      live.length = 0;
      liveBytes = 0;
      wake?.();
    }

    /**
     * Notes that the stream sent something now. One timer runs per stream, set for `watchHeartbeatMs` after the
     * last send: when it fires early (sends came since it was set) it sets itself for the rest, instead of every
     * event cancelling and setting a timer (which cost a busy stream a timer per event).
     */
    function sent(): void {
      heartbeatDue = false;
      lastSentMs = deps.clock.now().getTime();
      if (cancelHeartbeat === undefined) armHeartbeat(options.watchHeartbeatMs);
    }

    function armHeartbeat(ms: number): void {
      cancelHeartbeat = deps.clock.setTimer(ms, () => {
        cancelHeartbeat = undefined;
        if (closed) return;
        const quiet = deps.clock.now().getTime() - lastSentMs;
        if (quiet < options.watchHeartbeatMs) {
          armHeartbeat(options.watchHeartbeatMs - quiet);
          return;
        }
        heartbeatDue = true;
        wake?.();
      });
    }

    async function start(): Promise<void> {
      started = true;
      const record = await deps.store.get(id);
      if (record === undefined) throw updateNotFound(id);
      if (closed) return;
      // Subscribe before reading, so nothing recorded in between is missed; duplicates are dropped by sequence.
      unsubscribe = deps.store.subscribe(id, (event) => {
        if (closed || overflow) return;
        live.push(event);
        liveBytes += updateEventBytes(event);
        if (live.length > options.watchBufferSize || liveBytes > options.watchBufferBytes) {
          overflow = true;
          unsubscribe?.();
          unsubscribe = undefined;
          live.length = 0;
          liveBytes = 0;
        }
        wake?.();
      });
      // Already finished and nothing left after afterSequence: the stream has nothing more to say.
      if (isTerminal(record.state) && afterSequence >= record.lastSequence) {
        close();
        return;
      }
      // A point beyond the last event means "only what comes next": from the last one on.
      lastDelivered = Math.min(afterSequence, record.lastSequence);
      backlog = [...(await deps.store.readEvents(id, lastDelivered))];
      sent();
    }

    /** Removes the first event of the backlog, or else of the live buffer. */
    function shiftNext(): void {
      if (backlog.length > 0) backlog.shift();
      else {
        const event = live.shift();
        if (event !== undefined) liveBytes -= updateEventBytes(event);
      }
    }

    /**
     * The next event to deliver if it is at hand, or "gap" when the next one held skips sequences (`fillGap`).
     * Synchronous: a busy stream takes each event without a promise of its own.
     */
    function takeNext(): UpdateEvent | "gap" | undefined {
      for (;;) {
        const candidate = backlog.length > 0 ? backlog[0] : live[0];
        if (candidate === undefined) return undefined;
        if (candidate.sequence <= lastDelivered) {
          shiftNext();
          continue;
        }
        if (candidate.sequence > lastDelivered + 1) return "gap";
        shiftNext();
        return candidate;
      }
    }

    /** Reads the events missing before the next one held from the store, should a gap ever appear. */
    async function fillGap(): Promise<void> {
      const next = (backlog.length > 0 ? backlog[0] : live[0])!;
      const missing = (await deps.store.readEvents(id, lastDelivered)).filter((event) => event.sequence < next.sequence);
      if (missing.length === 0) {
        // The store cannot fill it: better an error than a stream with a hole in it.
        close();
        throw new DomainError("internal", "INTERNAL", `events of update ${id} after ${lastDelivered} are missing`);
      }
      backlog = [...missing, ...backlog];
    }

    return {
      async next(): Promise<IteratorResult<WatchItem>> {
        if (!started) {
          try {
            await start();
          } catch (error) {
            close();
            throw error;
          }
        }
        for (;;) {
          if (closed) return { done: true, value: undefined };
          if (overflow) {
            close();
            throw new DomainError(
              "resource-exhausted",
              "WATCHER_TOO_SLOW",
              `the watcher fell more than ${options.watchBufferSize} events or ${options.watchBufferBytes} bytes behind; resume with after_sequence ${lastDelivered}`,
              { metadata: { last_sequence: String(lastDelivered) } },
            );
          }
          const event = takeNext();
          if (event === "gap") {
            await fillGap();
            continue;
          }
          if (event !== undefined) {
            lastDelivered = event.sequence;
            if (event.type === "finished") close();
            else sent();
            return { done: false, value: { type: "event", event } };
          }
          if (heartbeatDue) {
            sent();
            return { done: false, value: { type: "heartbeat", time: deps.clock.now(), lastSequence: lastDelivered } };
          }
          // Something may have arrived meanwhile; check before sleeping (synchronously with it).
          if (closed || overflow || heartbeatDue || backlog.length > 0 || live.length > 0) continue;
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
        }
      },
      async return(): Promise<IteratorResult<WatchItem>> {
        close();
        return { done: true, value: undefined };
      },
    };
  }
}
