import type { KubernetesObject } from "@kubernetes/client-node";
import type { KubeConnection } from "../../cluster/kubernetes/kube-connection.js";
import { KubernetesApiError, isAlreadyExists, statusCodeOf, toDomainError } from "../../cluster/kubernetes/kubernetes-errors.js";
import type { KindApi } from "../../cluster/kubernetes/kind-api.js";
import { createResilientInformer, type ResilientInformer } from "../../cluster/kubernetes/resilient-informer.js";
import type { RestClient } from "../../cluster/kubernetes/rest-client.js";
import { slimObject } from "../../cluster/kubernetes/slim-object.js";
import { mergeApprovals } from "../../core/domain/approval.js";
import { DomainError } from "../../core/domain/domain-error.js";
import type { UpdateEvent, UpdateEventBody } from "../../core/domain/update-event.js";
import { isTerminal, isWaitingToStart, type UpdateRecord } from "../../core/domain/update.js";
import { type WorkloadRef, workloadKey } from "../../core/domain/workload.js";
import type { Clock } from "../../core/ports/clock.js";
import type { Unsubscribe } from "../../core/ports/cluster.js";
import type { CountFailure } from "../../core/ports/failure-counter.js";
import { type CoreLogger, silentLogger } from "../../core/ports/logger.js";
import type { ListUpdatesQuery, Page, RemoveUpdateResult, UpdateStore } from "../../core/ports/update-store.js";
import { ExecutionHalted } from "../../core/use-cases/execution-halted.js";
import { lockTargets, locksAnyOf } from "../../core/use-cases/lock-targets.js";
import { frozenCopy } from "../memory/frozen-copy.js";
import { createListenerQueue } from "../memory/listener-queue.js";
import { checkPageSize } from "../memory/page-token.js";
import { createBackoff } from "../../cluster/kubernetes/backoff.js";
import { isTransientFailure, mayHaveBeenApplied, retryAfterMs } from "../../cluster/kubernetes/transient-failure.js";
import { retryOnConflict } from "./retry-on-conflict.js";
import { decodeRunPageToken, encodeRunPageToken, type RunPosition } from "./run-page-token.js";
import {
  acceptedByAnnotation,
  type DecodedRun,
  defaultUpdateRunLimits,
  fromUpdateRunObject,
  idempotencyName,
  toUpdateRunObject,
  toUpdateRunStatus,
  type UpdateRunLimits,
  type UpdateRunObject,
  updateIdLabel,
  updateIdLabelValue,
  updateRunApiVersion,
  updateRunGroup,
  updateRunName,
  updateRunsPath,
} from "./update-run-codec.js";

export interface KubernetesUpdateStoreOptions {
  /** For the informer's watch. Required. */
  readonly kubeConfig: KubeConnection;
  /** Every other request. Required. */
  readonly rest: RestClient;
  /** The manager's own namespace, where its UpdateRuns live. Required. */
  readonly namespace: string;
  /** Stamps event times; informer restart timers. Required. */
  readonly clock: Clock;
  /** This replica's identity (the pod name), recorded as the executor of the runs it writes. Required. */
  readonly identity: string;
  /**
   * Whether this replica may execute updates now (it holds the leader Lease within its renew deadline).
   * Checked before every write of execution state. Default: always (a single replica).
   */
  readonly canExecute?: () => boolean;
  /**
   * `workload-progress` events recorded per workload; later ones are folded into the workload's status
   * (its latest rollout) and get no sequence number, so the event log stays bounded by the number of
   * targets. Default: 5.
   */
  readonly maxProgressEventsPerWorkload?: number;
  /** How much of a run is readable beside its compressed data. Default: 50 targets, 10 events. */
  readonly limits?: UpdateRunLimits;
  /** Conflicts (409) retried by re-reading, per save. Default: 5. */
  readonly conflictRetries?: number;
  /** Default: silentLogger. */
  readonly logger?: CoreLogger;
  /**
   * How long a batched save (`save(..., { batch: true })`) waits for more to write with it; at most 100.
   * Default: 50 ms.
   */
  readonly groupCommitMs?: number;
  /**
   * Whether an unfinished run holds its targets against runs created after it (run-target-locks.ts): create()
   * then refuses, with TARGET_BUSY, a run that lost a race with an earlier one for a target, and deletes it.
   * Default: false (the store alone records whatever it is given).
   */
  readonly settleTargetRaces?: boolean;
  /**
   * How long create() waits for the informer to deliver the new run (it then knows every run created before
   * it) before it asks the API server with a LIST instead. Default: 5 000 ms.
   */
  readonly informerWaitMs?: number;
  /**
   * How long the first status of a run this replica executes itself (it may execute, and the run is pending) waits
   * for the execution's first write, which records the same events on the run and so makes it unneeded: one write
   * fewer per update. Written after the grace only when no status was written by then (the execution halted before
   * its first write, say). Runs another replica executes and runs that wait (queued, for an approval or a gate) get
   * theirs at once: it is their only write for a while, and what hands them to the leader. Default: 0 (at once).
   */
  readonly firstStatusGraceMs?: number;
  /**
   * How long a run without its first status is left to the replica that accepted it (see leftToAcceptorMs), from
   * when this replica first saw it. Default: 30 000 ms.
   */
  readonly orphanRunGraceMs?: number;
  /**
   * When `replica` was last known to have stopped executing (this replica took over its expired Lease), on this
   * replica's clock; undefined when not known. A run it accepted that has no status yet and that this replica saw
   * before then is not left to it. Default: never known.
   */
  readonly goneSince?: (replica: string) => number | undefined;
  /**
   * Counts a failed clean-up (`run-cleanup`: the DELETE of a run whose race could not be settled, a failed prune) and a
   * first status that was never written (`first-status-not-recorded`). Default: none.
   */
  readonly countFailure?: CountFailure;
  /** Called with what a subscriber threw. Default: rethrown from a microtask. */
  readonly onListenerError?: (error: unknown) => void;
}

/** The UpdateStore on UpdateRun custom resources, plus its lifecycle and what the leader needs. */
export interface KubernetesUpdateStore extends UpdateStore {
  /**
   * One check that the UpdateRun CRD is served: DomainError failed-precondition naming the manifest
   * when it is not, permission-denied without RBAC, unavailable when the API server cannot be reached.
   */
  checkInstalled(): Promise<void>;
  /**
   * Checks the CRD (retrying while the API server cannot be reached; a missing CRD or RBAC rejects),
   * starts the informer and resolves once it listed.
   */
  start(): Promise<void>;
  /** True once the informer listed. */
  hasSynced(): boolean;
  stop(): Promise<void>;
  /**
   * Called for every run the informer sees added or changed, with the executor its status names (the
   * leader picks up runs that no replica, or a replica gone, executes) and whether this replica created it
   * (then this replica launched it when it leads, and the other replicas when they lead).
   */
  onRunChanged(listener: (record: UpdateRecord, executor: string | undefined, createdHere: boolean) => void): Unsubscribe;
  /**
   * The unfinished run that holds `target`, from the informer cache: of the unfinished runs naming it (their
   * plan's workloads to change and migration templates), the one accepted first (lowest acceptedRevision).
   */
  holderOf(target: WorkloadRef): string | undefined;
  /**
   * Whether the run of update `id` is left to the replica that accepted it, which writes its first status right
   * after creating it: undefined when this process is that replica (it is creating the run now); else how many
   * milliseconds more the run is left to it (0: any leader may resume it now). A run that has its first status is
   * left to no one. Until the grace (orphanRunGraceMs) has passed since this replica first saw the run, it is left to
   * its acceptor, unless that is gone: an earlier process of this pod (the same identity), or a replica whose
   * expired Lease this one took over after it saw the run (goneSince). listUnfinished() leaves such runs out.
   */
  leftToAcceptorMs(id: string): number | undefined;
  /** Reads a run from the API server (a holder the cache may show unfinished although it has just finished). */
  readLiveById(id: string): Promise<UpdateRecord | undefined>;
  /**
   * The run of an update as an Event names the object it is about, from the cache (this replica's writes
   * included); undefined when the cache does not hold it.
   */
  runReferenceOf(id: string): UpdateRunReference | undefined;
  /**
   * Deletes finished runs older than `maxAgeMs`, and the oldest finished ones beyond `maxCount`.
   * Unfinished runs are never deleted. Resolves with how many were deleted.
   */
  prune(policy: { readonly maxAgeMs: number; readonly maxCount: number }): Promise<number>;
}

/** An UpdateRun as an object reference (Events' `regarding` and `related`). */
export interface UpdateRunReference {
  readonly apiVersion: string;
  readonly kind: "UpdateRun";
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
}

/** Only `group`, `version` and `resource` are read by the informer; the kind is a label in its logs. */
const updateRunApi = { kind: "UpdateRun", group: updateRunGroup, version: "v1alpha1", resource: "updateruns" } as unknown as KindApi;

interface RunList {
  readonly items: UpdateRunObject[];
  readonly metadata?: { readonly continue?: string };
}

interface CachedRun {
  readonly object: UpdateRunObject;
  readonly decoded: DecodedRun;
}

/**
 * UpdateRuns in the manager's namespace. Reads come from an informer (plus this replica's own
 * writes, so a write is visible here at once); every write carries the resourceVersion it was based
 * on, so concurrent writers never overwrite each other: a conflict (409) is retried after re-reading,
 * merging only what is safe to merge (a cancel request). Execution state is written only by the
 * replica allowed to execute (`canExecute`), which records itself as the run's executor.
 */
export function createKubernetesUpdateStore(options: KubernetesUpdateStoreOptions): KubernetesUpdateStore {
  const { rest, namespace, clock, identity } = options;
  const canExecute = options.canExecute ?? (() => true);
  const maxProgress = options.maxProgressEventsPerWorkload ?? 5;
  const limits = options.limits ?? defaultUpdateRunLimits;
  const conflictRetries = options.conflictRetries ?? 5;
  const logger = (options.logger ?? silentLogger).child({ component: "update-store" });
  const path = updateRunsPath(namespace);
  const objectPath = (name: string) => `${path}/${encodeURIComponent(name)}`;
  const queue = createListenerQueue(options.onListenerError);
  const informerWaitMs = options.informerWaitMs ?? 5_000;
  const groupCommitMs = Math.min(options.groupCommitMs ?? 50, 100);
  const firstStatusGraceMs = options.firstStatusGraceMs ?? 0;
  /** First statuses waiting out their grace, by run name: written at once when the store stops. */
  const firstStatusesDue = new Map<string, { cancel: () => void; write: () => void }>();

  /** By object name: the newest version seen, from the informer or this replica's writes. */
  const runs = new Map<string, CachedRun>();
  /**
   * Names of the cached runs that have not finished: what the queue, the locks and the metrics list on every accept
   * and every finished execution. Finished runs are kept for their retention (thousands at a busy site); listing
   * the unfinished ones must not walk them all.
   */
  const unfinished = new Set<string>();
  const nameById = new Map<string, string>();
  const listeners = new Map<string, Set<(event: UpdateEvent) => void>>();
  /** Per update id: the last sequence delivered to its subscribers. */
  const published = new Map<string, number>();
  const changeListeners = new Set<(record: UpdateRecord, executor: string | undefined, createdHere: boolean) => void>();
  /** Names of the runs this replica created. */
  const createdHere = new Set<string>();
  /** Per run name without a status: when this replica first saw it (its clock). */
  const statuslessSince = new Map<string, number>();
  const orphanRunGraceMs = options.orphanRunGraceMs ?? 30_000;
  /** Per target key: the unfinished runs naming it (object name -> order). The lock state. */
  const holders = new Map<string, Map<string, bigint>>();
  /** Per run name: the target keys indexed in `holders`. */
  const heldBy = new Map<string, readonly string[]>();
  /** The highest resourceVersion the informer delivered, and who waits for one. */
  let informerRevision = -1n;
  const revisionWaiters = new Set<{ readonly revision: bigint; readonly resolve: () => void }>();

  function informerSaw(object: UpdateRunObject): void {
    const revision = revisionOf(object.metadata.resourceVersion);
    if (revision === undefined || revision <= informerRevision) return;
    informerRevision = revision;
    for (const waiter of [...revisionWaiters]) {
      if (waiter.revision <= revision) {
        revisionWaiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  /** Resolves true once the informer delivered `revision` (watch events come in order), false after the wait. */
  function informerReached(revision: bigint): Promise<boolean> {
    if (informerRevision >= revision) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = {
        revision,
        resolve: () => {
          cancel();
          resolve(true);
        },
      };
      const cancel = clock.setTimer(informerWaitMs, () => {
        revisionWaiters.delete(waiter);
        resolve(false);
      });
      revisionWaiters.add(waiter);
    });
  }

  function index(name: string, decoded: DecodedRun | undefined, order: bigint): void {
    for (const key of heldBy.get(name) ?? []) {
      const entry = holders.get(key);
      entry?.delete(name);
      if (entry?.size === 0) holders.delete(key);
    }
    heldBy.delete(name);
    // A queued (or waiting) run holds nothing yet: it takes its locks when it leaves the queue (or the wait).
    if (
      decoded === undefined ||
      isTerminal(decoded.record.state) ||
      isWaitingToStart(decoded.record.state)
    ) {
      return;
    }
    const keys = lockTargets(decoded.record.plan).map(workloadKey);
    for (const key of keys) {
      let entry = holders.get(key);
      if (entry === undefined) {
        entry = new Map();
        holders.set(key, entry);
      }
      entry.set(name, order);
    }
    heldBy.set(name, keys);
  }

  function holderNameOf(key: string, except?: string): string | undefined {
    let best: { name: string; order: bigint } | undefined;
    for (const [name, order] of holders.get(key) ?? []) {
      if (name === except) continue;
      if (best === undefined || order < best.order || (order === best.order && name < best.name)) best = { name, order };
    }
    return best?.name;
  }

  const informer: ResilientInformer<KubernetesObject> = createResilientInformer<KubernetesObject>({
    kubeConfig: options.kubeConfig,
    rest,
    api: updateRunApi,
    namespace,
    clock,
    logger,
    transform: slimObject,
    onAdd: (object) => {
      remember(object as UpdateRunObject, true);
      informerSaw(object as UpdateRunObject);
    },
    onUpdate: (object) => {
      remember(object as UpdateRunObject, true);
      informerSaw(object as UpdateRunObject);
    },
    onDelete: (object) => {
      const deleted = object as UpdateRunObject;
      // Only the run as cached: a run of the same name created since (a request retried with its idempotency key
      // after its first try was deleted) stays, and so does a create of that name in flight.
      const cached = runs.get(deleted.metadata.name);
      if (cached !== undefined && (deleted.metadata.uid === undefined || cached.object.metadata.uid === deleted.metadata.uid)) {
        forget(deleted.metadata.name);
      }
      informerSaw(deleted);
    },
  });

  /** Keeps the newer of two versions of a run; publishes its new events. Returns the version kept. */
  function remember(object: UpdateRunObject, fromInformer: boolean): CachedRun | undefined {
    const name = object.metadata.name;
    const current = runs.get(name);
    if (current !== undefined && !isNewer(object, current.object)) return current;
    let decoded: DecodedRun;
    try {
      decoded = fromUpdateRunObject(object);
    } catch (error) {
      logger.error({ err: error, name }, "an UpdateRun cannot be read; it is ignored");
      return current;
    }
    const cached = { object, decoded };
    runs.set(name, cached);
    if (isTerminal(decoded.record.state)) unfinished.delete(name);
    else unfinished.add(name);
    if (object.status !== undefined) statuslessSince.delete(name);
    else if (!statuslessSince.has(name)) statuslessSince.set(name, clock.now().getTime());
    nameById.set(decoded.record.id, name);
    index(name, decoded, orderOf(object));
    publish(decoded);
    if (fromInformer) {
      for (const listener of [...changeListeners]) {
        try {
          listener(structuredClone(decoded.record), object.status?.executor, createdHere.has(name));
        } catch (error) {
          logger.error({ err: error }, "an UpdateRun change listener threw");
        }
      }
    }
    return cached;
  }

  function publish(decoded: DecodedRun): void {
    const id = decoded.record.id;
    const subscribers = listeners.get(id);
    if (subscribers === undefined) return;
    const from = published.get(id) ?? 0;
    const fresh = decoded.events.filter((event) => event.sequence > from);
    if (fresh.length === 0) return;
    published.set(id, fresh[fresh.length - 1]!.sequence);
    const isSubscribed = (listener: (event: UpdateEvent) => void) => listeners.get(id)?.has(listener) === true;
    for (const event of fresh) queue.notify(subscribers, event, isSubscribed, frozenCopy);
  }

  function forget(name: string): void {
    const cached = runs.get(name);
    runs.delete(name);
    unfinished.delete(name);
    createdHere.delete(name);
    statuslessSince.delete(name);
    index(name, undefined, 0n);
    if (cached !== undefined) nameById.delete(cached.decoded.record.id);
  }

  const operation = (verb: string, name?: string) => ({
    verb,
    resource: `updateruns.${updateRunGroup}`,
    namespace,
    ...(name === undefined ? {} : { name }),
  });

  async function readLive(name: string): Promise<CachedRun | undefined> {
    try {
      const object = await rest.request<UpdateRunObject>({ method: "GET", path: objectPath(name) });
      return remember(object, false);
    } catch (error) {
      if (statusCodeOf(error) === 404) return undefined;
      throw toDomainError(error, operation("get", name));
    }
  }

  async function findById(id: string): Promise<CachedRun | undefined> {
    const name = nameById.get(id);
    const cached = name === undefined ? undefined : runs.get(name);
    if (cached !== undefined) return cached;
    // Created on another replica a moment ago, before this informer saw it.
    try {
      const list = await rest.request<RunList>({
        method: "GET",
        path,
        query: { labelSelector: `${updateIdLabel}=${updateIdLabelValue(id)}` },
      });
      const found = list.items.find((object) => object.spec?.id === id);
      return found === undefined ? undefined : remember(found, false);
    } catch (error) {
      throw toDomainError(error, operation("list"));
    }
  }

  let stopped = false;
  let synced = false;

  /** One request: resolves when UpdateRuns are served here and readable; otherwise says why. */
  async function checkInstalled(): Promise<void> {
    try {
      await rest.request({ method: "GET", path, query: { limit: "1" } });
    } catch (error) {
      if (statusCodeOf(error) === 404) {
        throw new DomainError(
          "failed-precondition",
          "CLUSTER_ERROR",
          `the UpdateRun custom resource (updateruns.${updateRunGroup}) is not installed: apply kube/base/update-run-crd.yaml ` +
            "(kubectl apply -k kube/base installs it), or set UPDATE_MANAGER_STORE=memory to keep updates in memory (lost on restart)",
          { cause: error },
        );
      }
      throw toDomainError(error, operation("list"));
    }
  }

  function notFound(id: string): DomainError {
    return new DomainError("not-found", "UPDATE_NOT_FOUND", `update ${id} not found`, { metadata: { update_id: id } });
  }

  /** Writes the status on top of `base`, with base's resourceVersion as the precondition. */
  async function writeStatus(base: UpdateRunObject, record: UpdateRecord, events: readonly UpdateEvent[], executor: string | undefined) {
    const status = toUpdateRunStatus(record, events, executor, limits);
    // The first status records the revision the run was created with (base is then the created object).
    const acceptedRevision = base.status?.acceptedRevision ?? base.metadata.resourceVersion;
    if (acceptedRevision !== undefined) status.acceptedRevision = acceptedRevision;
    // An update (PUT) of /status: the whole status is replaced (a merge patch would keep keys that are gone),
    // and the resourceVersion of `base` makes it fail with 409 if anyone wrote the run since.
    const object = await rest.request<UpdateRunObject>({
      method: "PUT",
      path: `${objectPath(base.metadata.name)}/status`,
      body: { ...base, status },
    });
    return remember(object, false);
  }

  /** Numbers the new events after `existing`, dropping progress events beyond the per-workload budget. */
  function number(id: string, existing: readonly UpdateEvent[], bodies: readonly UpdateEventBody[]): UpdateEvent[] {
    const progressCount = new Map<string, number>();
    for (const event of existing) {
      if (event.type === "workload-progress") {
        const key = workloadKey(event.workload);
        progressCount.set(key, (progressCount.get(key) ?? 0) + 1);
      }
    }
    const time = clock.now();
    const added: UpdateEvent[] = [];
    let sequence = existing.length;
    for (const body of bodies) {
      if (body.type === "workload-progress") {
        const key = workloadKey(body.workload);
        const count = progressCount.get(key) ?? 0;
        if (count >= maxProgress) continue;
        progressCount.set(key, count + 1);
      }
      added.push({ ...structuredClone(body), sequence: ++sequence, time, updateId: id } as UpdateEvent);
    }
    return added;
  }

  /**
   * Racing creates: two replicas may each find a target free and create a run naming it. The run accepted
   * first (lower creation resourceVersion) holds the target; the other is deleted and its request refused
   * with TARGET_BUSY. Once the informer delivered the new run's revision it has seen every run created before
   * (watch events come in revision order), so deciding costs no request; a LIST only if the informer lags.
   */
  async function settleRace(record: UpdateRecord, created: UpdateRunObject): Promise<void> {
    const revision = revisionOf(created.metadata.resourceVersion);
    if (revision === undefined) return;
    if (!(await informerReached(revision))) await listLive();
    const name = created.metadata.name;
    for (const target of lockTargets(record.plan)) {
      const earlier = [...(holders.get(workloadKey(target)) ?? [])].find(([other, order]) => other !== name && order < revision);
      if (earlier === undefined) continue;
      const holder = runs.get(earlier[0])?.decoded.record.id ?? earlier[0];
      await rest
        .request({
          method: "DELETE",
          path: objectPath(name),
          body: { kind: "DeleteOptions", apiVersion: "v1", preconditions: { uid: created.metadata.uid } },
        })
        .catch((error: unknown) => logger.error({ err: error, name }, "deleting the run that lost a race for its targets failed"));
      forget(name);
      throw new DomainError(
        "aborted",
        "TARGET_BUSY",
        `${workloadKey(target)} is being updated by update ${holder}; retry when it has finished`,
        { metadata: { update_id: holder, workload: workloadKey(target) } },
      );
    }
  }

  /** Every run from the API server, into the cache. */
  async function listLive(): Promise<UpdateRunObject[]> {
    const all: UpdateRunObject[] = [];
    let continueToken: string | undefined;
    do {
      let page: RunList;
      try {
        page = await rest.request<RunList>({ method: "GET", path, query: { limit: "100", continue: continueToken } });
      } catch (error) {
        throw toDomainError(error, operation("list"));
      }
      for (const object of page.items) {
        remember(object, false);
        all.push(object);
      }
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken !== undefined);
    return all;
  }

  /**
   * Writes the record with its new events now, as save() without batching. A conflict is retried on a fresh read
   * (retryOnConflict); a transient failure (no answer, 5xx, 429) after a pause, and when the lost write did land (the
   * run moved on to exactly the sequence it wrote) it is not written twice. `uncertain` is shared with the caller:
   * it starts with a write of an earlier call that may have landed (its bodies lead `bodies`), and holds the last
   * such write when this one gives up too.
   */
  async function writeSave(
    record: UpdateRecord,
    bodies: readonly UpdateEventBody[],
    uncertain: { lost?: LostWrite } = {},
  ): Promise<UpdateEvent[]> {
    const name = nameById.get(record.id) ?? updateRunName(record);
    const backoff = createBackoff({ initialDelayMs: 200, maxDelayMs: transientWriteMaxDelayMs });
    for (let transients = 1; ; transients++) {
      try {
        return await retryOnConflict(conflictRetries, (index) =>
          writeSaveOnce(name, record, bodies, transients === 1 && index === 0 && uncertain.lost === undefined, uncertain),
        );
      } catch (error) {
        if (error instanceof TransientWriteFailure) {
          uncertain.lost = error.lost ?? uncertain.lost;
          if (transients >= transientWriteAttempts) throw error.translated;
          await new Promise<void>((resolve) => clock.setTimer(retryAfterMs(error.cause, 5000) ?? backoff.next(), resolve));
          continue;
        }
        throw statusCodeOf(error) === 409 ? toDomainError(error, operation("update", name)) : error;
      }
    }
  }

  /** One read-decide-write of writeSave. */
  async function writeSaveOnce(
    name: string,
    record: UpdateRecord,
    given: readonly UpdateEventBody[],
    fromCache: boolean,
    uncertain: { lost?: LostWrite },
  ): Promise<UpdateEvent[]> {
    // A follower only ever records a cancel, rarely: it reads the run live, so a cache that lags
    // behind the leader's last write cannot make it answer for a run that has already finished.
    // After a conflict or a failure the run is read again: someone wrote it since, or the write may have landed.
    let base: CachedRun | undefined;
    try {
      base = fromCache && canExecute() ? (runs.get(name) ?? (await readLive(name))) : await readLive(name);
    } catch (error) {
      const cause = error instanceof DomainError ? error.cause : error;
      if (isTransientFailure(cause)) throw new TransientWriteFailure(cause, error, undefined);
      throw error;
    }
    if (base === undefined) throw notFound(record.id);
    let bodies = given;
    let landed: UpdateEvent[] = [];
    const { lost } = uncertain;
    if (lost !== undefined && base.object.metadata.resourceVersion !== lost.baseVersion && base.object.status?.lastSequence === lost.sequence) {
      // The write whose answer was lost landed: it is not made twice (its events would be numbered again). When it
      // was an earlier call's (a group commit that gave up), only the bodies that came after it are left to write.
      uncertain.lost = undefined;
      if (lost.bodies >= given.length) {
        record.lastSequence = lost.sequence;
        return structuredClone(lost.added);
      }
      landed = structuredClone(lost.added);
      bodies = given.slice(lost.bodies);
    }
    const stored = base.decoded;
    const executor = base.object.status?.executor;
    let next: UpdateRecord;
    let executorToRecord: string | undefined;
    if (canExecute()) {
      if (isTerminal(stored.record.state)) {
        // Finished already (by this replica's earlier execution, or another one): never written again.
        throw new ExecutionHalted(`update ${record.id} has already finished (${stored.record.state}); not written again`);
      }
      if (executor !== undefined && executor !== identity) {
        logger.info(
          { update_id: record.id, trace_id: record.trace?.traceId, previous_executor: executor },
          "taking over the update's execution",
        );
      }
      // A cancel or an approval decision recorded by another replica is kept: the executor's copy may predate it.
      next = { ...structuredClone(record), cancelRequested: record.cancelRequested || stored.record.cancelRequested };
      if (next.approval !== undefined) next.approval = mergeApprovals(next.approval, stored.record.approval);
      executorToRecord = identity;
    } else if (isCancelOnly(record, bodies)) {
      if (isTerminal(stored.record.state)) {
        throw new DomainError(
          "failed-precondition",
          "UPDATE_FINISHED",
          `update ${record.id} has already finished (${stored.record.state}); there is nothing to cancel`,
          { metadata: { update_id: record.id, state: stored.record.state } },
        );
      }
      if (stored.record.cancelRequested) {
        record.lastSequence = stored.record.lastSequence;
        return [];
      }
      // Only the request is recorded; the executor's state stays as the executor wrote it.
      next = { ...structuredClone(stored.record), cancelRequested: true };
      executorToRecord = executor;
    } else if (isDecisionOnly(bodies) && record.approval !== undefined) {
      if (stored.record.state !== "waiting-for-approval" || stored.record.approval === undefined) {
        throw new DomainError(
          "failed-precondition",
          "NOT_WAITING_FOR_APPROVAL",
          `update ${record.id} does not wait for approval: it is ${stored.record.state}`,
          { metadata: { update_id: record.id, state: stored.record.state } },
        );
      }
      // Only the decision is recorded; the leader acts on it (it sees the change and moves its queue).
      next = { ...structuredClone(stored.record), approval: mergeApprovals(record.approval, stored.record.approval) };
      executorToRecord = executor;
    } else {
      throw new ExecutionHalted(
        `this replica (${identity}) is not the leader and may not write update ${record.id}; the leader executes it`,
      );
    }
    const added = number(record.id, stored.events, bodies);
    const all = [...stored.events, ...added];
    next.lastSequence = all.length;
    try {
      await writeStatus(base.object, next, all, executorToRecord);
    } catch (error) {
      if (statusCodeOf(error) === 409) throw error; // retried (and translated once retries run out).
      if (statusCodeOf(error) === 404) throw notFound(record.id);
      if (!(error instanceof KubernetesApiError)) {
        // The write may or may not have landed: read it again before the next save.
        runs.delete(name);
      }
      const translated = toDomainError(error, operation("update", name));
      if (isTransientFailure(error)) {
        const mayHaveLanded = mayHaveBeenApplied(error)
          ? { baseVersion: base.object.metadata.resourceVersion, sequence: all.length, added: [...landed, ...structuredClone(added)], bodies: given.length }
          : undefined;
        throw new TransientWriteFailure(error, translated, mayHaveLanded);
      }
      throw translated;
    }
    record.lastSequence = all.length;
    return [...landed, ...structuredClone(added)];
  }

  /**
   * Batched saves not written yet, per update id: the newest record given and every event in order. Taken by the
   * next write of the run (its group commit when the window ends, or the next save without `batch`), at the moment
   * that write starts; a write that fails puts them back in front, so they reach the store before the run ends.
   */
  const staged = new Map<string, StagedSave>();
  /** Per update id: the write in flight, so writes of one run never overlap. */
  const writes = new Map<string, Promise<unknown>>();

  function serialised<T>(id: string, write: () => Promise<T>): Promise<T> {
    const run = (writes.get(id) ?? Promise.resolve()).then(write);
    const settled = run.catch(() => undefined);
    writes.set(id, settled);
    void settled.then(() => {
      if (writes.get(id) === settled) writes.delete(id);
    });
    return run;
  }

  function stage(record: UpdateRecord, bodies: readonly UpdateEventBody[]): void {
    const id = record.id;
    const pending = staged.get(id);
    if (pending !== undefined) {
      pending.target = record;
      pending.record = structuredClone(record);
      pending.bodies.push(...structuredClone(bodies));
      if (pending.cancelTimer === undefined) pending.cancelTimer = clock.setTimer(groupCommitMs, () => void flushStaged(id));
      return;
    }
    staged.set(id, {
      target: record,
      record: structuredClone(record),
      bodies: [...structuredClone(bodies)],
      cancelTimer: clock.setTimer(groupCommitMs, () => void flushStaged(id)),
      failures: 0,
      uncertain: {},
    });
  }

  function takeStaged(id: string): StagedSave | undefined {
    const pending = staged.get(id);
    if (pending === undefined) return undefined;
    pending.cancelTimer?.();
    staged.delete(id);
    return pending;
  }

  /**
   * A write that carried `taken` failed: its staged events go back in front of what was staged since (with the
   * newer record, if any), and are written with the next save or by a group commit after a pause (growing with
   * each failure). Not after ExecutionHalted: this replica may not write the run any more (the next leader resumes
   * it from what was recorded) or the run has finished.
   */
  function restage(id: string, taken: StagedSave, error: unknown): void {
    if (error instanceof ExecutionHalted) return;
    const later = staged.get(id);
    const failures = taken.failures + 1;
    const uncertain = taken.uncertain.lost === undefined ? {} : { lost: { ...taken.uncertain.lost, bodies: taken.bodies.length } };
    if (later !== undefined) later.cancelTimer?.();
    const delayMs = Math.min(groupCommitMs * 2 ** failures, 5_000);
    staged.set(id, {
      target: later?.target ?? taken.target,
      record: later?.record ?? taken.record,
      bodies: [...taken.bodies, ...(later?.bodies ?? [])],
      cancelTimer: clock.setTimer(delayMs, () => void flushStaged(id)),
      failures,
      uncertain,
    });
  }

  /**
   * One write of the run, after the writes before it: what is staged at that moment (if anything) goes first, then
   * `bodies` with `record` (the staged record when undefined: a group commit).
   */
  function writeRun(id: string, record: UpdateRecord | undefined, bodies: readonly UpdateEventBody[]): Promise<UpdateEvent[]> {
    return serialised(id, async () => {
      const taken = takeStaged(id);
      const writing = record ?? taken?.record;
      if (writing === undefined) return [];
      try {
        const added = await writeSave(writing, [...(taken?.bodies ?? []), ...bodies], taken?.uncertain);
        if (taken !== undefined && record === undefined) taken.target.lastSequence = writing.lastSequence;
        return added;
      } catch (error) {
        if (taken !== undefined) restage(id, taken, error);
        throw error;
      }
    });
  }

  /** The window ended: writes what was staged. A failure keeps it staged (restage). */
  async function flushStaged(id: string): Promise<void> {
    const pending = staged.get(id);
    if (pending === undefined) return;
    pending.cancelTimer = undefined;
    try {
      await writeRun(id, undefined, []);
    } catch (error) {
      if (error instanceof ExecutionHalted) return;
      logger.warn(
        { err: error, update_id: id, trace_id: pending.record.trace?.traceId },
        "a group commit failed; its events go with the next write of the update",
      );
    }
  }

  /**
   * A create that failed no longer holds its run: when the run exists all the same (the POST's answer was lost, or
   * its clean-up failed), its change listeners hear of it again, for the leader to resume it (the informer may have
   * delivered it while it was left to the create, and it does not change again by itself).
   */
  function releaseCreated(name: string): void {
    createdHere.delete(name);
    const cached = runs.get(name);
    if (cached === undefined || isTerminal(cached.decoded.record.state)) return;
    for (const listener of [...changeListeners]) {
      try {
        listener(structuredClone(cached.decoded.record), cached.object.status?.executor, false);
      } catch (error) {
        logger.error({ err: error }, "an UpdateRun change listener threw");
      }
    }
  }

  /**
   * A run whose race for its targets could not be decided: deleted, only as created (a leader that took it over as
   * orphaned wrote a status and keeps executing it). A failed DELETE leaves an unfinished run that the leader resumes
   * (it is no longer left to this process): logged and counted.
   */
  async function deleteUnsettled(created: UpdateRunObject): Promise<void> {
    await rest
      .request({
        method: "DELETE",
        path: objectPath(created.metadata.name),
        body: {
          kind: "DeleteOptions",
          apiVersion: "v1",
          preconditions: { uid: created.metadata.uid, resourceVersion: created.metadata.resourceVersion },
        },
      })
      .then(() => forget(created.metadata.name))
      .catch((deleteError: unknown) => {
        logger.warn({ err: deleteError, name: created.metadata.name }, "deleting an UpdateRun whose race could not be settled did not work");
        options.countFailure?.("run-cleanup");
        releaseCreated(created.metadata.name);
      });
  }

  /**
   * The run's first status, written after the answer: its state readable (kubectl's Phase), its acceptedRevision kept,
   * and the handover (a run another replica accepted is executed by the leader once it has a status). A run this
   * replica executes gets it only when its execution wrote none within firstStatusGraceMs (any write of a run without
   * a status carries the accepted events and keeps acceptedRevision); any other run at once, ahead of its other
   * writes. Its events are spec.accepted's, so a status someone else wrote first (the execution, a cancel, a leader
   * that took the run over) holds them already: then it is not written. Should it never land, nothing is lost:
   * the run reads as accepted, its executor's first write records the same events, and a leader resumes a run whose
   * acceptor is gone (or after the grace).
   */
  function writeFirstStatus(created: UpdateRunObject, record: UpdateRecord, events: readonly UpdateEvent[]): void {
    const name = created.metadata.name;
    const write = () => {
      firstStatusesDue.delete(name);
      writeFirstStatusNow(created, record, events);
    };
    if (firstStatusGraceMs <= 0 || record.state !== "pending" || !canExecute()) {
      write();
      return;
    }
    firstStatusesDue.get(name)?.cancel();
    firstStatusesDue.set(name, { cancel: clock.setTimer(firstStatusGraceMs, write), write });
  }

  function writeFirstStatusNow(created: UpdateRunObject, record: UpdateRecord, events: readonly UpdateEvent[]): void {
    const name = created.metadata.name;
    const backoff = createBackoff({ initialDelayMs: 200, maxDelayMs: transientWriteMaxDelayMs });
    void serialised(record.id, async () => {
      // The execution wrote a status during the grace (with these events): nothing left to write.
      const cached = runs.get(name)?.object;
      if (cached !== undefined && cached.metadata.uid === created.metadata.uid && cached.status !== undefined) return;
      let base = created;
      for (let attempt = 1; ; attempt++) {
        try {
          await writeStatus(base, record, events, undefined);
          return;
        } catch (error) {
          const code = statusCodeOf(error);
          if (code === 404) return; // Deleted since (removed, or it lost a race on another replica's LIST).
          if (attempt >= transientWriteAttempts || (code !== 409 && !isTransientFailure(error))) {
            logger.warn(
              { err: error, update_id: record.id, trace_id: record.trace?.traceId, name },
              "the UpdateRun's first status was not written; the run reads as accepted until its executor writes one",
            );
            options.countFailure?.("first-status-not-recorded");
            return;
          }
          if (code !== 409) await new Promise<void>((resolve) => clock.setTimer(retryAfterMs(error, 5000) ?? backoff.next(), resolve));
          // Written by someone else, or by this write whose answer was lost: either way the status is there.
          const live = await readLive(name).catch(() => runs.get(name));
          if (live === undefined || live.object.metadata.uid !== created.metadata.uid || live.object.status !== undefined) return;
          base = live.object;
        }
      }
    });
  }

  function leftToAcceptor(name: string): number | undefined {
    const cached = runs.get(name);
    const since = statuslessSince.get(name);
    if (cached === undefined || cached.object.status !== undefined || since === undefined) return 0;
    if (createdHere.has(name)) return undefined;
    const acceptor = cached.object.metadata.annotations?.[acceptedByAnnotation];
    // An earlier process of this pod: whatever it was doing, it does no more.
    if (acceptor === identity) return 0;
    const gone = acceptor === undefined ? undefined : options.goneSince?.(acceptor);
    if (gone !== undefined && since <= gone) return 0;
    return Math.max(0, since + orphanRunGraceMs - clock.now().getTime());
  }

  function isDecisionOnly(bodies: readonly UpdateEventBody[]): boolean {
    return bodies.length > 0 && bodies.every((body) => body.type === "approval-granted" || body.type === "approval-rejected");
  }

  function isCancelOnly(record: UpdateRecord, bodies: readonly UpdateEventBody[]): boolean {
    return record.cancelRequested && bodies.every((body) => body.type === "cancel-requested");
  }

  return {
    checkInstalled,

    async start() {
      // Unreachable (or failing) API server: keep trying; a missing CRD or RBAC is final.
      for (let delayMs = 500; ; delayMs = Math.min(delayMs * 2, 10_000)) {
        if (stopped) return;
        try {
          await checkInstalled();
          break;
        } catch (error) {
          if (!(error instanceof DomainError) || error.code !== "unavailable") throw error;
          logger.warn({ err: error, delayMs }, "cannot reach the API server to read UpdateRuns; retrying");
          await new Promise<void>((resolve) => clock.setTimer(delayMs, resolve));
        }
      }
      informer.start();
      await informer.synced;
      synced = true;
    },

    hasSynced: () => synced,

    async stop() {
      stopped = true;
      // Not left to timers a stopping process may never run: a run without its status waits for the orphan grace.
      for (const due of [...firstStatusesDue.values()]) {
        due.cancel();
        due.write();
      }
      await informer.stop();
    },

    onRunChanged(listener) {
      changeListeners.add(listener);
      return () => changeListeners.delete(listener);
    },

    async create(record, events) {
      const added = number(record.id, [], events);
      const stored = { ...structuredClone(record), lastSequence: added.length };
      // The first events ride on the run itself (spec.accepted): the POST alone makes them durable, so the answer
      // waits for one write; the first status follows it (writeFirstStatus).
      const object = toUpdateRunObject(stored, namespace, added);
      object.metadata.annotations = { ...object.metadata.annotations, [acceptedByAnnotation]: identity };
      let created: UpdateRunObject;
      // Before the POST: the informer may deliver the new run before its answer, and a run created here is left to
      // this call (which writes its first status) rather than resumed as an orphan.
      createdHere.add(object.metadata.name);
      try {
        created = await rest.request<UpdateRunObject>({ method: "POST", path, body: object });
      } catch (error) {
        // The POST may have landed (its answer lost): the run, if any, is no longer left to this call.
        releaseCreated(object.metadata.name);
        if (!isAlreadyExists(error)) throw toDomainError(error, operation("create", object.metadata.name));
        const existing = await readLive(object.metadata.name);
        const existingId = existing?.decoded.record.id ?? record.id;
        throw new DomainError(
          "already-exists",
          "UPDATE_EXISTS",
          record.idempotencyKey === undefined
            ? `update ${existingId} already exists`
            : `${record.requester} already started update ${existingId} with idempotency key "${record.idempotencyKey}"`,
          { metadata: { update_id: existingId }, cause: error },
        );
      }
      remember(created, false);
      if (options.settleTargetRaces === true && !isTerminal(record.state) && !isWaitingToStart(record.state)) {
        try {
          await settleRace(record, created);
        } catch (error) {
          // Lost the race (its run is deleted already), or the race could not be decided (the informer lagged and
          // the LIST failed): then the run is deleted too, so that the request can be retried whole.
          if (!(error instanceof DomainError && error.reason === "TARGET_BUSY")) await deleteUnsettled(created);
          throw error;
        }
      }
      writeFirstStatus(created, stored, added);
      record.lastSequence = added.length;
      return structuredClone(added);
    },

    holderOf(target) {
      const name = holderNameOf(workloadKey(target));
      return name === undefined ? undefined : runs.get(name)?.decoded.record.id;
    },

    runReferenceOf(id) {
      const name = nameById.get(id);
      const cached = name === undefined ? undefined : runs.get(name);
      if (name === undefined || cached === undefined) return undefined;
      const uid = cached.object.metadata.uid;
      return { apiVersion: updateRunApiVersion, kind: "UpdateRun", namespace, name, ...(uid === undefined ? {} : { uid }) };
    },

    async readLiveById(id) {
      const name = nameById.get(id) ?? (await findById(id))?.object.metadata.name;
      if (name === undefined) return undefined;
      const live = await readLive(name);
      if (live === undefined) forget(name);
      return live === undefined ? undefined : structuredClone(live.decoded.record);
    },

    async get(id) {
      const found = await findById(id);
      return found === undefined ? undefined : structuredClone(found.decoded.record);
    },

    async findByIdempotencyKey(requester, key) {
      const name = idempotencyName(requester, key);
      // Once synced, from the cache: a run another replica created a moment ago makes create() fail with
      // already-exists, and the caller then looks again (the live read below).
      const found = runs.get(name) ?? (synced && !createdHere.has(name) ? undefined : await readLive(name));
      return found === undefined ? undefined : structuredClone(found.decoded.record);
    },

    async list(query: ListUpdatesQuery): Promise<Page<UpdateRecord>> {
      checkPageSize(query.pageSize);
      const after = query.pageToken ? decodeRunPageToken(query.pageToken) : undefined;
      const states = query.states && query.states.length > 0 ? new Set(query.states) : undefined;
      const onlyUnfinished = states !== undefined && [...states].every((state) => !isTerminal(state));
      const candidates = onlyUnfinished ? [...unfinished].flatMap((name) => runs.get(name) ?? []) : [...runs.values()];
      const locksTarget = locksAnyOf(query.targets);
      const matching = candidates
        .map((run) => run.decoded.record)
        .filter(
          (record) =>
            (!query.classifier || record.classifier === query.classifier) &&
            (!query.requester || record.requester === query.requester) &&
            (!states || states.has(record.state)) &&
            locksTarget(record.plan),
        )
        .map((record) => ({ record, position: { time: record.createTime.getTime(), id: record.id } }))
        .sort((a, b) => comparePositions(b.position, a.position))
        .filter((entry) => after === undefined || comparePositions(entry.position, after) < 0);
      const page = matching.slice(0, query.pageSize);
      const last = page[page.length - 1];
      return {
        items: structuredClone(page.map((entry) => entry.record)),
        nextPageToken: matching.length > query.pageSize && last !== undefined ? encodeRunPageToken(last.position) : "",
      };
    },

    async listUnfinished() {
      // From the API server, not the cache: a new leader must not miss a run its informer has not seen yet.
      const unfinished: UpdateRecord[] = [];
      for (const object of await listLive()) {
        const name = object.metadata.name;
        const record = runs.get(name)?.decoded.record;
        if (record === undefined || record.id !== object.spec?.id || isTerminal(record.state)) continue;
        // Being created (its first status on the way): resuming it now would race its acceptor's first status.
        if (leftToAcceptor(name) !== 0) continue;
        unfinished.push(structuredClone(record));
      }
      return unfinished;
    },

    leftToAcceptorMs(id) {
      const name = nameById.get(id);
      return name === undefined ? 0 : leftToAcceptor(name);
    },

    save(record, bodies = [], saveOptions = {}) {
      if (saveOptions.batch === true && canExecute() && !isTerminal(record.state)) {
        // Group commit: recorded with what follows within the window (or with the next unbatched save).
        stage(record, bodies);
        return Promise.resolve([]);
      }
      return writeRun(record.id, record, bodies);
    },

    async readEvents(id, afterSequence) {
      const found = await findById(id);
      if (found === undefined) throw notFound(id);
      return structuredClone(found.decoded.events.slice(Math.max(0, afterSequence)));
    },

    subscribe(id, listener): Unsubscribe {
      let set = listeners.get(id);
      if (set === undefined) {
        set = new Set();
        listeners.set(id, set);
        // From what this replica knows now on; a watcher reads what came before from readEvents.
        const name = nameById.get(id);
        const known = name === undefined ? undefined : runs.get(name);
        published.set(id, known?.decoded.record.lastSequence ?? 0);
      }
      set.add(listener);
      return () => {
        const current = listeners.get(id);
        current?.delete(listener);
        if (current?.size === 0) {
          listeners.delete(id);
          published.delete(id);
        }
      };
    },

    async remove(id): Promise<RemoveUpdateResult> {
      const name = nameById.get(id) ?? (await findById(id))?.object.metadata.name;
      if (name === undefined) return "not-found";
      // Read live: the cache may not have seen the run finish, and an unfinished run is never dropped.
      const live = await readLive(name);
      if (live === undefined) return "not-found";
      if (!isTerminal(live.decoded.record.state)) return "unfinished";
      try {
        await rest.request({
          method: "DELETE",
          path: objectPath(name),
          body: { kind: "DeleteOptions", apiVersion: "v1", preconditions: { uid: live.object.metadata.uid } },
        });
      } catch (error) {
        if (statusCodeOf(error) !== 404) throw toDomainError(error, operation("delete", name));
      }
      forget(name);
      return "removed";
    },

    async prune(policy) {
      const finished = [...runs.values()]
        .filter((run) => isTerminal(run.decoded.record.state))
        .sort((a, b) => comparePositions(positionOf(b.decoded.record), positionOf(a.decoded.record)));
      const now = clock.now().getTime();
      const doomed = finished.filter((run, index) => {
        const ended = (run.decoded.record.finishTime ?? run.decoded.record.createTime).getTime();
        return index >= policy.maxCount || now - ended > policy.maxAgeMs;
      });
      let deleted = 0;
      for (const run of doomed) {
        try {
          await rest.request({
            method: "DELETE",
            path: objectPath(run.object.metadata.name),
            body: { kind: "DeleteOptions", apiVersion: "v1", preconditions: { uid: run.object.metadata.uid } },
          });
          deleted++;
        } catch (error) {
          if (statusCodeOf(error) !== 404) {
            logger.warn({ err: error, name: run.object.metadata.name }, "pruning a finished UpdateRun failed");
            options.countFailure?.("run-cleanup");
          }
        }
        forget(run.object.metadata.name);
      }
      if (deleted > 0) logger.info({ deleted }, "pruned finished UpdateRuns");
      return deleted;
    },
  };
}

function positionOf(record: UpdateRecord): RunPosition {
  return { time: record.createTime.getTime(), id: record.id };
}

function comparePositions(a: RunPosition, b: RunPosition): number {
  if (a.time !== b.time) return a.time - b.time;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** A resourceVersion as a number (etcd's revision), or undefined when it is not one. */
function revisionOf(resourceVersion: string | undefined): bigint | undefined {
  return resourceVersion !== undefined && /^\d+$/.test(resourceVersion) ? BigInt(resourceVersion) : undefined;
}

/** Where a run stands among runs racing for a target: the revision it was created with. */
function orderOf(object: UpdateRunObject): bigint {
  return revisionOf(object.status?.acceptedRevision ?? object.metadata.resourceVersion) ?? 0n;
}

/** resourceVersions are opaque, but etcd's are integers; anything else counts as newer (the informer is authoritative). */
function isNewer(candidate: UpdateRunObject, current: UpdateRunObject): boolean {
  const a = candidate.metadata.resourceVersion;
  const b = current.metadata.resourceVersion;
  if (a === undefined || b === undefined || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return true;
  return BigInt(a) >= BigInt(b);
}

/** Batched saves of one run waiting for their write (the store's `staged`). */
interface StagedSave {
  /** The caller's record, which gets `lastSequence` once a group commit wrote it. */
  target: UpdateRecord;
  /** A copy of the newest record staged: what the group commit writes. */
  record: UpdateRecord;
  readonly bodies: UpdateEventBody[];
  /** The group commit's timer, while one is set. */
  cancelTimer: (() => void) | undefined;
  /** Writes that carried these and failed, for the pause before the next group commit. */
  readonly failures: number;
  /** A failed write of the first `bodies` that may have landed: checked before they are written again. */
  readonly uncertain: { lost?: LostWrite };
}

/**
 * Tries of one UpdateRun write through transient failures (no answer, 5xx, 429): with 200 ms doubling to 5 s, about
 * 16 s of a failing API server is ridden out. A step whose write gives up ends the update (rolling back first), so
 * this budget, not the engine, decides how long an outage an update survives mid-flight.
 */
const transientWriteAttempts = 8;
/** The longest pause between two tries of one UpdateRun write. */
const transientWriteMaxDelayMs = 5_000;

/** A status write whose answer was lost: what it wrote, to recognise it when it landed. */
interface LostWrite {
  /** resourceVersion of the run it was written on top of. */
  readonly baseVersion: string | undefined;
  /** lastSequence it wrote. */
  readonly sequence: number;
  /** The events it added. */
  readonly added: UpdateEvent[];
  /** How many of the bodies it was given (the first ones) it carried. */
  readonly bodies: number;
}

/** A transient failure of one write attempt (retried by writeSave), with its translation for when retries run out. */
class TransientWriteFailure extends Error {
  constructor(
    override readonly cause: unknown,
    readonly translated: unknown,
    /** Set when the write itself may have been applied. */
    readonly lost: LostWrite | undefined,
  ) {
    super("a transient failure of an UpdateRun write");
  }
}
