import type { KubeConnection } from "../../cluster/kubernetes/kube-connection.js";
import { startWatch } from "../../cluster/kubernetes/watch-stream.js";
import { createBackoff } from "../../cluster/kubernetes/backoff.js";
import { statusCodeOf } from "../../cluster/kubernetes/kubernetes-errors.js";
import type { RestClient } from "../../cluster/kubernetes/rest-client.js";
import type { Clock } from "../../core/ports/clock.js";
import { type CoreLogger, silentLogger } from "../../core/ports/logger.js";
import { type ConfigMap, type ConfigMapLocation, configMapPaths } from "./config-map-document.js";

export interface ConfigMapWatchOptions {
  readonly kubeConfig: KubeConnection;
  readonly rest: RestClient;
  readonly location: ConfigMapLocation;
  readonly clock: Clock;
  /** Default: silentLogger. */
  readonly logger?: CoreLogger;
  /** Told of every version the watch delivers (undefined: deleted). Default: nothing. */
  readonly onChange?: (map: ConfigMap | undefined) => void;
}

/** One ConfigMap kept current by a watch: what its readers get without a request. */
export interface ConfigMapWatch {
  /** Reads it, then watches it (re-reading after any error, with backoff). */
  start(): void;
  stop(): void;
  /** `{ map }` (undefined: it does not exist) while the watch is current; undefined when it is not (then read it). */
  current(): { readonly map: ConfigMap | undefined } | undefined;
  /** What a write of this process answered: newer than the watch may have delivered yet. */
  wrote(map: ConfigMap): void;
}

/**
 * A GET, then a watch of that one object (`fieldSelector=metadata.name=<name>`, which RBAC authorizes by the
 * ConfigMap's name, so the Role keeps its resourceNames) from the GET's resourceVersion. While the watch runs,
 * current() answers from memory, so a record another replica writes is seen as soon as the API server sends it;
 * when the watch ends or fails, current() answers undefined (its readers go to the API server) until the
 * object was read and watched again.
 */
export function createConfigMapWatch(options: ConfigMapWatchOptions): ConfigMapWatch {
  const { rest, location, clock } = options;
  const logger = (options.logger ?? silentLogger).child({ component: "config-map-watch", name: location.name });
  const { collection, path } = configMapPaths(location);
  const backoff = createBackoff();
  let state: { map: ConfigMap | undefined } | undefined;
  let stopped = false;
  let abort: (() => void) | undefined;
  let cancelRetry: (() => void) | undefined;

  const revision = (map: ConfigMap | undefined) => BigInt(/^\d+$/.test(map?.metadata.resourceVersion ?? "") ? map!.metadata.resourceVersion! : "0");

  function retry(error: unknown): void {
    state = undefined;
    abort = undefined;
    if (stopped) return;
    const delayMs = backoff.next();
    if (error !== undefined) logger.debug({ err: error, delayMs }, "ConfigMap watch ended; reading it again");
    cancelRetry = clock.setTimer(delayMs, () => {
      cancelRetry = undefined;
      void run();
    });
  }

  async function run(): Promise<void> {
    if (stopped) return;
    let map: ConfigMap | undefined;
    let resourceVersion: string;
    try {
      map = await rest.request<ConfigMap>({ method: "GET", path });
      resourceVersion = map.metadata.resourceVersion ?? "";
    } catch (error) {
        if (statusCodeOf(error) !== 404) return retry(error);
      // Absent: a watch without a resourceVersion reports it as added if it was created meanwhile.
      resourceVersion = "";
    }
    if (stopped) return;
    try {
      const controller = await startWatch(
        options.kubeConfig,
        collection,
        {
          fieldSelector: `metadata.name=${location.name}`,
          allowWatchBookmarks: "false",
          ...(resourceVersion === "" ? {} : { resourceVersion }),
        },
        (type: string, raw: unknown) => {
          const object = raw as ConfigMap;
          if (type === "DELETED") {
            state = { map: undefined };
            options.onChange?.(undefined);
          } else if (type === "ADDED" || type === "MODIFIED") {
            if (state?.map === undefined || revision(object) >= revision(state.map)) {
              state = { map: object };
              options.onChange?.(object);
            }
          }
        },
        (error: unknown) => retry(error),
      );
      abort = () => controller.abort();
      state = { map };
      backoff.reset();
    } catch (error) {
      retry(error);
    }
  }

  return {
    start() {
      void run();
    },
    stop() {
      stopped = true;
      cancelRetry?.();
      abort?.();
      state = undefined;
    },
    current: () => (state === undefined ? undefined : { map: state.map }),
    wrote(map) {
      if (state !== undefined && (state.map === undefined || revision(map) >= revision(state.map))) state = { map };
    },
  };
}
