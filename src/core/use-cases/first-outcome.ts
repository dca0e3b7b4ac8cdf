/**
 * A promise settled by whichever of several event sources reports first (a watch, a timer, a
 * signal); later reports are ignored and every source is cleaned up once it settles.
 */
export interface FirstOutcome<T> {
  readonly promise: Promise<T>;
  readonly settled: boolean;
  settle(outcome: T): void;
  /** Runs at settlement (at once if already settled): unsubscribe, cancel timers. */
  onSettle(cleanup: () => void): void;
}

export function createFirstOutcome<T>(): FirstOutcome<T> {
  let resolve!: (outcome: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  let settled = false;
  const cleanups: (() => void)[] = [];
  return {
    promise,
    get settled() {
      return settled;
    },
    settle(outcome) {
      if (settled) return;
      settled = true;
      for (const cleanup of cleanups.splice(0)) cleanup();
      resolve(outcome);
    },
    onSettle(cleanup) {
      if (settled) cleanup();
      else cleanups.push(cleanup);
    },
  };
}

/** Settles with `outcome` when `signal` aborts; no-op without a signal. */
export function settleOnAbort<T>(first: FirstOutcome<T>, signal: AbortSignal | undefined, outcome: T): void {
  if (signal === undefined || first.settled) return;
  if (signal.aborted) {
    first.settle(outcome);
    return;
  }
  const onAbort = () => first.settle(outcome);
  signal.addEventListener("abort", onAbort, { once: true });
  first.onSettle(() => signal.removeEventListener("abort", onAbort));
}
