/**
 * When each watched workload is checked next. In memory on purpose: after a restart or failover every
 * workload is simply due once, which costs one check and loses nothing (soak times are durable elsewhere).
 */
export interface WatchSchedule {
  /** True when the workload was never checked, or its next check time has come. */
  isDue(key: string, nowMs: number): boolean;
  /** The next check of the workload is at `atMs`. */
  next(key: string, atMs: number): void;
  /** Forgets workloads not in `keys` (deleted, or no longer watched). */
  retain(keys: ReadonlySet<string>): void;
  /** The earliest next check of any workload; undefined when none is known. */
  earliest(): number | undefined;
}

export function createWatchSchedule(): WatchSchedule {
  const nextCheck = new Map<string, number>();
  return {
    isDue: (key, nowMs) => (nextCheck.get(key) ?? Number.NEGATIVE_INFINITY) <= nowMs,
    next: (key, atMs) => {
      nextCheck.set(key, atMs);
    },
    retain(keys) {
      for (const key of nextCheck.keys()) if (!keys.has(key)) nextCheck.delete(key);
    },
    earliest() {
      let earliest: number | undefined;
      for (const at of nextCheck.values()) if (earliest === undefined || at < earliest) earliest = at;
      return earliest;
    },
  };
}
