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
}

/** A change to the state: new entries are added (existing first-seen times are kept), `available` replaces. */
export interface WatchStateChange {
  readonly firstSeen?: ReadonlyMap<string, Date>;
  readonly attempts?: ReadonlyMap<string, WatchAttempt>;
  readonly available?: readonly AvailableUpdate[];
}

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
  return {
    firstSeen: newest(firstSeen, maxEntries, (time) => time.getTime()),
    attempts: newest(attempts, maxEntries, (attempt) => attempt.time.getTime()),
    available: change.available ?? state.available,
  };
}

function newest<T>(map: Map<string, T>, max: number, timeOf: (value: T) => number): Map<string, T> {
  if (map.size <= max) return map;
  return new Map([...map].sort((a, b) => timeOf(b[1]) - timeOf(a[1])).slice(0, max));
}
