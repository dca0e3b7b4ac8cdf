import type { KubernetesObject, V1Job, V1LabelSelector } from "@kubernetes/client-node";
import { DomainError } from "../../core/domain/domain-error.js";
import {
  type JobInfo,
  type PodProblem,
  type Workload,
  type WorkloadKind,
  type WorkloadRef,
  workloadKey,
} from "../../core/domain/workload.js";
import type { ClusterChange, ClusterPort, ImagePatch, MigrationJobRequest, Unsubscribe } from "../../core/ports/cluster.js";
import { type Clock, systemClock } from "../../core/ports/clock.js";
import { type CoreLogger, silentLogger } from "../../core/ports/logger.js";
import { createBackoff } from "./backoff.js";
import { discoverCronJobVersion } from "./cronjob-version.js";
import { buildImagePatch, findImageMismatch, type ImageMismatch } from "./image-patch.js";
import {
  type KindApi,
  cronJobApi,
  daemonSetApi,
  deploymentApi,
  jobApi,
  objectPath,
  qualifiedResource,
  statefulSetApi,
} from "./kind-api.js";
import type { KubeWorkloadObject } from "./kube-objects.js";
import type { KubernetesClusterOptions } from "./kubernetes-cluster-options.js";
import { isAlreadyExists, isPatchTestFailure, type KubernetesOperation, statusCodeOf, toDomainError } from "./kubernetes-errors.js";
import { buildMigrationJob } from "./migration-job.js";
import { isOptedIn, workloadLabelSelector } from "./opt-in.js";
import { type PodProblemWatch, startPodProblemWatch } from "./pod-problem-watch.js";
import { createResilientInformer, type ResilientInformer } from "./resilient-informer.js";
import { createRestClient } from "./rest-client.js";
import { slimObject } from "./slim-object.js";
import { compactWorkloadObject } from "./compact-workload-object.js";
import { toJobInfo, toWorkload } from "./to-workload.js";
import { isTransientFailure, mayHaveBeenApplied, retryAfterMs } from "./transient-failure.js";
import { createWorkloadRepositoryIndex } from "./workload-repository-index.js";

/** The Kubernetes ClusterPort, plus its lifecycle. */
export interface KubernetesCluster extends ClusterPort {
  /**
   * Discovers the CronJob API version, starts every informer and resolves once all of them have
   * listed (isSynced() is then true and subscribers got a "synced" change), or at stop().
   * Failing requests are retried with backoff, so against an unreachable API server it keeps
   * waiting: callers that must not wait rely on isSynced() instead of awaiting it.
   */
  start(): Promise<void>;
  /** Stops every informer and pod watch. Idempotent. */
  stop(): Promise<void>;
  /** How often informers were restarted after errors (for metrics and tests). */
  informerRestarts(): number;
}

const workloadKinds: readonly WorkloadKind[] = ["Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job"];
const jsonPatch = "application/json-patch+json";
const mergePatch = "application/merge-patch+json";
/** Tries of one image patch or Job copy (transient failures, write conflicts, stale container indexes). */
const maxPatchAttempts = 5;

/** The patch as applied: what the containers hold once it took effect. */
function appliedPatch(patch: ImagePatch): ImagePatch {
  return { ...patch, expectedImage: patch.newImage };
}

/**
 * The ClusterPort against a real API server. Informers (list + watch, restarted with backoff)
 * cache the opted-in workloads and migration templates and the manager's Job copies; every read
 * is served from them, never from a request. Writes are JSON patches that test before they
 * replace, and Job creations that are idempotent by name.
 */
export function createKubernetesCluster(options: KubernetesClusterOptions): KubernetesCluster {
  const { kubeConfig, keys } = options;
  const legacyAnnotation = options.legacyAnnotation ?? true;
  const logger: CoreLogger = (options.logger ?? silentLogger).child({ component: "kubernetes-cluster" });
  const clock: Clock = options.clock ?? systemClock;
  const fieldManager = options.fieldManager ?? "update-manager";
  const successfulJobTtlSeconds = options.successfulJobTtlSeconds ?? 3600;
  const podProblemWatchDelayMs = options.podProblemWatchDelayMs ?? 2000;
  const rest = createRestClient(kubeConfig, {
    timeoutMs: options.requestTimeoutMs ?? 30_000,
    ...(options.onApiRequest === undefined ? {} : { onRequest: options.onApiRequest }),
    ...(options.informerEvents === undefined ? {} : { informerEvents: options.informerEvents }),
  });
  const namespaces: readonly (string | undefined)[] =
    options.namespaces === undefined ? [undefined] : [...new Set(options.namespaces)];

  const apis = new Map<WorkloadKind, KindApi>([
    ["Deployment", deploymentApi],
    ["StatefulSet", statefulSetApi],
    ["DaemonSet", daemonSetApi],
    ["Job", jobApi],
  ]);
  const workloadInformers = new Map<WorkloadKind, ResilientInformer<KubeWorkloadObject>[]>();
  const copyInformers: ResilientInformer<V1Job>[] = [];
  const workloads = new Map<string, Workload>();
  let workloadList: readonly Workload[] | undefined;
  const byRepository = createWorkloadRepositoryIndex();
  const jobs = new Map<string, JobInfo>();
  /** uids of copies whose TTL patch was sent: once per copy, even if the server drops the field. */
  const ttlPatched = new Set<string>();
  const listeners = new Set<(change: ClusterChange) => void>();
  const podWatches = new Map<string, Set<PodProblemWatch>>();
  let started: Promise<void> | undefined;
  let stopped = false;
  let synced = false;
  let cancelDiscoveryRetry: (() => void) | undefined;

  const emit = (change: ClusterChange): void => {
    for (const listener of [...listeners]) {
      try {
        listener(change);
      } catch (error) {
        logger.error({ err: error, change: change.type }, "a cluster change listener threw");
      }
    }
  };

  const recheckPodWatches = (key: string): void => {
    for (const watch of podWatches.get(key) ?? []) watch.recheck();
  };

  const onWorkloadObject = (kind: WorkloadKind, object: KubeWorkloadObject): void => {
    const ref = refOf(kind, object);
    const key = workloadKey(ref);
    if (isOptedIn(object, keys, legacyAnnotation)) {
      const workload = toWorkload(kind, object);
      workloads.set(key, workload);
      byRepository.set(key, workload);
      workloadList = undefined;
      emit({ type: "workload", workload });
      recheckPodWatches(key);
    } else if (workloads.delete(key)) {
      // It lost its opt-in label or annotation: for the manager it is gone.
      byRepository.delete(key);
      workloadList = undefined;
      emit({ type: "workload-deleted", ref });
      recheckPodWatches(key);
    }
  };

  const onWorkloadDeleted = (kind: WorkloadKind, object: KubeWorkloadObject): void => {
    const ref = refOf(kind, object);
    const key = workloadKey(ref);
    if (!workloads.delete(key)) return;
    byRepository.delete(key);
    workloadList = undefined;
    emit({ type: "workload-deleted", ref });
    recheckPodWatches(key);
  };

  const onCopy = (job: V1Job): void => {
    const info = toJobInfo(job);
    jobs.set(jobKey(info.namespace, info.name), info);
    emit({ type: "job", job: info });
    setTtlOnSuccess(job);
  };

  const onCopyDeleted = (job: V1Job): void => {
    const namespace = job.metadata?.namespace ?? "";
    const name = job.metadata?.name ?? "";
    if (job.metadata?.uid !== undefined) ttlPatched.delete(job.metadata.uid);
    if (!jobs.delete(jobKey(namespace, name))) return;
    emit({ type: "job-deleted", namespace, name });
  };

  /** A succeeded copy gets its TTL now; a failed one never does, so its pods and logs stay. */
  const setTtlOnSuccess = (job: V1Job): void => {
    const uid = job.metadata?.uid;
    const complete = job.status?.conditions?.some((condition) => condition.type === "Complete" && condition.status === "True");
    if (!complete || uid === undefined || ttlPatched.has(uid) || job.spec?.ttlSecondsAfterFinished !== undefined) return;
    ttlPatched.add(uid);
    const namespace = job.metadata?.namespace ?? "";
    const name = job.metadata?.name ?? "";
    rest
      .request({
        method: "PATCH",
        path: objectPath(jobApi, namespace, name),
        query: { fieldManager },
        body: { spec: { ttlSecondsAfterFinished: successfulJobTtlSeconds } },
        contentType: mergePatch,
      })
      .then(
        () => logger.debug({ namespace, job: name, ttlSeconds: successfulJobTtlSeconds }, "TTL set on a succeeded migration Job"),
        (error: unknown) =>
          // Only housekeeping: the Job stays until someone deletes it.
          logger.warn({ err: error, namespace, job: name }, "setting the TTL of a succeeded migration Job failed"),
      );
  };

  const newInformer = <T extends KubernetesObject>(
    api: KindApi,
    namespace: string | undefined,
    labelSelector: string | undefined,
    transform: (object: T) => T,
    handlers: { onAdd: (object: T) => void; onUpdate: (object: T) => void; onDelete: (object: T) => void },
  ): ResilientInformer<T> =>
    createResilientInformer<T>({
      kubeConfig,
      rest,
      api,
      ...(namespace === undefined ? {} : { namespace }),
      ...(labelSelector === undefined ? {} : { labelSelector }),
      clock,
      ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
      logger,
      ...(options.listPageSize === undefined ? {} : { pageSize: options.listPageSize }),
      transform,
      ...handlers,
    });

  const allInformers = (): ResilientInformer<KubernetesObject>[] => [
    ...[...workloadInformers.values()].flat(),
    ...copyInformers,
  ];

  const discoverWithRetry = async (): Promise<"v1" | "v1beta1" | undefined> => {
    const backoff = createBackoff(options.backoff);
    // Bounded by stop(): each failure waits a backoff delay (no busy loop).
    while (!stopped) {
      try {
        return await discoverCronJobVersion(rest);
      } catch (error) {
        const delayMs = backoff.next();
        logger.warn({ err: error, delayMs }, "discovering the CronJob API version failed; retrying");
        await new Promise<void>((resolve) => {
          cancelDiscoveryRetry = clock.setTimer(delayMs, resolve);
          if (stopped) resolve();
        });
        cancelDiscoveryRetry = undefined;
      }
    }
    return undefined;
  };

  const run = async (): Promise<void> => {
    const cronJobVersion = await discoverWithRetry();
    if (cronJobVersion === undefined || stopped) return;
    apis.set("CronJob", cronJobApi(cronJobVersion));
    logger.info({ cronJobApi: `batch/${cronJobVersion}`, namespaces: options.namespaces ?? "all", legacyAnnotation }, "starting informers");

    const selector = workloadLabelSelector(keys, legacyAnnotation);
    for (const kind of workloadKinds) {
      const api = apis.get(kind)!;
      workloadInformers.set(
        kind,
        namespaces.map((namespace) =>
          newInformer<KubeWorkloadObject>(api, namespace, selector, (object) => compactWorkloadObject(kind, object), {
            onAdd: (object) => onWorkloadObject(kind, object),
            onUpdate: (object) => onWorkloadObject(kind, object),
            onDelete: (object) => onWorkloadDeleted(kind, object),
          }),
        ),
      );
    }
    for (const namespace of namespaces) {
      copyInformers.push(
        newInformer<V1Job>(jobApi, namespace, keys.updateIdLabel, slimObject, { onAdd: onCopy, onUpdate: onCopy, onDelete: onCopyDeleted }),
      );
    }
    const informers = allInformers();
    for (const informer of informers) informer.start();
    await Promise.all(informers.map((informer) => informer.synced));
    if (stopped) return;
    synced = true;
    logger.info({ workloads: workloads.size, jobs: jobs.size }, "cluster caches synced");
    emit({ type: "synced" });
  };

  /** The cached object behind a ref (the informer of its kind and namespace). */
  const cachedObject = (ref: WorkloadRef): KubeWorkloadObject | undefined => {
    for (const informer of workloadInformers.get(ref.kind) ?? []) {
      const object = informer.get(ref.name, ref.namespace);
      if (object !== undefined) return object;
    }
    return undefined;
  };

  const requireCached = (ref: WorkloadRef, verb: string): { api: KindApi; object: KubeWorkloadObject } => {
    const api = apis.get(ref.kind);
    if (!synced || api === undefined) {
      throw new DomainError("unavailable", "CACHE_NOT_SYNCED", `cannot ${verb} ${describeRef(ref)}: the cluster caches have not synced yet`, {
        retryAfterMs: 1000,
      });
    }
    const object = cachedObject(ref);
    if (object === undefined || !workloads.has(workloadKey(ref))) {
      throw new DomainError("not-found", "CLUSTER_ERROR", `cannot ${verb} ${describeRef(ref)}: it does not exist or has not opted in`, {
        metadata: { workload: workloadKey(ref) },
      });
    }
    return { api, object };
  };

  const sleep = (ms: number) => new Promise<void>((resolve) => clock.setTimer(ms, resolve));
  const patchImages = async (ref: WorkloadRef, patches: readonly ImagePatch[]): Promise<Workload> => {
    const { api, object: cached } = requireCached(ref, "patch");
    const path = objectPath(api, ref.namespace, ref.name);
    const operation: KubernetesOperation = { verb: "patch", resource: qualifiedResource(api), namespace: ref.namespace, name: ref.name };
    let object = cached;
    // At most two tries: the second only when the cached container indexes were stale.
    // A write whose answer was lost (a reset, a timeout, a 5xx) may have been applied: the next read tells. A
    // transient failure is retried (the patch tests the images it replaces, so a retry never overwrites anything).
    let outcomeUnknown = false;
    const backoff = createBackoff({ initialDelayMs: 200, maxDelayMs: 2000 });
    for (let attempt = 1; ; attempt++) {
      const operations = buildImagePatch(ref.kind, object, patches);
      if (operations === undefined) {
        throw imageConflict(ref, findImageMismatch(ref.kind, object, patches)!);
      }
      try {
        const patched = await rest.request<KubeWorkloadObject>({
          method: "PATCH",
          path,
          query: { fieldManager },
          body: operations,
          contentType: jsonPatch,
        });
        return toWorkload(ref.kind, patched);
      } catch (error) {
        const transient = isTransientFailure(error);
        if (!transient && !isPatchTestFailure(error)) throw toDomainError(error, operation);
        if (attempt >= maxPatchAttempts) throw toDomainError(error, operation);
        if (mayHaveBeenApplied(error)) outcomeUnknown = true;
        if (transient) await sleep(retryAfterMs(error, 5000) ?? backoff.next());
        // Which test failed, or did the lost attempt apply? The server's message does not say: read the object.
        let current: KubeWorkloadObject;
        try {
          current = await rest.request<KubeWorkloadObject>({ method: "GET", path });
        } catch (getError) {
          if (isTransientFailure(getError)) continue;
          throw toDomainError(getError, { ...operation, verb: "get" });
        }
        // Our earlier attempt applied: the images it set are there.
        if (outcomeUnknown && findImageMismatch(ref.kind, current, patches.map(appliedPatch)) === undefined) {
          return toWorkload(ref.kind, current);
        }
        const mismatch = findImageMismatch(ref.kind, current, patches);
        if (mismatch !== undefined) throw imageConflict(ref, mismatch, error);
        const retry = buildImagePatch(ref.kind, current, patches);
        // Same indexes and no mismatch after a test failure: the server refused the change itself (e.g. an invalid
        // image); a 409 may be a passing write conflict and is tried again after a pause.
        if (!transient && JSON.stringify(retry) === JSON.stringify(operations)) {
          if (statusCodeOf(error) !== 409) throw toDomainError(error, operation);
          await sleep(backoff.next());
        }
        object = current;
      }
    }
  };

  const createMigrationJob = async (request: MigrationJobRequest): Promise<{ readonly created: boolean }> => {
    const templateKind = request.template.kind;
    if (templateKind !== "Job" && templateKind !== "CronJob") {
      throw new DomainError("internal", "INTERNAL", `a migration template must be a Job or a CronJob, not a ${templateKind}`);
    }
    const { object } = requireCached(request.template, "copy");
    const job = buildMigrationJob(templateKind, object as V1Job, request);
    const backoff = createBackoff({ initialDelayMs: 200, maxDelayMs: 2000 });
    for (let attempt = 1; ; attempt++) {
      try {
        await rest.request({
          method: "POST",
          path: `/apis/batch/v1/namespaces/${encodeURIComponent(request.template.namespace)}/jobs`,
          query: { fieldManager },
          body: job,
        });
        return { created: true };
      } catch (error) {
        // Same deterministic name: a retry (or a restarted manager) finds its own copy, never a second one.
        if (isAlreadyExists(error)) return { created: false };
        if (isTransientFailure(error) && attempt < maxPatchAttempts) {
          await sleep(retryAfterMs(error, 5000) ?? backoff.next());
          continue;
        }
        throw toDomainError(error, {
          verb: "create",
          resource: qualifiedResource(jobApi),
          namespace: request.template.namespace,
          name: request.jobName,
        });
      }
    }
  };

  const watchPodProblems = (ref: WorkloadRef, listener: (problems: readonly PodProblem[]) => void): Unsubscribe => {
    const key = workloadKey(ref);
    const object = cachedObject(ref);
    const selector = (object?.spec as { selector?: V1LabelSelector } | undefined)?.selector;
    if (object === undefined || selector === undefined) {
      // Nothing to watch: not cached, or a kind without pods of its own (CronJob).
      logger.debug({ workload: key }, "no pods to watch for this workload");
      return () => {};
    }
    // The pod LIST + WATCH starts only after a delay: a rollout that is healthy by then (most are,
    // and every scale-to-zero) costs no pod reads at all, and new pods need seconds to be scheduled
    // and to pull before they can report ImagePullBackOff or CrashLoopBackOff anyway.
    let started: PodProblemWatch | undefined;
    let stopped = false;
    const cancelDelay = clock.setTimer(podProblemWatchDelayMs, () => {
      if (stopped) return;
      started = startPodProblemWatch({
        kubeConfig,
        rest,
        clock,
        ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
        logger: logger.child({ podsOf: key }),
        namespace: ref.namespace,
        selector,
        template: () => workloads.get(key)?.containers,
        listener,
      });
    });
    const watch: PodProblemWatch = {
      recheck: () => started?.recheck(),
      stop() {
        stopped = true;
        cancelDelay();
        started?.stop();
      },
    };
    let watches = podWatches.get(key);
    if (watches === undefined) {
      watches = new Set();
      podWatches.set(key, watches);
    }
    watches.add(watch);
    return () => {
      watch.stop();
      const current = podWatches.get(key);
      current?.delete(watch);
      if (current?.size === 0) podWatches.delete(key);
    };
  };

  return {
    isSynced: () => synced,
    listWorkloads() {
      workloadList ??= [...workloads.values()];
      return workloadList;
    },
    listWorkloadsUsing: (repository) => byRepository.using(repository),
    getWorkload: (ref) => workloads.get(workloadKey(ref)),
    getJob: (namespace, name) => jobs.get(jobKey(namespace, name)),
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    patchImages,
    createMigrationJob,
    watchPodProblems,
    start() {
      started ??= run();
      return started;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      cancelDiscoveryRetry?.();
      for (const watches of podWatches.values()) for (const watch of watches) watch.stop();
      podWatches.clear();
      await Promise.all(allInformers().map((informer) => informer.stop()));
      listeners.clear();
    },
    informerRestarts: () => allInformers().reduce((sum, informer) => sum + informer.restarts(), 0),
  };
}

function refOf(kind: WorkloadKind, object: KubernetesObject): WorkloadRef {
  return { kind, namespace: object.metadata?.namespace ?? "", name: object.metadata?.name ?? "" };
}

function jobKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function describeRef(ref: WorkloadRef): string {
  return `${ref.kind} ${ref.namespace}/${ref.name}`;
}

function imageConflict(ref: WorkloadRef, mismatch: ImageMismatch, cause?: unknown): DomainError {
  const actual = mismatch.actualImage === "" ? "no such container any more" : `image ${mismatch.actualImage}`;
  return new DomainError(
    "aborted",
    "IMAGE_CONFLICT",
    `${describeRef(ref)}: ${mismatch.init ? "init container" : "container"} ${mismatch.container} has ${actual}, ` +
      `not the expected ${mismatch.expectedImage}: someone else changed it; nothing was patched`,
    {
      metadata: {
        workload: workloadKey(ref),
        container: mismatch.container,
        expected_image: mismatch.expectedImage,
        actual_image: mismatch.actualImage,
      },
      ...(cause === undefined ? {} : { cause }),
    },
  );
}
