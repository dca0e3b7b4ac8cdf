import type { KubeConfig } from "@kubernetes/client-node";
import { createAnnotationTargetLocks } from "../../cluster/kubernetes/annotation-target-locks.js";
import { createLeaseElector, type LeaseElector } from "../../cluster/kubernetes/lease-elector.js";
import type { ApiRequestEvent } from "../../cluster/kubernetes/api-request-event.js";
import { createRestClient } from "../../cluster/kubernetes/rest-client.js";
import { DomainError } from "../../core/domain/domain-error.js";
import type { MetadataKeys } from "../../core/domain/metadata-keys.js";
import { isTerminal } from "../../core/domain/update.js";
import type { Clock } from "../../core/ports/clock.js";
import type { ClusterPort } from "../../core/ports/cluster.js";
import type { CountFailure } from "../../core/ports/failure-counter.js";
import type { CoreLogger } from "../../core/ports/logger.js";
import type { QuarantineStore } from "../../core/ports/quarantine-store.js";
import type { TargetLocks } from "../../core/ports/target-locks.js";
import type { UpdateManager } from "../../core/use-cases/update-manager.js";
import { createConfigMapQuarantineStore } from "./config-map-quarantine-store.js";
import { createKubernetesUpdateStore, type KubernetesUpdateStore } from "./kubernetes-update-store.js";

export interface KubernetesPersistenceOptions {
  readonly kubeConfig: KubeConfig;
  /** The cache of workloads: lock holders are read from it. */
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
  const rest = createRestClient(options.kubeConfig, options.onApiRequest === undefined ? {} : { onRequest: options.onApiRequest });
  const countFailure = options.countFailure === undefined ? {} : { countFailure: options.countFailure };
  let elector: LeaseElector | undefined;
  const canExecute = () => elector?.isLeader() === true;
  const store = createKubernetesUpdateStore({
    kubeConfig: options.kubeConfig,
    rest,
    namespace,
    clock,
    identity,
    canExecute,
    logger,
    ...countFailure,
  });
  const quarantines = createConfigMapQuarantineStore({ rest, namespace, ...countFailure });
  const locks = createAnnotationTargetLocks({
    rest,
    cluster: options.cluster,
    keys: options.keys,
    clock,
    logger,
    async updateState(id) {
      const record = await store.get(id);
      if (record === undefined) return "missing";
      return isTerminal(record.state) ? "finished" : "active";
    },
  });
  const pruneIntervalMs = options.pruneIntervalMs ?? 10 * 60_000;
  let cancelPrune: (() => void) | undefined;
  let unsubscribeRuns: (() => void) | undefined;

  return {
    store,
    quarantines,
    locks,
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
    startStore: () => store.start(),
    isSynced: () => store.hasSynced(),
    startLeading(manager) {
      /** Resumes are serialised; a request during one runs once more after it (it may have missed a run). */
      let resuming: Promise<void> | undefined;
      let again = false;
      const resume = (): void => {
        if (!canExecute()) return;
        if (resuming !== undefined) {
          again = true;
          return;
        }
        resuming = manager
          .resumeUnfinished()
          .then((result) => {
            if (result.resumed.length > 0 || result.failed.length > 0) logger.info({ ...result }, "resumed unfinished updates");
          })
          .catch((error: unknown) => logger.error({ err: error }, "resuming unfinished updates failed"))
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
      unsubscribeRuns = store.onRunChanged((record, executor) => {
        // A run another replica recorded, or one a replica that is gone was executing: the leader executes it.
        // Runs this replica executes change with every step; they need nothing.
        if (!isTerminal(record.state) && executor !== identity) resume();
      });
      elector = createLeaseElector({
        rest,
        namespace,
        identity,
        clock,
        logger,
        ...options.leaderElection,
        onStartedLeading: () => {
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
      unsubscribeRuns?.();
      await elector?.stop();
      await store.stop();
    },
  };
}
