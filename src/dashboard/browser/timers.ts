/**
 * Timers the dashboard's logic is given rather than calling `setTimeout` itself, so its tests can move time
 * with a fake clock (test/support/fake-clock.ts has the same shape).
 */
export interface Timers {
  /** Calls `callback` once after `ms`; the returned function cancels it. */
  setTimer(ms: number, callback: () => void): () => void;
}

/** The browser's (or Node's) own timers. */
export const realTimers: Timers = {
  setTimer(ms, callback) {
    const handle = setTimeout(callback, ms);
    return () => clearTimeout(handle);
  },
};

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(timers: Timers, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = () => {
      cancel();
      signal.removeEventListener("abort", done);
      resolve();
    };
    const cancel = timers.setTimer(ms, done);
    signal.addEventListener("abort", done, { once: true });
  });
}
