import type { KubeConnection } from "../../cluster/kubernetes/kube-connection.js";
import { createLegacyLockAnnotations } from "../../cluster/kubernetes/legacy-lock-annotations.js";
import { createBackoff } from "../../cluster/kubernetes/backoff.js";
import { createLeaseElector, type LeaseElector } from "../../cluster/kubernetes/lease-elector.js";
import type { ApiRequestEvent } from "../../cluster/kubernetes/api-request-event.js";
import type { InformerEvents } from "../../cluster/kubernetes/informer-events.js";
import { createRestClient } from "../../cluster/kubernetes/rest-client.js";
import { DomainError } from "../../core/domain/domain-error.js";
import type { MetadataKeys } from "../../core/domain/metadata-keys.js";
import type { Clock } from "../../core/ports/clock.js";
import type { ClusterPort } from "../../core/ports/cluster.js";
import type { CountFailure } from "../../core/ports/failure-counter.js";
import type { CoreLogger } from "../../core/ports/logger.js";
import type { QuarantineStore } from "../../core/ports/quarantine-store.js";
import type { FreezeStore } from "../../core/ports/freeze-store.js";
import { createConfigMapFreezeStore } from "./config-map-freeze-store.js";
import type { TargetLocks } from "../../core/ports/target-locks.js";
import type { UpdateManager } from "../../core/use-cases/update-manager.js";
import { createConfigMapQuarantineStore } from "./config-map-quarantine-store.js";
import { createConfigMapWatch } from "./config-map-watch.js";
import { leaderRunReaction } from "./leader-run-reaction.js";
import { createKubernetesUpdateStore, type KubernetesUpdateStore } from "./kubernetes-update-store.js";
import { createRunTargetLocks } from "./run-target-locks.js";

export interface KubernetesPersistenceOptions {
  readonly kubeConfig: KubeConnection;
  /** The cache of workloads: lock annotations of earlier versions are read from it. */
  readonly cluster: Pick<ClusterPort, "getWorkload">;
  readonly keys: MetadataKeys;
  readonly clock: Clock;
  readonly logger: CoreLogger;
  /** The manager's own namespace. */
  readonly namespace: string;
  /** This replica's identity (pod name). */
  readonly identity: string;
  readonly leaderElection: { readonly leaseDurationMs: number; readonly renewDeadlineMs: number; readonly retryPeriodMs: number };
  readonly retention: { readonly maxAgeMs: number; readonly maxCount: number };
  /** Told of every API request (Lease, UpdateRuns, ConfigMaps, locks), for metrics. Default: none. */
  readonly onApiRequest?: (event: ApiRequestEvent) => void;
  /** Told of the UpdateRun versions written and delivered by the store's informer (informer lag metrics). Default: none. */
  readonly informerEvents?: InformerEvents;
  /**
   * How long a run without a first status is left to the replica creating it before the leader resumes it, unless
   * that replica is known to be gone (the leader took over its expired Lease after it saw the run). Default: 30 000 ms.
   */
  readonly orphanRunGraceMs?: number;
  /** How often the leader prunes finished runs. Default: 10 minutes. */
  readonly pruneIntervalMs?: number;
  /** Counts the failures the stores handle themselves (a refused quarantine record, a failed clean-up). Default: none. */
  readonly countFailure?: CountFailure;
}

/** The durable, replicated adapters of the update engine, and the leader's duties. */
export interface KubernetesPersistence {
  readonly store: KubernetesUpdateStore;
  readonly quarantines: QuarantineStore;
  readonly locks: TargetLocks;
  /** The global freeze (ConfigMap `update-manager-freeze`). */
  readonly freeze: FreezeStore;
  /** Whether this replica may execute updates now (it leads within its renew deadline). */
  readonly canExecute: () => boolean;
  /**
   * At start-up, before serving: rejects (DomainError naming the manifest) when the API server says
   * the UpdateRun CRD is not installed, or RBAC forbids reading UpdateRuns. Resolves when they are
   * readable, and also when the API server cannot be reached yet (startStore() finds out later).
   */
  checkInstalled(): Promise<void>;
  /** Starts the store's informer (after checking the CRD again, retrying while unreachable). */
  startStore(): Promise<void>;
  /**
   * Campaigns for the Lease. While leading: resumes every unfinished run, picks up runs other replicas
   * record, prunes finished runs. On losing the Lease: stops executing without further writes.
   */
  startLeading(manager: Pick<UpdateManager, "resumeUnfinished" | "stepDown">): void;
  /** Stops campaigning and hands the Lease over (call after the manager stopped executing). */
  stop(): Promise<void>;
  /** True once the store's informer listed. */
  isSynced(): boolean;
}

export function createKubernetesPersistence(options: KubernetesPersistenceOptions): KubernetesPersistence {
  const { clock, namespace, identity } = options;
  const logger = options.logger;
  const rest = createRestClient(options.kubeConfig, {
    ...(options.onApiRequest === undefined ? {} : { onRequest: options.onApiRequest }),
    ...(options.informerEvents === undefined ? {} : { informerEvents: options.informerEvents }),
  });
  const countFailure = options.countFailure === undefined ? {} : { countFailure: options.countFailure };
  let elector: LeaseElector | undefined;
  const canExecute = () => elector?.isLeader() === true;
  /** Replicas whose expired Lease this one took over, and when (the newest few). */
  const gone = new Map<string, number>();
  const store = createKubernetesUpdateStore({
    goneSince: (replica) => gone.get(replica),
    ...(options.orphanRunGraceMs === undefined ? {} : { orphanRunGraceMs: options.orphanRunGraceMs }),
    kubeConfig: options.kubeConfig,
    rest,
    namespace,
    clock,
    identity,
    canExecute,
    logger,
    settleTargetRaces: true,
    // The leader's own execution writes a status within milliseconds of the accept (its first step is recorded before
    // anything changes), so the first status is left to it: 1 s covers the event loop of a busy replica.
    firstStatusGraceMs: 1_000,
    ...countFailure,
  });
  const quarantineWatch = createConfigMapWatch({
    kubeConfig: options.kubeConfig,
    rest,
    location: { namespace, name: "update-manager-quarantine" },
    clock,
    logger,
  });
  const quarantines = createConfigMapQuarantineStore({ rest, namespace, watch: quarantineWatch, ...countFailure });
  // The freeze: every replica reads it for each new update (from its watch) and the leader hears an unfreeze.
  const freezeWatch = createConfigMapWatch({
    kubeConfig: options.kubeConfig,
    rest,
    location: { namespace, name: "update-manager-freeze" },
    clock,
    logger,
    onChange: (map) => freeze.changed(map),
  });
  const freeze = createConfigMapFreezeStore({ rest, namespace, watch: freezeWatch });
  const locks = createRunTargetLocks({
    runs: store,
    cluster: options.cluster,
    legacy: createLegacyLockAnnotations({ rest, keys: options.keys, logger }),
    clock,
    logger,
  });
  const pruneIntervalMs = options.pruneIntervalMs ?? 10 * 60_000;
  let cancelPrune: (() => void) | undefined;
  /** Cancels a pending retry of a failed resume. */
  let stopRetry: (() => void) | undefined;
  /** Per update id: the timer that looks again at a run left to its acceptor. */
  const orphanChecks = new Map<string, () => void>();
  let unsubscribeRuns: (() => void) | undefined;

  return {
    store,
    quarantines,
    locks,
    freeze,
    canExecute,
    async checkInstalled() {
      try {
        await store.checkInstalled();
      } catch (error) {
        if (error instanceof DomainError && error.code === "unavailable") {
          logger.warn({ err: error }, "cannot reach the API server yet; the UpdateRun CRD is checked once it can be");
          return;
        }
        throw error;
      }
    },
    startStore: () => {
      quarantineWatch.start();
      freezeWatch.start();
      return store.start();
    },
    isSynced: () => store.hasSynced(),
    startLeading(manager) {
      /** Resumes are serialised; a request during one runs once more after it (it may have missed a run). */
      let resuming: Promise<void> | undefined;
      let again = false;
      /** A failed resume (its LIST failed) is tried again while leading: nothing else would resume those updates. */
      const retryBackoff = createBackoff({ initialDelayMs: 500, maxDelayMs: 10_000 });
      let cancelRetry: (() => void) | undefined;
      stopRetry = () => cancelRetry?.();
      const resume = (): void => {
        if (!canExecute()) return;
        if (resuming !== undefined) {
          again = true;
          return;
        }
        cancelRetry?.();
        cancelRetry = undefined;
        resuming = manager
          .resumeUnfinished()
          .then((result) => {
            retryBackoff.reset();
            if (result.resumed.length > 0 || result.failed.length > 0) logger.info({ ...result }, "resumed unfinished updates");
          })
          .catch((error: unknown) => {
            const delayMs = retryBackoff.next();
            logger.error({ err: error, retry_in_ms: delayMs }, "resuming unfinished updates failed; retrying");
            cancelRetry = clock.setTimer(delayMs, () => {
              cancelRetry = undefined;
              resume();
            });
          })
          .finally(() => {
            resuming = undefined;
            if (again) {
              again = false;
              resume();
            }
          });
      };
      const prune = (): void => {
        cancelPrune = clock.setTimer(pruneIntervalMs, prune);
        if (!canExecute()) return;
        void store.prune(options.retention).catch((error: unknown) => logger.warn({ err: error }, "pruning UpdateRuns failed"));
      };
      unsubscribeRuns = store.onRunChanged((record, executor, createdHere) => {
        const reaction = leaderRunReaction({ record, executor, createdHere }, identity, (id) => store.leftToAcceptorMs(id));
        if (reaction.kind === "resume") resume();
        if (reaction.kind === "look-again" && !orphanChecks.has(record.id)) {
          orphanChecks.set(
            record.id,
            clock.setTimer(reaction.afterMs, () => {
              orphanChecks.delete(record.id);
              resume();
            }),
          );
        }
      });
      elector = createLeaseElector({
        rest,
        namespace,
        identity,
        clock,
        logger,
        ...options.leaderElection,
        onStartedLeading: (previous) => {
          if (previous !== undefined && previous !== identity) {
            gone.set(previous, clock.now().getTime());
            // A handful is plenty: replicas come and go one at a time.
            for (const name of gone.keys()) if (gone.size > 16) gone.delete(name);
          }
          resume();
          cancelPrune?.();
          prune();
        },
        onStoppedLeading: () => {
          cancelPrune?.();
          cancelPrune = undefined;
          void manager.stepDown().catch((error: unknown) => logger.error({ err: error }, "stopping the executions failed"));
        },
      });
      elector.start();
    },
    async stop() {
      cancelPrune?.();
      stopRetry?.();
      for (const cancel of orphanChecks.values()) cancel();
      orphanChecks.clear();
      unsubscribeRuns?.();
      await elector?.stop();
      quarantineWatch.stop();
      freezeWatch.stop();
      await store.stop();
    },
  };
}
