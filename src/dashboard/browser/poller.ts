import type { Timers } from "./timers.js";

export interface PollerOptions {
  /** The pause between the end of one run and the start of the next. Required. */
  intervalMs: number;
  /** One refresh; its errors are its own to show (a rejection is ignored, and polling goes on). Required. */
  run(): Promise<void>;
  timers: Timers;
}

export interface Poller {
  /** Runs now, then every `intervalMs` after each run ended. Does nothing when already started. */
  start(): void;
  /** No further runs (one under way finishes). */
  stop(): void;
  /** Runs now instead of at the next tick (after the current run, if one is under way). */
  refresh(): void;
  readonly running: boolean;
}

/**
 * Calls `run` repeatedly without overlapping runs: a slow server gets fewer requests, never a pile of them.
 */
export function createPoller(options: PollerOptions): Poller {
  let started = false;
  let inFlight = false;
  let again = false;
  let cancelTimer: (() => void) | undefined;

  function schedule(): void {
    cancelTimer?.();
    cancelTimer = started ? options.timers.setTimer(options.intervalMs, tick) : undefined;
  }

  function tick(): void {
    cancelTimer = undefined;
    if (!started) return;
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    options
      .run()
      .catch(() => {})
      .finally(() => {
        inFlight = false;
        if (again) {
          again = false;
          tick();
        } else {
          schedule();
        }
      });
  }

  return {
    start() {
      if (started) return;
      started = true;
      tick();
    },
    stop() {
      started = false;
      again = false;
      cancelTimer?.();
      cancelTimer = undefined;
    },
    refresh() {
      if (!started) return;
      cancelTimer?.();
      cancelTimer = undefined;
      tick();
    },
    get running() {
      return started;
    },
  };
}
