import type { KubernetesListObject, KubernetesObject } from "@kubernetes/client-node";
import type { Clock } from "../../core/ports/clock.js";
import type { CoreLogger } from "../../core/ports/logger.js";
import { type BackoffOptions, createBackoff } from "./backoff.js";
import { type KindApi, collectionPath, qualifiedResource } from "./kind-api.js";
import type { KubeConnection } from "./kube-connection.js";
import type { RestClient } from "./rest-client.js";
import { startWatch, type WatchStream } from "./watch-stream.js";

export interface ResilientInformerOptions<T extends KubernetesObject> {
  /** For the watch. Required. */
  readonly kubeConfig: KubeConnection;
  /** Lists through it; its `informerEvents` (if any) hear of this informer's deliveries and relists. */
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
  /**
   * Objects per list page; a list of a large namespace is fetched in pages. Default: 100: a page of 500 full
   * Deployments is larger than the young generation (`--max-semi-space-size=2`), so its objects were promoted while
   * being parsed and left the old generation ~25 MiB larger than what it holds at 10,000 workloads (BENCHMARKS.md).
   */
  readonly pageSize?: number;
  /**
   * What is cached and handed on of each object (listed objects and watch events alike): e.g. a copy with only the
   * fields its readers use, or the object itself with large unread fields dropped. Default: the object as sent.
   */
  readonly transform?: (object: T) => T;
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
 * An informer: list (in pages), then watch from the list's resourceVersion; a watch that ends is resumed from the
 * last resourceVersion seen, one the server answers 410 Gone (history compacted) is replaced by a relist, which
 * reports objects deleted meanwhile as deletes. After any other error it restarts after a capped, jittered
 * exponential backoff. No change is lost either way. Objects pass through `transform` before they are cached.
 * (client-node's informer does the same but stops for good after an error, and importing it loads client-node's
 * generated models.)
 */
export function createResilientInformer<T extends KubernetesObject>(options: ResilientInformerOptions<T>): ResilientInformer<T> {
  const { rest, api, namespace, labelSelector, clock } = options;
  const pageSize = options.pageSize ?? 100;
  const transform = options.transform ?? ((object: T) => object);
  const path = collectionPath(api, namespace);
  const description = `${qualifiedResource(api)} in ${namespace === undefined ? "all namespaces" : `namespace ${namespace}`}${
    labelSelector === undefined ? "" : ` with label ${labelSelector}`
  }`;
  const logger = options.logger.child({ informer: description });
  const resource = qualifiedResource(api);
  const events = rest.informerEvents;
  events?.informerCreated(resource);
  const delivered = (object: T): void =>
    events?.delivered({
      resource,
      namespace: object.metadata?.namespace ?? "",
      name: object.metadata?.name ?? "",
      resourceVersion: object.metadata?.resourceVersion ?? "",
    });
  const backoff = createBackoff(options.backoff);
  /** namespace -> name -> object. */
  const objects = new Map<string, Map<string, T>>();
  let resourceVersion = "";

  const listAll = async (): Promise<KubernetesListObject<T>> => {
    const items: T[] = [];
    let listVersion = "";
    let continueToken: string | undefined;
    // Bounded by the server: every page moves the continue token forward until it is empty.
    do {
      const page = await rest.request<KubernetesListObject<T>>({
        method: "GET",
        path,
        query: { labelSelector, limit: String(pageSize), continue: continueToken },
      });
      for (const item of page.items ?? []) items.push(transform(item));
      if (listVersion === "") listVersion = page.metadata?.resourceVersion ?? "";
      // Raw JSON: the field is `continue` (client-node's model class calls it `_continue`).
      continueToken = (page.metadata as { continue?: string } | undefined)?.continue || undefined;
    } while (continueToken !== undefined);
    return { metadata: { resourceVersion: listVersion }, items };
  };

  const handle = (handler: (object: T) => void, object: T): void => {
    try {
      handler(object);
    } catch (error) {
      logger.error({ err: error }, "an informer handler threw");
    }
  };

  const addOrUpdate = (object: T): void => {
    delivered(object);
    const objectNamespace = object.metadata?.namespace ?? "";
    const name = object.metadata?.name ?? "";
    let inNamespace = objects.get(objectNamespace);
    if (inNamespace === undefined) {
      inNamespace = new Map();
      objects.set(objectNamespace, inNamespace);
    }
    const found = inNamespace.get(name);
    if (found === undefined) {
      inNamespace.set(name, object);
      handle(options.onAdd, object);
    } else if (found.metadata?.resourceVersion === undefined || found.metadata.resourceVersion !== object.metadata?.resourceVersion) {
      inNamespace.set(name, object);
      handle(options.onUpdate, object);
    }
  };

  const remove = (object: T): void => {
    const objectNamespace = object.metadata?.namespace ?? "";
    const inNamespace = objects.get(objectNamespace);
    if (inNamespace?.delete(object.metadata?.name ?? "") !== true) return;
    delivered(object);
    if (inNamespace.size === 0) objects.delete(objectNamespace);
    handle(options.onDelete, object);
  };

  /** A relist: what is cached but no longer listed was deleted meanwhile. */
  const replaceAll = (items: readonly T[]): void => {
    const listed = new Set(items.map((item) => `${item.metadata?.namespace ?? ""}/${item.metadata?.name ?? ""}`));
    for (const [objectNamespace, inNamespace] of [...objects]) {
      for (const [name, object] of [...inNamespace]) if (!listed.has(`${objectNamespace}/${name}`)) remove(object);
    }
    for (const item of items) addOrUpdate(item);
  };

  const onEvent = (type: string, raw: unknown): void => {
    const object = raw as T | undefined;
    if (object === undefined || object === null || typeof object !== "object") return;
    switch (type) {
      case "ERROR":
        // The watch's history is gone: the stream ends next, and the informer relists.
        if ((object as { code?: number }).code === 410) resourceVersion = "";
        return;
      case "ADDED":
      case "MODIFIED":
        addOrUpdate(transform(object));
        break;
      case "DELETED":
        remove(transform(object));
        break;
      default: // BOOKMARK: only its resourceVersion counts.
        break;
    }
    resourceVersion = object.metadata?.resourceVersion ?? "";
  };

  let stopped = false;
  let running = false;
  let synced = false;
  let restartCount = 0;
  let listed = false;
  let watch: WatchStream | undefined;
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

  const isGone = (error: unknown): boolean => (error as { statusCode?: number } | undefined)?.statusCode === 410;

  /** Lists when it must, then watches. Throws what failed before the watch was established. */
  async function connect(): Promise<void> {
    if (resourceVersion === "") {
      const list = await listAll();
      if (stopped) return;
      if (listed) events?.relisted(resource);
      listed = true;
      replaceAll(list.items);
      resourceVersion = list.metadata?.resourceVersion ?? "";
    }
    let refused: unknown;
    let established = false;
    const stream = await startWatch(
      options.kubeConfig,
      path,
      { resourceVersion, labelSelector, allowWatchBookmarks: "true" },
      onEvent,
      (error) => {
        if (!established) {
          refused = error ?? new Error(`the watch of ${description} ended before it started`);
          return;
        }
        if (watch === stream) watch = undefined;
        ended(error);
      },
    );
    established = true;
    if (refused !== undefined) throw refused;
    if (stopped) {
      stream.abort();
      return;
    }
    watch = stream;
  }

  /** The established watch ended: resume it (relist when its history is gone), or restart after an error. */
  function ended(error: unknown): void {
    if (stopped) return;
    if (isGone(error)) resourceVersion = "";
    else if (error !== null && error !== undefined) {
      logger.warn({ err: error }, "informer stopped by an error; restarting it with backoff");
      scheduleRestart();
      return;
    }
    void run();
  }

  async function run(): Promise<void> {
    if (stopped || running) return;
    running = true;
    try {
      await connect();
    } catch (error) {
      if (isGone(error)) {
        resourceVersion = "";
        running = false;
        void run();
        return;
      }
      logger.warn({ err: error }, "informer failed to start");
      running = false;
      scheduleRestart();
      return;
    }
    running = false;
    if (stopped) return;
    backoff.reset();
    if (!synced) {
      synced = true;
      logger.debug({ objects: list().length }, "informer synced");
      resolveSynced();
    }
  }

  const list = (): T[] => {
    const all: T[] = [];
    for (const inNamespace of objects.values()) for (const object of inNamespace.values()) all.push(object);
    return all;
  };

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
      watch?.abort();
      watch = undefined;
    },
    hasSynced: () => synced,
    synced: syncedPromise,
    get: (name, objectNamespace) => objects.get(objectNamespace ?? "")?.get(name),
    list,
    restarts: () => restartCount,
  };
}
