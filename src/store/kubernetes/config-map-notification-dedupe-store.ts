import { statusCodeOf, toDomainError } from "../../cluster/kubernetes/kubernetes-errors.js";
import type { RestClient } from "../../cluster/kubernetes/rest-client.js";
import type { Clock } from "../../core/ports/clock.js";
import { type CoreLogger, silentLogger } from "../../core/ports/logger.js";
import type { NotificationDedupeStore } from "../../core/ports/notification-dedupe-store.js";
import { createMemoryNotificationDedupeStore, type MemoryNotificationDedupeStoreOptions } from "../memory/memory-notification-dedupe-store.js";
import { type ConfigMap, configMapPaths, writeConfigMapData } from "./config-map-document.js";
import { defaultConflictRetries, retryOnConflict } from "./retry-on-conflict.js";

/** The ConfigMap's name unless told otherwise (kube/base/role.yaml names it). */
export const notificationStateConfigMap = "update-manager-notifications";

export interface ConfigMapNotificationDedupeStoreOptions extends MemoryNotificationDedupeStoreOptions {
  readonly rest: RestClient;
  /** The manager's own namespace. Required. */
  readonly namespace: string;
  /** Default: "update-manager-notifications". */
  readonly name?: string;
  readonly clock: Clock;
  /** New findings are written together, this long after the first of them. Default: 1000 ms. */
  readonly flushDelayMs?: number;
  /** A failed write is tried again this long after. Default: 30 000 ms. */
  readonly retryDelayMs?: number;
  /** Conflicts (409) retried by re-reading, per write. Default: 5. */
  readonly conflictRetries?: number;
  /** Default: silent. */
  readonly logger?: CoreLogger;
}

/**
 * Sent findings in one ConfigMap of the manager's namespace (`update-manager-notifications`), one data key per
 * channel holding its finding hashes (newline-separated, oldest first), so a restart or a new leader does not tell
 * people the same thing again. Read once before the first check (a failed read is retried by the next check);
 * written a moment after new findings, all of them in one write, merging what another replica wrote (read, merge,
 * write with the resourceVersion read; 409: again).
 */
export function createConfigMapNotificationDedupeStore(options: ConfigMapNotificationDedupeStoreOptions): NotificationDedupeStore {
  const { rest, namespace, clock } = options;
  const name = options.name ?? notificationStateConfigMap;
  const logger = options.logger ?? silentLogger;
  const flushDelayMs = options.flushDelayMs ?? 1000;
  const retryDelayMs = options.retryDelayMs ?? 30_000;
  const retries = options.conflictRetries ?? defaultConflictRetries;
  const { path } = configMapPaths({ namespace, name });
  const memory = createMemoryNotificationDedupeStore(options);
  let loaded: Promise<void> | undefined;
  let dirty = false;
  let cancelTimer: (() => void) | undefined;
  let writing: Promise<void> | undefined;
  /** The resourceVersion this store last read or wrote: a different one means another replica wrote. */
  let knownVersion: string | undefined;

  async function read(): Promise<ConfigMap | undefined> {
    try {
      return await rest.request<ConfigMap>({ method: "GET", path });
    } catch (error) {
      if (statusCodeOf(error) === 404) return undefined;
      throw toDomainError(error, { verb: "get", resource: "configmaps", namespace, name });
    }
  }

  const restore = (map: ConfigMap | undefined): void => {
    if (map !== undefined && map.metadata.resourceVersion === knownVersion) return;
    knownVersion = map?.metadata.resourceVersion;
    const data = map?.data ?? {};
    memory.restore(Object.fromEntries(Object.entries(data).map(([channel, text]) => [channel, text.split("\n").filter((line) => line !== "")])));
  };

  const load = (): Promise<void> => {
    loaded ??= read().then(restore, (error: unknown) => {
      loaded = undefined;
      throw error;
    });
    return loaded;
  };

  const schedule = (delayMs: number): void => {
    if (cancelTimer !== undefined) return;
    cancelTimer = clock.setTimer(delayMs, () => {
      cancelTimer = undefined;
      void write();
    });
  };

  async function write(): Promise<void> {
    while (writing !== undefined) await writing;
    if (!dirty) return;
    dirty = false;
    writing = (async () => {
      try {
        await load();
        await retryOnConflict(retries, async () => {
          const current = await read();
          restore(current); // another replica's findings are kept too.
          const data = Object.fromEntries(Object.entries(memory.snapshot()).map(([channel, list]) => [channel, list.join("\n")]));
          const written = await writeConfigMapData(rest, { namespace, name }, current, data);
          knownVersion = written.metadata.resourceVersion;
        });
      } catch (error) {
        dirty = true;
        logger.error({ err: error, configMap: `${namespace}/${name}` }, `cannot write the sent notifications to ConfigMap ${namespace}/${name}; retrying`);
        schedule(retryDelayMs);
      }
    })();
    try {
      await writing;
    } finally {
      writing = undefined;
    }
  }

  return {
    async has(channel, finding) {
      await load();
      return memory.has(channel, finding);
    },
    add(channel, finding) {
      memory.add(channel, finding);
      dirty = true;
      schedule(flushDelayMs);
    },
    async flush() {
      const cancel = (): void => {
        cancelTimer?.();
        cancelTimer = undefined;
      };
      cancel();
      await write();
      cancel(); // a failed final write does not keep retrying after shutdown.
    },
  };
}
