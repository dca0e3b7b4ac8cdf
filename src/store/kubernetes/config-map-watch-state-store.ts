import { statusCodeOf, toDomainError } from "../../cluster/kubernetes/kubernetes-errors.js";
import type { RestClient } from "../../cluster/kubernetes/rest-client.js";
import { type ConfigMap, configMapPaths, writeConfigMapData } from "./config-map-document.js";
import { defaultConflictRetries, retryOnConflict } from "./retry-on-conflict.js";
import type { AvailableUpdate } from "../../core/domain/available-update.js";
import { applyWatchStateChange, defaultMaxWatchStateEntries, emptyWatchState, type WatchAttempt, type WatchState } from "../../core/domain/watch-state.js";
import type { WatchStateStore } from "../../core/ports/watch-state-store.js";

export interface ConfigMapWatchStateStoreOptions {
  readonly rest: RestClient;
  /** The manager's own namespace. Required. */
  readonly namespace: string;
  /** The ConfigMap's name. Default: "update-manager-watch". */
  readonly name?: string;
  /** Entries kept per map (first-seen times, attempts), oldest dropped: the ConfigMap holds at most 1 MiB. Default: 2000. */
  readonly maxEntries?: number;
  /** Conflicts (409) retried by re-reading, per write. Default: 5. */
  readonly conflictRetries?: number;
}

type StoredAvailable = Omit<AvailableUpdate, "firstSeen" | "soakingUntil" | "checkTime"> & {
  readonly firstSeen?: string;
  readonly soakingUntil?: string;
  readonly checkTime: string;
};


/**
 * The registry watcher's durable state in one ConfigMap of the manager's namespace (`update-manager-watch`):
 * `first-seen.json` (version -> ISO time: soak times survive restarts and failovers), `attempts.json` (the
 * watcher's updates, so a failed version is not retried), `available.json` (what ListAvailableUpdates answers on
 * every replica) and `rechecks.json` (repositories a registry webhook named on a replica that does not lead, for the
 * leader to check). A ConfigMap rather than workload annotations: writing those would change the tenants' objects
 * (and wake GitOps tools) for bookkeeping, and first-seen times belong to images, shared by many workloads. Writes
 * carry the resourceVersion they read (409: read again and redo); the watcher writes at most once per cycle.
 */
export function createConfigMapWatchStateStore(options: ConfigMapWatchStateStoreOptions): WatchStateStore {
  const { rest, namespace } = options;
  const name = options.name ?? "update-manager-watch";
  const maxEntries = options.maxEntries ?? defaultMaxWatchStateEntries;
  const retries = options.conflictRetries ?? defaultConflictRetries;
  const { path } = configMapPaths({ namespace, name });
  const operation = (verb: string) => ({ verb, resource: "configmaps", namespace, name });

  async function read(): Promise<{ map: ConfigMap | undefined; state: WatchState }> {
    let map: ConfigMap;
    try {
      map = await rest.request<ConfigMap>({ method: "GET", path });
    } catch (error) {
      if (statusCodeOf(error) === 404) return { map: undefined, state: emptyWatchState };
      throw toDomainError(error, operation("get"));
    }
    return { map, state: decode(map.data ?? {}) };
  }

  return {
    load: async () => (await read()).state,
    async save(change) {
      let verb = "patch";
      try {
        await retryOnConflict(retries, async () => {
          const { map, state } = await read();
          verb = map === undefined ? "create" : "patch";
          await writeConfigMapData(rest, { namespace, name }, map, encode(applyWatchStateChange(state, change, maxEntries)));
        });
      } catch (error) {
        throw toDomainError(error, operation(verb));
      }
    },
  };
}

/** The ConfigMap's data as text (exported for tests). */
export function encode(state: WatchState): Record<string, string> {
  return {
    "first-seen.json": JSON.stringify(Object.fromEntries([...state.firstSeen].map(([key, time]) => [key, time.toISOString()]))),
    "attempts.json": JSON.stringify(
      Object.fromEntries([...state.attempts].map(([key, value]) => [key, { updateId: value.updateId, time: value.time.toISOString() }])),
    ),
    "available.json": JSON.stringify(state.available),
    ...(state.rechecks === undefined || state.rechecks.size === 0
      ? {}
      : { "rechecks.json": JSON.stringify(Object.fromEntries([...state.rechecks].map(([key, time]) => [key, time.toISOString()]))) }),
  };
}

/** Reads what encode wrote; unreadable parts start empty rather than stopping the watcher. */
export function decode(data: Readonly<Record<string, string>>): WatchState {
  const parse = (key: string): unknown => {
    try {
      return JSON.parse(data[key] ?? "null");
    } catch {
      return null;
    }
  };
  const firstSeen = new Map<string, Date>();
  const seen = parse("first-seen.json");
  if (seen !== null && typeof seen === "object") {
    for (const [key, value] of Object.entries(seen)) {
      const time = new Date(String(value));
      if (!Number.isNaN(time.getTime())) firstSeen.set(key, time);
    }
  }
  const attempts = new Map<string, WatchAttempt>();
  const stored = parse("attempts.json");
  if (stored !== null && typeof stored === "object") {
    for (const [key, value] of Object.entries(stored as Record<string, { updateId?: unknown; time?: unknown }>)) {
      if (typeof value?.updateId === "string") attempts.set(key, { updateId: value.updateId, time: new Date(String(value.time)) });
    }
  }
  const list = parse("available.json");
  const available = Array.isArray(list)
    ? (list as StoredAvailable[]).map(({ firstSeen: seenAt, soakingUntil, checkTime, ...rest }): AvailableUpdate => ({
        ...rest,
        ...(seenAt === undefined ? {} : { firstSeen: new Date(seenAt) }),
        ...(soakingUntil === undefined ? {} : { soakingUntil: new Date(soakingUntil) }),
        checkTime: new Date(checkTime),
      }))
    : [];
  const rechecks = new Map<string, Date>();
  const requested = parse("rechecks.json");
  if (requested !== null && typeof requested === "object") {
    for (const [key, value] of Object.entries(requested)) {
      const time = new Date(String(value));
      if (!Number.isNaN(time.getTime())) rechecks.set(key, time);
    }
  }
  return { firstSeen, attempts, available, ...(rechecks.size === 0 ? {} : { rechecks }) };
}
