import { DomainError } from "../../core/domain/domain-error.js";
import { repositoryName, tryParseImageReference } from "../../core/domain/image-reference.js";
import { createMetadataKeys, type MetadataKeys } from "../../core/domain/metadata-keys.js";
import {
  type Condition,
  type ContainerSpec,
  type JobInfo,
  type PodProblem,
  type RolloutFacts,
  rolloutKinds,
  type Workload,
  type WorkloadRef,
  workloadKey,
} from "../../core/domain/workload.js";
import { type Clock, systemClock } from "../../core/ports/clock.js";
import type {
  ClusterChange,
  ClusterPort,
  ImagePatch,
  MigrationJobRequest,
  Unsubscribe,
} from "../../core/ports/cluster.js";
import { createListenerQueue } from "../../store/memory/listener-queue.js";
import {
  compileImageMatcher,
  type ImageFailureMode,
  type ImageMatcher,
  initialProblem,
  laterProblem,
} from "./image-failures.js";
import { podSuffix, templateHash } from "./kube-names.js";
import { isRolledOut, progressingCondition, rolloutStatus, stepRollout } from "./rollout-controller.js";
import type { SimulatedObject, SimulatedPod } from "./simulated-object.js";
import type { SimulatedWorkloadSpec } from "./simulated-workload-spec.js";
import type { PullSecret, PullSecretsPort } from "../../core/ports/pull-secrets.js";
import type { RunningImagesPort } from "../../core/ports/running-images.js";

export interface SimulatedClusterOptions {
  /** Drives every controller step and Job; tests pass a fake clock. Default: systemClock. */
  clock?: Clock;
  /** Time between two controller steps of a rollout (observe the generation, replace one pod, ...). Default: 1000. */
  rolloutStepMs?: number;
  /** How long a migration Job runs before it completes (or fails, when told to). Default: 2000. */
  jobDurationMs?: number;
  /** The label and annotation keys that opt objects in. Default: createMetadataKeys(). */
  keys?: MetadataKeys;
  /** Objects with the legacy `xcnt.io/update-classifier` annotation opt in too. Default: true. */
  legacyAnnotation?: boolean;
  /** The field manager the manager's patches are recorded under. Default: "update-manager". */
  fieldManager?: string;
  /** Called with what a listener threw; the others still get the change. Default: rethrown from a microtask. */
  onListenerError?: (error: unknown) => void;
  /**
   * the `imageID` a node reports for a container image when a pod starts (e.g. "repo@sha256:..."), as the
   * digest the kubelet pulled at that moment. Default: none (pods report no imageID).
   */
  imageIdOf?: (image: string) => string | undefined;
}

/** How a write to the simulated API server ended. */
export type SimulatedWriteOutcome =
  /** The object changed (or the Job was created). */
  | "applied"
  /** Accepted, but the patch set what was already there; nothing changed. */
  | "unchanged"
  /** A `test` operation failed: IMAGE_CONFLICT. */
  | "conflict"
  | "not-found"
  /** A Job of that name existed: `{created: false}`. */
  | "already-exists"
  /** The API server would refuse it (an immutable field, a bad name). */
  | "invalid";

/** One write the manager attempted through the port, in the order they arrived. */
export interface SimulatedWrite {
  readonly time: Date;
  readonly operation: "patch-images" | "create-job";
  /** The patched object, or the Job being created. */
  readonly target: WorkloadRef;
  readonly outcome: SimulatedWriteOutcome;
  /** patch-images: the patch as sent. */
  readonly patches?: readonly ImagePatch[];
  /** create-job: the request as sent. */
  readonly job?: MigrationJobRequest;
}

/** A pod as a test sees it. */
export interface SimulatedPodView {
  readonly name: string;
  /** The pod-template-hash of its template. */
  readonly revision: string;
  readonly ordinal?: number;
  readonly containers: readonly ContainerSpec[];
  readonly ready: boolean;
  readonly problem?: PodProblem;
}

/** Picks migration Job copies by their request. */
export type JobPredicate = (request: MigrationJobRequest) => boolean;

/**
 * An in-memory cluster behind the ClusterPort: the embedded demo of `npm start` and the fake of the
 * engine's tests. Rollouts progress on the injected clock the way the workload controllers progress
 * them; the extra methods seed objects, inject failures and expose what the manager wrote.
 */
export interface SimulatedCluster extends ClusterPort, PullSecretsPort, RunningImagesPort {
  readonly keys: MetadataKeys;
  /** Marks the caches synced (isSynced() is false before) and emits `{type: "synced"}`. */
  start(): void;
  /** Cancels every pending controller step and Job; isSynced() becomes false. */
  stop(): void;
  /** Creates an object, fully rolled out; emits a `workload` change when it opted in. */
  addWorkload(spec: SimulatedWorkloadSpec): Workload;
  /** Deletes an object; emits `workload-deleted` when it had opted in. False when there was none. */
  removeWorkload(ref: WorkloadRef): boolean;
  /** Someone else changes a container's image (like `kubectl set image`): a new generation rolls out. */
  setContainerImage(ref: WorkloadRef, container: string, image: string): Workload;
  /**
   * New pods of workloads whose template has a container matching `matcher` fail in `mode` (pods
   * that exist keep running; migration Jobs are not affected: see failJobs). Returns an undo function.
   */
  failImage(matcher: ImageMatcher, mode: ImageFailureMode): () => void;
  /** Migration copies created from now on that match fail (condition Failed, BackoffLimitExceeded). Returns an undo function. */
  failJobs(predicate: JobPredicate): () => void;
  /** Migration copies created from now on that match never finish on their own (only their deadline ends them). Returns an undo function. */
  hangJobs(predicate: JobPredicate): () => void;
  /** Deletes a migration copy; emits `job-deleted`. False when there was none. */
  deleteJob(namespace: string, name: string): boolean;
  /** The pods of a workload, oldest first ([] when there is no such workload). */
  pods(ref: WorkloadRef): readonly SimulatedPodView[];
  /** Every write the manager attempted through the port, oldest first. */
  writes(): readonly SimulatedWrite[];
  /** creates or replaces a Secret the workloads' `pullSecrets` can name (a new resourceVersion each time). */
  putPullSecret(secret: Omit<PullSecret, "resourceVersion">): PullSecret;
  /** how many times the watcher read a pull secret and listed a workload's pods for imageIDs. */
  registryAccessCounts(): { readonly secretReads: number; readonly podLists: number };
}

interface SimulatedJob {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  conditions: Condition[];
  active: number;
  succeeded: number;
  failed: number;
  readonly timers: Set<() => void>;
  snapshot?: JobInfo;
}

interface PodWatcher {
  readonly listener: (problems: readonly PodProblem[]) => void;
  /** JSON of the problems it was last given. */
  last: string;
}

const jobNamePattern = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function createSimulatedCluster(options: SimulatedClusterOptions = {}): SimulatedCluster {
  const clock = options.clock ?? systemClock;
  const stepMs = options.rolloutStepMs ?? 1000;
  const jobDurationMs = options.jobDurationMs ?? 2000;
  const keys = options.keys ?? createMetadataKeys();
  const legacyAnnotation = options.legacyAnnotation ?? true;
  const fieldManager = options.fieldManager ?? "update-manager";
  if (!(stepMs > 0)) throw new RangeError(`rolloutStepMs must be > 0, got ${stepMs}`);
  if (!(jobDurationMs >= 0)) throw new RangeError(`jobDurationMs must be >= 0, got ${jobDurationMs}`);

  const objects = new Map<string, SimulatedObject>();
  const jobs = new Map<string, SimulatedJob>();
  const listeners = new Set<(change: ClusterChange) => void>();
  const podWatchers = new Map<string, Set<PodWatcher>>();
  const queue = createListenerQueue(options.onListenerError);
  const imageFailures = new Set<{ readonly matches: (image: string) => boolean; readonly mode: ImageFailureMode }>();
  const failingJobs = new Set<JobPredicate>();
  const hangingJobs = new Set<JobPredicate>();
  const writeLog: SimulatedWrite[] = [];
  let synced = false;
  let resourceVersion = 1000;
  let uidCounter = 0;
  let podCounter = 0;
  // pull secrets by namespace/name, and how often the watcher read them or listed pods.
  const pullSecrets = new Map<string, PullSecret>();
  let secretReads = 0;
  let podLists = 0;
  const imageIdsOf = (containers: readonly ContainerSpec[]): Record<string, string> | undefined => {
    if (options.imageIdOf === undefined) return undefined;
    const ids: Record<string, string> = {};
    for (const container of containers) {
      const id = options.imageIdOf(container.image);
      if (id !== undefined) ids[container.name] = id;
    }
    return ids;
  };

  // ---- plumbing -------------------------------------------------------------------------------

  function emit(change: ClusterChange): void {
    queue.notify(listeners, change, (listener) => listeners.has(listener));
  }

  /** A timer owned by `owner` (cancelled with it). */
  function after(owner: Set<() => void>, ms: number, callback: () => void): () => void {
    const cancelTimer = clock.setTimer(ms, () => {
      owner.delete(cancel);
      callback();
    });
    const cancel = () => {
      owner.delete(cancel);
      cancelTimer();
    };
    owner.add(cancel);
    return cancel;
  }

  function log(write: Omit<SimulatedWrite, "time">): void {
    writeLog.push(structuredClone({ time: clock.now(), ...write }));
  }

  function isOptedIn(object: SimulatedObject): boolean {
    if (object.labels[keys.classifierLabel]) return true;
    return legacyAnnotation && Boolean(object.annotations[keys.legacyClassifierAnnotation]);
  }

  function snapshot(object: SimulatedObject): Workload {
    if (object.snapshot) return object.snapshot;
    const kind = object.ref.kind;
    const rollout: RolloutFacts = {
      generation: object.generation,
      observedGeneration: object.observedGeneration,
      ...(kind === "Deployment" || kind === "StatefulSet" ? { replicas: object.desired } : {}),
      ...(kind === "Deployment"
        ? { paused: object.paused, progressDeadlineSeconds: object.progressDeadlineSeconds }
        : {}),
      ...(object.strategy === undefined ? {} : { strategy: object.strategy }),
      ...(object.partition === undefined ? {} : { partition: object.partition }),
      status: rolloutStatus(object),
    };
    object.snapshot = deepFreeze(
      structuredClone({
        ref: { ...object.ref },
        uid: object.uid,
        resourceVersion: String(object.resourceVersion),
        labels: object.labels,
        annotations: object.annotations,
        containers: object.containers,
        fieldManagers: object.fieldManagers,
        ...(object.suspended === undefined ? {} : { suspended: object.suspended }),
        rollout,
        ...(object.pullSecrets === undefined || object.pullSecrets.length === 0 ? {} : { pullSecrets: object.pullSecrets }),
      }),
    );
    return object.snapshot;
  }

  function jobSnapshot(job: SimulatedJob): JobInfo {
    job.snapshot ??= deepFreeze(
      structuredClone({
        namespace: job.namespace,
        name: job.name,
        labels: job.labels,
        conditions: job.conditions,
        active: job.active,
        succeeded: job.succeeded,
        failed: job.failed,
      }),
    );
    return job.snapshot;
  }

  /** Records a change of `object`: new resourceVersion, informer event, pod problems. */
  function commit(object: SimulatedObject): void {
    object.resourceVersion = ++resourceVersion;
    object.snapshot = undefined;
    if (isOptedIn(object)) emit({ type: "workload", workload: snapshot(object) });
    reportProblems(object);
  }

  function commitJob(job: SimulatedJob): void {
    job.snapshot = undefined;
    resourceVersion++;
    emit({ type: "job", job: jobSnapshot(job) });
  }

  function problemsOf(object: SimulatedObject): PodProblem[] {
    return object.pods
      .filter((pod) => pod.revision === object.updateRevision && pod.problem !== undefined)
      .map((pod) => pod.problem!);
  }

  function deliverProblems(watchers: Set<PodWatcher>, watcher: PodWatcher, object: SimulatedObject | undefined): void {
    const problems = object ? problemsOf(object) : [];
    const json = JSON.stringify(problems);
    if (json === watcher.last) return;
    watcher.last = json;
    queue.notify([watcher.listener], deepFreeze(structuredClone(problems)), () => watchers.has(watcher));
  }

  function reportProblems(object: SimulatedObject): void {
    const watchers = podWatchers.get(workloadKey(object.ref));
    if (!watchers) return;
    for (const watcher of [...watchers]) deliverProblems(watchers, watcher, object);
  }

  function mustGet(ref: WorkloadRef): SimulatedObject {
    const object = objects.get(workloadKey(ref));
    if (!object) throw new Error(`simulated cluster: ${workloadKey(ref)} does not exist`);
    return object;
  }

  function notFound(ref: WorkloadRef): DomainError {
    return new DomainError("not-found", "CLUSTER_ERROR", `${workloadKey(ref)} not found in the cluster`, {
      metadata: { workload: workloadKey(ref) },
    });
  }

  // ---- the controllers --------------------------------------------------------------------------

  function failureOf(image: string): ImageFailureMode | undefined {
    for (const rule of imageFailures) if (rule.matches(image)) return rule.mode;
    return undefined;
  }

  function createPod(object: SimulatedObject, ordinal?: number): SimulatedPod {
    const { kind, name, namespace } = object.ref;
    const podName =
      kind === "StatefulSet"
        ? `${name}-${ordinal ?? 0}`
        : kind === "Deployment"
          ? `${name}-${object.updateRevision}-${podSuffix(podCounter++)}`
          : `${name}-${podSuffix(podCounter++)}`;
    const pod: SimulatedPod = {
      name: podName,
      revision: object.updateRevision,
      ...(ordinal === undefined ? {} : { ordinal }),
      containers: object.updateContainers,
      ready: true,
      ...withImageIds(object.updateContainers),
    };
    for (const container of object.updateContainers) {
      const mode = failureOf(container.image);
      if (mode === undefined) continue;
      pod.ready = false;
      const problem = initialProblem(mode, podName, namespace, container.name, container.image);
      const later = problem && laterProblem(problem, container.image);
      if (problem) pod.problem = problem;
      if (later) {
        // The kubelet's view changes while it retries (ErrImagePull turns into ImagePullBackOff).
        after(object.timers, stepMs, () => {
          pod.problem = later;
          if (object.pods.includes(pod)) reportProblems(object);
        });
      }
      break;
    }
    return pod;
  }

  function scheduleStep(object: SimulatedObject): void {
    if (object.controllerTimer) return;
    object.controllerTimer = after(object.timers, stepMs, () => {
      object.controllerTimer = undefined;
      step(object);
    });
  }

  function step(object: SimulatedObject): void {
    const now = clock.now().getTime();
    const isDeployment = object.ref.kind === "Deployment";
    if (object.observedGeneration < object.generation) {
      // The controller notices the new template: a new revision to roll towards, nothing moved yet.
      object.observedGeneration = object.generation;
      object.updateRevision = templateHash(object.containers);
      object.updateContainers = object.containers;
      object.lastProgressAt = now;
      object.deadlineTimer?.();
      object.deadlineTimer = undefined;
      const done = isRolledOut(object);
      if (done) object.currentRevision = object.updateRevision;
      if (isDeployment) {
        object.progressing = progressingCondition(object, object.paused ? "paused" : done ? "complete" : "progressing");
      }
      commit(object);
      if (!done) scheduleStep(object);
      return;
    }
    const before = JSON.stringify(object.progressing);
    const changed = stepRollout(object, createPod);
    if (changed) object.lastProgressAt = now;
    const done = isRolledOut(object);
    if (done) object.currentRevision = object.updateRevision;
    if (isDeployment) {
      const deadline = object.progressDeadlineSeconds;
      const timedOut =
        object.progressing?.reason === "ProgressDeadlineExceeded" ||
        (deadline !== undefined && now - object.lastProgressAt >= deadline * 1000);
      object.progressing = progressingCondition(
        object,
        object.paused ? "paused" : done ? "complete" : changed ? "progressing" : timedOut ? "timed-out" : "progressing",
      );
    }
    if (changed || JSON.stringify(object.progressing) !== before) commit(object);
    if (done) return;
    if (changed) scheduleStep(object);
    else armProgressDeadline(object);
  }

  /** A stalled Deployment reports ProgressDeadlineExceeded once the deadline passes without progress. */
  function armProgressDeadline(object: SimulatedObject): void {
    const deadline = object.progressDeadlineSeconds;
    if (object.ref.kind !== "Deployment" || object.paused || deadline === undefined) return;
    if (object.progressing?.reason === "ProgressDeadlineExceeded" || object.deadlineTimer) return;
    const wait = Math.max(0, object.lastProgressAt + deadline * 1000 - clock.now().getTime());
    object.deadlineTimer = after(object.timers, wait, () => {
      object.deadlineTimer = undefined;
      if (object.observedGeneration < object.generation || isRolledOut(object)) return;
      object.progressing = progressingCondition(object, "timed-out");
      commit(object);
    });
  }

  /** A spec change: the next generation, rolled out by the controller from the next step on. */
  function changeTemplate(object: SimulatedObject, containers: ContainerSpec[], manager: string): void {
    object.containers = containers;
    object.generation++;
    if (!object.fieldManagers.includes(manager)) object.fieldManagers = [...object.fieldManagers, manager];
    // A CronJob has no rollout and no observedGeneration to lag behind.
    if (!rolloutKinds.has(object.ref.kind)) object.observedGeneration = object.generation;
    commit(object);
    if (rolloutKinds.has(object.ref.kind)) scheduleStep(object);
  }

  // ---- Jobs -------------------------------------------------------------------------------------

  function finishJob(job: SimulatedJob, outcome: "Complete" | "BackoffLimitExceeded" | "DeadlineExceeded"): void {
    if (job.active === 0) return;
    for (const cancel of [...job.timers]) cancel();
    job.active = 0;
    if (outcome === "Complete") {
      job.succeeded = 1;
      const message = "Reached expected number of succeeded pods";
      job.conditions = [
        { type: "SuccessCriteriaMet", status: "True", reason: "CompletionsReached", message },
        { type: "Complete", status: "True", reason: "CompletionsReached", message },
      ];
    } else {
      job.failed = 1;
      const message =
        outcome === "DeadlineExceeded"
          ? "Job was active longer than specified deadline"
          : "Job has reached the specified backoff limit";
      job.conditions = [
        { type: "FailureTarget", status: "True", reason: outcome, message },
        { type: "Failed", status: "True", reason: outcome, message },
      ];
    }
    commitJob(job);
  }

  function withImageIds(containers: readonly ContainerSpec[]): { imageIds?: Record<string, string> } {
    const imageIds = imageIdsOf(containers);
    return imageIds === undefined ? {} : { imageIds };
  }

  // ---- the port and the test hooks ----------------------------------------------------------------

  return {
    keys,

    // the registry watcher's reads (PullSecretsPort, RunningImagesPort).
    async getPullSecret(namespace, name) {
      secretReads++;
      const secret = pullSecrets.get(`${namespace}/${name}`);
      return secret === undefined ? undefined : { ...secret };
    },
    async runningImageIds(ref) {
      podLists++;
      const object = objects.get(workloadKey(ref));
      const ids = new Map<string, string>();
      for (const pod of object?.pods ?? []) {
        if (pod.revision !== object?.updateRevision) continue;
        for (const [container, id] of Object.entries(pod.imageIds ?? {})) if (!ids.has(container)) ids.set(container, id);
      }
      return ids;
    },
    putPullSecret(secret) {
      const stored: PullSecret = { ...secret, resourceVersion: String(++resourceVersion) };
      pullSecrets.set(`${secret.namespace}/${secret.name}`, stored);
      return { ...stored };
    },
    registryAccessCounts: () => ({ secretReads, podLists }),

    start() {
      if (synced) return;
      synced = true;
      emit({ type: "synced" });
    },

    stop() {
      synced = false;
      for (const object of objects.values()) {
        for (const cancel of [...object.timers]) cancel();
        object.controllerTimer = undefined;
        object.deadlineTimer = undefined;
      }
      for (const job of jobs.values()) for (const cancel of [...job.timers]) cancel();
    },

    isSynced: () => synced,

    listWorkloads() {
      return [...objects.values()]
        .filter(isOptedIn)
        .sort(
          (a, b) =>
            compare(a.ref.namespace, b.ref.namespace) || compare(a.ref.kind, b.ref.kind) || compare(a.ref.name, b.ref.name),
        )
        .map(snapshot);
    },

    listWorkloadsUsing(repository) {
      // A scan: the simulated cluster holds a demo's few workloads.
      const uses = (image: string) => {
        const reference = tryParseImageReference(image);
        return reference !== undefined && repositoryName(reference) === repository;
      };
      return [...objects.values()]
        .filter((object) => isOptedIn(object) && object.containers.some((container) => uses(container.image)))
        .map(snapshot);
    },

    getWorkload(ref) {
      const object = objects.get(workloadKey(ref));
      return object && isOptedIn(object) ? snapshot(object) : undefined;
    },

    getJob(namespace, name) {
      const job = jobs.get(`${namespace}/${name}`);
      return job && jobSnapshot(job);
    },

    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },

    async patchImages(ref, patches) {
      const object = objects.get(workloadKey(ref));
      const record = (outcome: SimulatedWriteOutcome) =>
        log({ operation: "patch-images", target: { ...ref }, outcome, patches });
      if (!object) {
        record("not-found");
        throw notFound(ref);
      }
      if (object.ref.kind === "Job") {
        record("invalid");
        throw new DomainError(
          "failed-precondition",
          "TARGET_NOT_UPDATABLE",
          `${workloadKey(ref)}: a Job's pod template is immutable; it can only be copied as a migration`,
          { metadata: { workload: workloadKey(ref) } },
        );
      }
      // Every test before any replace, as in one JSON patch: all or nothing.
      for (const patch of patches) {
        const container = object.containers.find((c) => c.name === patch.container && c.init === patch.init);
        if (container?.image !== patch.expectedImage) {
          record("conflict");
          const what = patch.init ? "init container" : "container";
          throw new DomainError(
            "aborted",
            "IMAGE_CONFLICT",
            container
              ? `${what} "${patch.container}" of ${workloadKey(ref)} runs "${container.image}", not the expected "${patch.expectedImage}": someone else changed it`
              : `${workloadKey(ref)} has no ${what} "${patch.container}" any more`,
            {
              metadata: {
                workload: workloadKey(ref),
                container: patch.container,
                expected_image: patch.expectedImage,
                actual_image: container?.image ?? "",
              },
            },
          );
        }
      }
      const containers = object.containers.map((container) => {
        const patch = patches.find((p) => p.container === container.name && p.init === container.init);
        return patch ? { ...container, image: patch.newImage } : container;
      });
      if (containers.every((container, i) => container.image === object.containers[i]!.image)) {
        // The API server does not bump generation or resourceVersion for a patch that changes nothing.
        record("unchanged");
        return snapshot(object);
      }
      record("applied");
      changeTemplate(object, containers, fieldManager);
      return snapshot(object);
    },

    async createMigrationJob(request) {
      const { template, jobName } = request;
      const target: WorkloadRef = { kind: "Job", namespace: template.namespace, name: jobName };
      const record = (outcome: SimulatedWriteOutcome) =>
        log({ operation: "create-job", target, outcome, job: request });
      // Idempotent by name first: a retry after the template changed or vanished must still see its copy.
      const key = `${target.namespace}/${jobName}`;
      if (jobs.has(key) || objects.has(workloadKey(target))) {
        record("already-exists");
        return { created: false };
      }
      const source = objects.get(workloadKey(template));
      if (!source) {
        record("not-found");
        throw notFound(template);
      }
      if (source.ref.kind !== "Job" && source.ref.kind !== "CronJob") {
        record("invalid");
        throw new DomainError(
          "failed-precondition",
          "TARGET_NOT_UPDATABLE",
          `${workloadKey(template)} is not a Job or CronJob and cannot be a migration template`,
          { metadata: { workload: workloadKey(template) } },
        );
      }
      if (!jobNamePattern.test(jobName) || !Number.isInteger(request.activeDeadlineSeconds) || request.activeDeadlineSeconds < 1) {
        record("invalid");
        throw new DomainError(
          "internal",
          "CLUSTER_ERROR",
          `Job "${jobName}" is invalid: the name must be a DNS-1123 label of at most 63 characters and ` +
            `activeDeadlineSeconds a positive integer (got ${request.activeDeadlineSeconds})`,
          { metadata: { workload: workloadKey(target) } },
        );
      }
      for (const image of request.images) {
        if (!source.containers.some((c) => c.name === image.container && c.init === image.init)) {
          record("conflict");
          throw new DomainError(
            "aborted",
            "IMAGE_CONFLICT",
            `migration template ${workloadKey(template)} has no ${image.init ? "init container" : "container"} "${image.container}" any more`,
            { metadata: { workload: workloadKey(template), container: image.container, expected_image: "", actual_image: "" } },
          );
        }
      }
      record("applied");
      const job: SimulatedJob = {
        namespace: target.namespace,
        name: jobName,
        labels: { ...request.labels },
        conditions: [],
        active: 1,
        succeeded: 0,
        failed: 0,
        timers: new Set(),
      };
      jobs.set(key, job);
      const fails = [...failingJobs].some((predicate) => predicate(request));
      const hangs = [...hangingJobs].some((predicate) => predicate(request));
      commitJob(job);
      if (!hangs) after(job.timers, jobDurationMs, () => finishJob(job, fails ? "BackoffLimitExceeded" : "Complete"));
      after(job.timers, request.activeDeadlineSeconds * 1000, () => finishJob(job, "DeadlineExceeded"));
      return { created: true };
    },

    watchPodProblems(ref, listener): Unsubscribe {
      const key = workloadKey(ref);
      let watchers = podWatchers.get(key);
      if (!watchers) {
        watchers = new Set();
        podWatchers.set(key, watchers);
      }
      const set = watchers;
      const watcher: PodWatcher = { listener, last: "[]" };
      set.add(watcher);
      // Current problems arrive asynchronously, like a real watch's initial list, so the caller
      // already holds the unsubscribe function when its listener first runs.
      queueMicrotask(() => {
        if (set.has(watcher)) deliverProblems(set, watcher, objects.get(key));
      });
      return () => {
        set.delete(watcher);
        if (set.size === 0 && podWatchers.get(key) === set) podWatchers.delete(key);
      };
    },

    addWorkload(spec) {
      const object = createObject(spec);
      objects.set(workloadKey(object.ref), object);
      commit(object);
      return snapshot(object);
    },

    removeWorkload(ref) {
      const object = objects.get(workloadKey(ref));
      if (!object) return false;
      for (const cancel of [...object.timers]) cancel();
      objects.delete(workloadKey(ref));
      resourceVersion++;
      if (isOptedIn(object)) emit({ type: "workload-deleted", ref: { ...object.ref } });
      return true;
    },

    setContainerImage(ref, containerName, image) {
      const object = mustGet(ref);
      if (object.ref.kind === "Job") throw new Error(`simulated cluster: ${workloadKey(ref)}: a Job's pod template is immutable`);
      const index = object.containers.findIndex((c) => c.name === containerName);
      if (index === -1) throw new Error(`simulated cluster: ${workloadKey(ref)} has no container "${containerName}"`);
      if (object.containers[index]!.image !== image) {
        const containers = object.containers.map((c, i) => (i === index ? { ...c, image } : c));
        changeTemplate(object, containers, "kubectl-set");
      }
      return snapshot(object);
    },

    failImage(matcher, mode) {
      const rule = { matches: compileImageMatcher(matcher), mode };
      imageFailures.add(rule);
      return () => {
        imageFailures.delete(rule);
      };
    },

    failJobs(predicate) {
      failingJobs.add(predicate);
      return () => {
        failingJobs.delete(predicate);
      };
    },

    hangJobs(predicate) {
      hangingJobs.add(predicate);
      return () => {
        hangingJobs.delete(predicate);
      };
    },

    deleteJob(namespace, name) {
      const job = jobs.get(`${namespace}/${name}`);
      if (!job) return false;
      for (const cancel of [...job.timers]) cancel();
      jobs.delete(`${namespace}/${name}`);
      resourceVersion++;
      emit({ type: "job-deleted", namespace, name });
      return true;
    },

    pods(ref) {
      const object = objects.get(workloadKey(ref));
      if (!object) return [];
      return deepFreeze(
        structuredClone(
          object.pods.map((pod) => ({
            name: pod.name,
            revision: pod.revision,
            ...(pod.ordinal === undefined ? {} : { ordinal: pod.ordinal }),
            containers: pod.containers,
            ready: pod.ready,
            ...(pod.problem === undefined ? {} : { problem: pod.problem }),
          })),
        ),
      );
    },

    writes: () => structuredClone(writeLog),
  };

  // ---- seeding ----------------------------------------------------------------------------------

  function createObject(spec: SimulatedWorkloadSpec): SimulatedObject {
    const ref: WorkloadRef = { kind: spec.kind, namespace: spec.namespace, name: spec.name };
    const key = workloadKey(ref);
    const invalid = (why: string) => new Error(`simulated cluster: cannot add ${key}: ${why}`);
    if (objects.has(key)) throw invalid("it already exists");
    if (!spec.namespace || !spec.name) throw invalid("namespace and name are required");
    const names = new Set<string>();
    for (const container of spec.containers) {
      if (!container.name || !container.image) throw invalid("every container needs a name and an image");
      if (names.has(container.name)) throw invalid(`container name "${container.name}" is used twice`);
      names.add(container.name);
    }
    if (!spec.containers.some((c) => !c.init)) throw invalid("it needs at least one (non-init) container");
    const kind = spec.kind;
    const isRollout = rolloutKinds.has(kind);
    const desired = kind === "DaemonSet" ? (spec.nodes ?? 3) : isRollout ? (spec.replicas ?? 1) : 0;
    if (!Number.isInteger(desired) || desired < 0) throw invalid(`replicas/nodes must be an integer >= 0, got ${desired}`);
    const strategy = isRollout ? (spec.strategy ?? "RollingUpdate") : undefined;
    const allowed = kind === "Deployment" ? ["RollingUpdate", "Recreate"] : ["RollingUpdate", "OnDelete"];
    if (strategy !== undefined && !allowed.includes(strategy)) {
      throw invalid(`strategy "${strategy}" is not one of ${allowed.join(", ")}`);
    }

    let maxSurge = 0;
    let maxUnavailable = 0;
    if (kind === "Deployment") {
      // The API's defaults: 25% each, surge rounded up, unavailable rounded down.
      maxSurge = spec.maxSurge ?? Math.ceil(desired * 0.25);
      maxUnavailable = spec.maxUnavailable ?? Math.floor(desired * 0.25);
      if (maxSurge === 0 && maxUnavailable === 0) {
        if (spec.maxSurge !== undefined && spec.maxUnavailable !== undefined) {
          throw invalid("maxSurge and maxUnavailable may not both be 0");
        }
        maxSurge = 1;
      }
    } else if (kind === "DaemonSet") {
      maxUnavailable = spec.maxUnavailable ?? 1;
      if (maxUnavailable < 1) throw invalid("a DaemonSet's maxUnavailable must be at least 1");
    }

    const labels: Record<string, string> = { ...spec.labels };
    const annotations: Record<string, string> = { ...spec.annotations };
    if (spec.classifier !== undefined) labels[keys.classifierLabel] = spec.classifier;
    if (spec.legacyClassifier !== undefined) annotations[keys.legacyClassifierAnnotation] = spec.legacyClassifier;
    if (spec.migrationOrder !== undefined) annotations[keys.migrationOrderAnnotation] = String(spec.migrationOrder);

    const containers: ContainerSpec[] = [
      ...spec.containers.filter((c) => c.init).map((c) => ({ name: c.name, image: c.image, init: true })),
      ...spec.containers.filter((c) => !c.init).map((c) => ({ name: c.name, image: c.image, init: false })),
    ];
    const revision = templateHash(containers);
    const object: SimulatedObject = {
      ref,
      uid: `00000000-0000-4000-8000-${String(++uidCounter).padStart(12, "0")}`,
      resourceVersion: 0,
      labels,
      annotations,
      containers,
      fieldManagers: [...(spec.fieldManagers ?? ["kubectl-client-side-apply"])],
      ...(spec.pullSecrets === undefined ? {} : { pullSecrets: [...spec.pullSecrets] }),
      ...(kind === "Job" ? { suspended: spec.suspended ?? true } : {}),
      ...(kind === "CronJob" ? { suspended: spec.suspended ?? false } : {}),
      generation: 1,
      observedGeneration: 1,
      desired,
      paused: kind === "Deployment" && spec.paused === true,
      ...(strategy === undefined ? {} : { strategy }),
      maxSurge,
      maxUnavailable,
      ...(kind === "StatefulSet" && strategy === "RollingUpdate" ? { partition: spec.partition ?? 0 } : {}),
      ...(kind === "Deployment" ? { progressDeadlineSeconds: spec.progressDeadlineSeconds ?? 600 } : {}),
      pods: [],
      updateRevision: revision,
      updateContainers: containers,
      currentRevision: revision,
      lastProgressAt: clock.now().getTime(),
      timers: new Set(),
    };
    // Seeded objects are fully rolled out and healthy, whatever failures are injected for later pods.
    for (let i = 0; i < desired; i++) {
      const { kind: k, name } = ref;
      const podName =
        k === "StatefulSet" ? `${name}-${i}` : k === "Deployment" ? `${name}-${revision}-${podSuffix(podCounter++)}` : `${name}-${podSuffix(podCounter++)}`;
      object.pods.push({
        name: podName,
        revision,
        ...(k === "StatefulSet" ? { ordinal: i } : {}),
        containers,
        ready: true,
        ...withImageIds(containers),
      });
    }
    if (kind === "Deployment") object.progressing = progressingCondition(object, object.paused ? "paused" : "complete");
    return object;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
