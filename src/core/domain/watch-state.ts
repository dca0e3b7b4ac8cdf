import type { AvailableUpdate } from "./available-update.js";

/** An update the watcher started, remembered so a version that failed is never applied again by itself. */
export interface WatchAttempt {
  readonly updateId: string;
  readonly time: Date;
}

/** What the registry watcher keeps across restarts and leader changes. */
export interface WatchState {
  /**
   * When the manager first saw a version, by `<registry>/<repository>:<tag>` or `<registry>/<repository>@<digest>`:
   * soak times (`min-age`) count from it, so a restart or failover does not restart them.
   */
  readonly firstSeen: ReadonlyMap<string, Date>;
  /** The watcher's updates, by `<Kind>/<namespace>/<name>|<container>|<image>`. */
  readonly attempts: ReadonlyMap<string, WatchAttempt>;
  /** The newer versions found by the last checks, so every replica can answer ListAvailableUpdates. */
  readonly available: readonly AvailableUpdate[];
  /**
   * Repositories a replica that does not lead was asked to re-check (a registry webhook), by full name
   * ("registry:5000/team/web"), with the request's time: the leader checks their workloads at its next cycle.
   * Default: none.
   */
  readonly rechecks?: ReadonlyMap<string, Date>;
}

/** A change to the state: new entries are added (existing first-seen times are kept), `available` replaces. */
export interface WatchStateChange {
  readonly firstSeen?: ReadonlyMap<string, Date>;
  readonly attempts?: ReadonlyMap<string, WatchAttempt>;
  readonly available?: readonly AvailableUpdate[];
  /** Re-check requests to add (a later time replaces an earlier one). */
  readonly rechecks?: ReadonlyMap<string, Date>;
}

/** Re-check requests kept (the newest): a leader handles them within a cycle, so few are ever pending. */
export const maxWatchStateRechecks = 100;

/**
 * Entries kept per map (first-seen times, attempts) by every watch-state store, in memory and in the ConfigMap
 * alike (a ConfigMap holds at most 1 MiB); past it the oldest go (an old first-seen time only shortens nothing:
 * a version seen that long ago has soaked; an old attempt is of a version long superseded).
 */
export const defaultMaxWatchStateEntries = 2000;

export const emptyWatchState: WatchState = Object.freeze({
  firstSeen: new Map<string, Date>(),
  attempts: new Map<string, WatchAttempt>(),
  available: [],
});

/** Merges a change into a state (first-seen times are never moved later); `maxEntries` bounds each map, oldest dropped. */
export function applyWatchStateChange(state: WatchState, change: WatchStateChange, maxEntries: number): WatchState {
  const firstSeen = new Map(state.firstSeen);
  for (const [key, time] of change.firstSeen ?? []) {
    const known = firstSeen.get(key);
    if (known === undefined || time < known) firstSeen.set(key, time);
  }
  const attempts = new Map(state.attempts);
  for (const [key, attempt] of change.attempts ?? []) attempts.set(key, attempt);
  const rechecks = new Map(state.rechecks ?? []);
  for (const [key, time] of change.rechecks ?? []) {
    const known = rechecks.get(key);
    if (known === undefined || time > known) rechecks.set(key, time);
  }
  return {
    firstSeen: newest(firstSeen, maxEntries, (time) => time.getTime()),
    attempts: newest(attempts, maxEntries, (attempt) => attempt.time.getTime()),
    available: change.available ?? state.available,
    ...(rechecks.size === 0 ? {} : { rechecks: newest(rechecks, maxWatchStateRechecks, (time) => time.getTime()) }),
  };
}

function newest<T>(map: Map<string, T>, max: number, timeOf: (value: T) => number): Map<string, T> {
  if (map.size <= max) return map;
  return new Map([...map].sort((a, b) => timeOf(b[1]) - timeOf(a[1])).slice(0, max));
}
