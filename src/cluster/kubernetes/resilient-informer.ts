import { type KubeConfig, type KubernetesListObject, type KubernetesObject, makeInformer } from "@kubernetes/client-node";
import type { Clock } from "../../core/ports/clock.js";
import type { CoreLogger } from "../../core/ports/logger.js";
import { type BackoffOptions, createBackoff } from "./backoff.js";
import { type KindApi, collectionPath, qualifiedResource } from "./kind-api.js";
import type { RestClient } from "./rest-client.js";

export interface ResilientInformerOptions<T extends KubernetesObject> {
  readonly kubeConfig: KubeConfig;
  readonly rest: RestClient;
  readonly api: KindApi;
  /** One namespace, or undefined for all namespaces. */
  readonly namespace?: string;
  /** Server-side label selector. Default: none (every object). */
  readonly labelSelector?: string;
  readonly clock: Clock;
  /** Restart delays after errors. Default: createBackoff's defaults. */
  readonly backoff?: BackoffOptions;
  readonly logger: CoreLogger;
  /** Objects per list page; a list of a large namespace is fetched in pages. Default: 500. */
  readonly pageSize?: number;
  /**
   * Drops, in place, what the cache need not keep of each object, before it is cached and handed on (listed
   * objects and watch events alike). Default: none.
   */
  readonly slim?: (object: T) => void;
  readonly onAdd: (object: T) => void;
  readonly onUpdate: (object: T) => void;
  readonly onDelete: (object: T) => void;
}

/** A list+watch cache of one kind in one namespace (or all) that survives errors. */
export interface ResilientInformer<T extends KubernetesObject> {
  /** Starts listing and watching; errors are retried, so this never fails. */
  start(): void;
  stop(): Promise<void>;
  /** True once the informer listed and started watching once. */
  hasSynced(): boolean;
  /** Resolves when hasSynced() becomes true, or at stop(). */
  readonly synced: Promise<void>;
  get(name: string, namespace: string): T | undefined;
  list(): readonly T[];
  /** Restarts after errors so far (for logs and tests). */
  restarts(): number;
}

/**
 * client-node's informer (list, then watch from the list's resourceVersion; a relist on 410 Gone)
 * plus what it lacks: after any other error it stops for good, so this restarts it after a
 * capped, jittered exponential backoff. A restart resumes the watch from the last
 * resourceVersion seen; when that is too old the server answers 410 and the informer relists,
 * reporting objects deleted meanwhile as deletes. No change is lost either way.
 */
export function createResilientInformer<T extends KubernetesObject>(options: ResilientInformerOptions<T>): ResilientInformer<T> {
  const { rest, api, namespace, labelSelector, clock } = options;
  const pageSize = options.pageSize ?? 500;
  const path = collectionPath(api, namespace);
  const description = `${qualifiedResource(api)} in ${namespace === undefined ? "all namespaces" : `namespace ${namespace}`}${
    labelSelector === undefined ? "" : ` with label ${labelSelector}`
  }`;
  const logger = options.logger.child({ informer: description });
  const backoff = createBackoff(options.backoff);

  const listAll = async (): Promise<KubernetesListObject<T>> => {
    const items: T[] = [];
    let resourceVersion = "";
    let continueToken: string | undefined;
    // Bounded by the server: every page moves the continue token forward until it is empty.
    do {
      const page = await rest.request<KubernetesListObject<T>>({
        method: "GET",
        path,
        query: { labelSelector, limit: String(pageSize), continue: continueToken },
      });
      for (const item of page.items ?? []) {
        options.slim?.(item);
        items.push(item);
      }
      if (resourceVersion === "") resourceVersion = page.metadata?.resourceVersion ?? "";
      // Raw JSON: the field is `continue` (client-node's model class calls it `_continue`).
      continueToken = (page.metadata as { continue?: string } | undefined)?.continue || undefined;
    } while (continueToken !== undefined);
    return { metadata: { resourceVersion }, items };
  };

  const informer = makeInformer<T>(options.kubeConfig, path, listAll, labelSelector);
  // First: the watch hands the cached object itself to the handlers, so slimming it here slims the cache.
  if (options.slim !== undefined) {
    informer.on("add", options.slim);
    informer.on("update", options.slim);
  }
  informer.on("add", options.onAdd);
  informer.on("update", options.onUpdate);
  informer.on("delete", options.onDelete);

  let stopped = false;
  let running = false;
  let synced = false;
  let errorsSeen = 0;
  let restartCount = 0;
  let cancelRestart: (() => void) | undefined;
  let resolveSynced: () => void = () => {};
  const syncedPromise = new Promise<void>((resolve) => {
    resolveSynced = resolve;
  });

  const scheduleRestart = (): void => {
    if (stopped || cancelRestart !== undefined) return;
    const delayMs = backoff.next();
    restartCount++;
    logger.debug({ delayMs }, "restarting informer");
    cancelRestart = clock.setTimer(delayMs, () => {
      cancelRestart = undefined;
      void run();
    });
  };

  informer.on("error", (error: unknown) => {
    errorsSeen++;
    if (stopped) return;
    logger.warn({ err: error }, "informer stopped by an error; restarting it with backoff");
    // An error inside run() is handled when start() returns, so that two starts never overlap.
    if (!running) scheduleRestart();
  });

  async function run(): Promise<void> {
    if (stopped) return;
    running = true;
    const errorsBefore = errorsSeen;
    try {
      await informer.start();
    } catch (error) {
      errorsSeen++;
      logger.warn({ err: error }, "informer failed to start");
    } finally {
      running = false;
    }
    if (stopped) return;
    if (errorsSeen !== errorsBefore) {
      scheduleRestart();
      return;
    }
    backoff.reset();
    if (!synced) {
      synced = true;
      logger.debug({ objects: informer.list().length }, "informer synced");
      resolveSynced();
    }
  }

  return {
    start() {
      if (stopped) return;
      void run();
    },
    async stop() {
      stopped = true;
      cancelRestart?.();
      cancelRestart = undefined;
      resolveSynced();
      await informer.stop();
    },
    hasSynced: () => synced,
    synced: syncedPromise,
    get: (name, objectNamespace) => informer.get(name, objectNamespace),
    list: () => informer.list(),
    restarts: () => restartCount,
  };
}
