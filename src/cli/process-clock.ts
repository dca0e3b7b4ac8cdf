import type { Clock } from "../core/ports/clock.js";

/**
 * Real time for the CLI. Unlike the server's `systemClock`, its timers are not unref'd: the CLI must not exit
 * while it waits to retry or reconnect.
 */
export const processClock: Clock = {
  now: () => new Date(),
  setTimer(ms, callback) {
    const handle = setTimeout(callback, ms);
    return () => clearTimeout(handle);
  },
};
