import type { Clock } from "../../src/core/ports/clock.js";

/** A `Clock` whose time moves only when a test says so. */
export interface FakeClock extends Clock {
  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way in time order
   * (ties in the order they were set), including timers that callbacks set while advancing.
   * If callbacks throw, the rest still fire and the first error is rethrown at the end.
   */
  advance(ms: number): void;
  /**
   * Like `advance`, but lets pending promise callbacks and I/O run after each timer, so async code
   * that awaits between timers (the engine) keeps up. Uses `setImmediate`, never real time.
   */
  advanceAsync(ms: number): Promise<void>;
  /**
   * Fires timers until none are left, moving time to each one's due time. Throws after `limit`
   * timers (default 10 000) so a timer that re-arms itself forever fails the test instead of hanging it.
   */
  runAll(limit?: number): number;
  /** How many timers are set and not yet fired or cancelled. */
  pendingTimers(): number;
  /** Lets queued promise callbacks and I/O callbacks run (one `setImmediate` turn). */
  flush(): Promise<void>;
}

interface Timer {
  readonly due: number;
  readonly order: number;
  readonly callback: () => void;
}

/** Creates a fake clock starting at `start` (default 2025-01-01T00:00:00Z). */
export function createFakeClock(start: Date = new Date("2025-01-01T00:00:00Z")): FakeClock {
  let now = start.getTime();
  let nextOrder = 0;
  const timers = new Set<Timer>();

  function nextDue(until: number): Timer | undefined {
    let best: Timer | undefined;
    for (const timer of timers) {
      if (timer.due > until) continue;
      if (best === undefined || timer.due < best.due || (timer.due === best.due && timer.order < best.order)) {
        best = timer;
      }
    }
    return best;
  }

  function fire(timer: Timer, errors: unknown[]): void {
    timers.delete(timer);
    now = Math.max(now, timer.due);
    try {
      timer.callback();
    } catch (error) {
      errors.push(error);
    }
  }

  function rethrow(errors: unknown[]): void {
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} timer callbacks threw`);
  }

  const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

  return {
    now: () => new Date(now),
    setTimer(ms, callback) {
      const timer: Timer = { due: now + Math.max(0, ms), order: nextOrder++, callback };
      timers.add(timer);
      return () => {
        timers.delete(timer);
      };
    },
    advance(ms) {
      if (!(ms >= 0)) throw new RangeError(`advance(${ms}): ms must be a number >= 0`);
      const target = now + ms;
      const errors: unknown[] = [];
      for (let timer = nextDue(target); timer !== undefined; timer = nextDue(target)) fire(timer, errors);
      now = target;
      rethrow(errors);
    },
    async advanceAsync(ms) {
      if (!(ms >= 0)) throw new RangeError(`advanceAsync(${ms}): ms must be a number >= 0`);
      const target = now + ms;
      const errors: unknown[] = [];
      await flush();
      for (let timer = nextDue(target); timer !== undefined; timer = nextDue(target)) {
        fire(timer, errors);
        await flush();
      }
      now = target;
      rethrow(errors);
    },
    runAll(limit = 10_000) {
      const errors: unknown[] = [];
      let fired = 0;
      for (let timer = nextDue(Number.POSITIVE_INFINITY); timer !== undefined; timer = nextDue(Number.POSITIVE_INFINITY)) {
        if (fired >= limit) throw new Error(`runAll: still ${timers.size} timers after firing ${limit}; a timer re-arms itself`);
        fire(timer, errors);
        fired++;
      }
      rethrow(errors);
      return fired;
    },
    pendingTimers: () => timers.size,
    flush,
  };
}
