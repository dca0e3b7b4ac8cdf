import { statusCodeOf, toDomainError } from "../../cluster/kubernetes/kubernetes-errors.js";
import type { RestClient } from "../../cluster/kubernetes/rest-client.js";
import { type FreezeState, notFrozen } from "../../core/domain/freeze.js";
import type { Unsubscribe } from "../../core/ports/cluster.js";
import type { FreezeStore } from "../../core/ports/freeze-store.js";
import { type ConfigMap, configMapPaths, writeConfigMapData } from "./config-map-document.js";
import type { ConfigMapWatch } from "./config-map-watch.js";
import { defaultConflictRetries, retryOnConflict } from "./retry-on-conflict.js";

export interface ConfigMapFreezeStoreOptions {
  readonly rest: RestClient;
  /** The manager's own namespace. Required. */
  readonly namespace: string;
  /** The ConfigMap's name. Default: "update-manager-freeze". */
  readonly name?: string;
  /**
   * A watch of the ConfigMap (created with `onChange` calling this store's `changed`): reads come from it while it
   * is current, and a freeze another replica writes reaches subscribers. Default: none (every read is a GET).
   */
  readonly watch?: ConfigMapWatch;
  /** Conflicts (409) retried by re-reading, per write. Default: 5. */
  readonly conflictRetries?: number;
}

/** The freeze store on a ConfigMap, plus the hook its watch calls. */
export interface ConfigMapFreezeStore extends FreezeStore {
  /** The watch delivered a version (undefined: deleted): subscribers hear of a changed state. */
  changed(map: ConfigMap | undefined): void;
}

/**
 * The global freeze in one ConfigMap of the manager's namespace (`update-manager-freeze`, key `freeze.json`), so
 * every replica sees one state and it survives restarts and failovers. Writes carry the resourceVersion they read
 * (409: read again and redo). Every new update reads it: from the watch's copy while the watch is current.
 */
export function createConfigMapFreezeStore(options: ConfigMapFreezeStoreOptions): ConfigMapFreezeStore {
  const { rest, namespace } = options;
  const name = options.name ?? "update-manager-freeze";
  const retries = options.conflictRetries ?? defaultConflictRetries;
  const { path } = configMapPaths({ namespace, name });
  const operation = (verb: string) => ({ verb, resource: "configmaps", namespace, name });
  const listeners = new Set<(state: FreezeState) => void>();
  let last: string | undefined;

  async function readLive(): Promise<ConfigMap | undefined> {
    try {
      return await rest.request<ConfigMap>({ method: "GET", path });
    } catch (error) {
      if (statusCodeOf(error) === 404) return undefined;
      throw toDomainError(error, operation("get"));
    }
  }

  function notify(state: FreezeState): void {
    const key = JSON.stringify(encodeFreeze(state));
    if (key === last) return;
    last = key;
    for (const listener of [...listeners]) listener(state);
  }

  return {
    async get() {
      const cached = options.watch?.current();
      return decodeFreeze((cached === undefined ? await readLive() : cached.map)?.data ?? {});
    },
    async set(state) {
      let verb = "patch";
      try {
        await retryOnConflict(retries, async () => {
          const map = await readLive();
          verb = map === undefined ? "create" : "patch";
          const written = await writeConfigMapData(rest, { namespace, name }, map, encodeFreeze(state));
          options.watch?.wrote(written);
        });
      } catch (error) {
        throw toDomainError(error, operation(verb));
      }
      notify(state);
    },
    subscribe(listener): Unsubscribe {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    changed(map) {
      notify(decodeFreeze(map?.data ?? {}));
    },
  };
}

/** The ConfigMap's data (exported for tests). */
export function encodeFreeze(state: FreezeState): Record<string, string> {
  return {
    "freeze.json": JSON.stringify({
      frozen: state.frozen,
      reason: state.reason,
      principal: state.principal,
      ...(state.time === undefined ? {} : { time: state.time.toISOString() }),
    }),
  };
}

/** Reads what encodeFreeze wrote; a missing or unreadable document is not frozen. */
export function decodeFreeze(data: Readonly<Record<string, string>>): FreezeState {
  let value: unknown;
  try {
    value = JSON.parse(data["freeze.json"] ?? "null");
  } catch {
    return notFrozen;
  }
  if (value === null || typeof value !== "object") return notFrozen;
  const raw = value as { frozen?: unknown; reason?: unknown; principal?: unknown; time?: unknown };
  const time = typeof raw.time === "string" ? new Date(raw.time) : undefined;
  return {
    frozen: raw.frozen === true,
    reason: typeof raw.reason === "string" ? raw.reason : "",
    principal: typeof raw.principal === "string" ? raw.principal : "",
    ...(time === undefined || Number.isNaN(time.getTime()) ? {} : { time }),
  };
}
