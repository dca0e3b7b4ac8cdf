import { DomainError } from "../../core/domain/domain-error.js";
import type { MetadataKeys } from "../../core/domain/metadata-keys.js";
import { type WorkloadKind, type WorkloadRef, workloadKey } from "../../core/domain/workload.js";
import type { Clock } from "../../core/ports/clock.js";
import type { ClusterPort } from "../../core/ports/cluster.js";
import { type CoreLogger, silentLogger } from "../../core/ports/logger.js";
import type { TargetLocks } from "../../core/ports/target-locks.js";
import { discoverCronJobVersion } from "./cronjob-version.js";
import { type KindApi, cronJobApi, daemonSetApi, deploymentApi, jobApi, objectPath, qualifiedResource, statefulSetApi } from "./kind-api.js";
import { statusCodeOf, toDomainError } from "./kubernetes-errors.js";
import type { RestClient } from "./rest-client.js";

export interface AnnotationTargetLocksOptions {
  readonly rest: RestClient;
  /** The cache: holder() reads the annotation from it. Required. */
  readonly cluster: Pick<ClusterPort, "getWorkload">;
  readonly keys: MetadataKeys;
  /**
   * Where the update named by a lock stands. A lock of a finished update is stale and taken over; so
   * is one whose update does not exist (its run was pruned, or its creation failed after the lock was
   * taken) once the lock is older than `missingUpdateGraceMs` (a run is created right after its locks).
   */
  readonly updateState: (updateId: string) => Promise<"active" | "finished" | "missing">;
  /** Default: 60 000 ms. */
  readonly missingUpdateGraceMs?: number;
  /** For the lock's time. Required. */
  readonly clock: Clock;
  /** Attempts per target when another writer changes the workload meanwhile (409). Default: 5. */
  readonly conflictRetries?: number;
  /** Default: silentLogger. */
  readonly logger?: CoreLogger;
}

interface Metadata {
  resourceVersion?: string;
  annotations?: Record<string, string> | null;
}

const mergePatch = "application/merge-patch+json";

/**
 * TargetLocks that live with the workloads: the lock is the annotation `keys.lockAnnotation` holding
 * the update's id, so every replica sees the same locks and a restarted manager finds its own.
 * Taking and releasing a lock are merge patches carrying the resourceVersion of the object they were
 * decided on (the API server refuses them with 409 if anything changed since, so two updates never
 * both see "free" and both write, and a release never removes another update's lock). A second
 * annotation (`<lock annotation>-at`) records when the lock was taken. A lock whose update finished
 * or no longer exists is stale and is taken over.
 */
export function createAnnotationTargetLocks(options: AnnotationTargetLocksOptions): TargetLocks {
  const { rest, keys } = options;
  const retries = options.conflictRetries ?? 5;
  const graceMs = options.missingUpdateGraceMs ?? 60_000;
  const logger = (options.logger ?? silentLogger).child({ component: "target-locks" });
  const lockedAt = `${keys.lockAnnotation}-at`;
  let cronJobs: Promise<KindApi> | undefined;

  async function apiOf(kind: WorkloadKind): Promise<KindApi> {
    switch (kind) {
      case "Deployment":
        return deploymentApi;
      case "StatefulSet":
        return statefulSetApi;
      case "DaemonSet":
        return daemonSetApi;
      case "Job":
        return jobApi;
      case "CronJob":
        cronJobs ??= discoverCronJobVersion(rest).then(cronJobApi, (error: unknown) => {
          cronJobs = undefined;
          throw error;
        });
        return cronJobs;
    }
  }

  const operation = (verb: string, api: KindApi, target: WorkloadRef) => ({
    verb,
    resource: qualifiedResource(api),
    namespace: target.namespace,
    name: target.name,
  });

  function busy(target: WorkloadRef, holder: string): DomainError {
    return new DomainError(
      "aborted",
      "TARGET_BUSY",
      `${workloadKey(target)} is being updated by update ${holder}; retry when it has finished`,
      { metadata: { update_id: holder, workload: workloadKey(target) } },
    );
  }

  async function read(api: KindApi, target: WorkloadRef): Promise<Metadata | undefined> {
    try {
      const object = await rest.request<{ metadata: Metadata }>({ method: "GET", path: objectPath(api, target.namespace, target.name) });
      return object.metadata;
    } catch (error) {
      if (statusCodeOf(error) === 404) return undefined;
      throw toDomainError(error, operation("get", api, target));
    }
  }

  async function isStale(holder: string, metadata: Metadata): Promise<boolean> {
    const state = await options.updateState(holder);
    if (state === "finished") return true;
    if (state === "active") return false;
    const at = Date.parse(metadata.annotations?.[lockedAt] ?? "");
    return Number.isNaN(at) || options.clock.now().getTime() - at >= graceMs;
  }

  /** Takes one lock; true when this call took it (false: the update held it already). */
  async function lockOne(updateId: string, target: WorkloadRef): Promise<boolean> {
    const api = await apiOf(target.kind);
    const path = objectPath(api, target.namespace, target.name);
    for (let attempt = 0; ; attempt++) {
      const metadata = await read(api, target);
      if (metadata === undefined) {
        throw new DomainError("not-found", "CLUSTER_ERROR", `${workloadKey(target)} does not exist (any more)`, {
          metadata: { workload: workloadKey(target) },
        });
      }
      const holder = metadata.annotations?.[keys.lockAnnotation];
      if (holder === updateId) return false;
      if (holder !== undefined && holder !== "") {
        if (!(await isStale(holder, metadata))) throw busy(target, holder);
        logger.info({ workload: workloadKey(target), stale_holder: holder }, "taking over a stale lock");
      }
      try {
        await rest.request({
          method: "PATCH",
          path,
          contentType: mergePatch,
          body: {
            metadata: {
              resourceVersion: metadata.resourceVersion,
              annotations: { [keys.lockAnnotation]: updateId, [lockedAt]: options.clock.now().toISOString() },
            },
          },
        });
        return true;
      } catch (error) {
        // Changed since it was read (another lock, a rollout, anything): read again and decide again.
        if (statusCodeOf(error) === 409 && attempt < retries) continue;
        throw toDomainError(error, operation("patch", api, target));
      }
    }
  }

  async function unlockOne(updateId: string, target: WorkloadRef): Promise<void> {
    const api = await apiOf(target.kind);
    for (let attempt = 0; ; attempt++) {
      const metadata = await read(api, target);
      // Gone, or not held by this update (anymore): nothing to release.
      if (metadata === undefined || metadata.annotations?.[keys.lockAnnotation] !== updateId) return;
      try {
        await rest.request({
          method: "PATCH",
          path: objectPath(api, target.namespace, target.name),
          contentType: mergePatch,
          body: {
            metadata: { resourceVersion: metadata.resourceVersion, annotations: { [keys.lockAnnotation]: null, [lockedAt]: null } },
          },
        });
        return;
      } catch (error) {
        if (statusCodeOf(error) === 404) return;
        if (statusCodeOf(error) === 409 && attempt < retries) continue;
        throw toDomainError(error, operation("patch", api, target));
      }
    }
  }

  return {
    async acquire(updateId, targets) {
      const taken: WorkloadRef[] = [];
      // Every replica takes locks in one canonical order, so two updates racing for the same targets
      // cannot each take one and then both give up: the first to lock the first target wins them all.
      const ordered = [...targets].sort((a, b) => compareKeys(workloadKey(a), workloadKey(b)));
      try {
        for (const target of ordered) {
          if (await lockOne(updateId, target)) taken.push(target);
        }
      } catch (error) {
        // All or nothing: give back what this call took (locks the update held before stay held).
        for (const target of taken) {
          await unlockOne(updateId, target).catch((unlockError: unknown) =>
            logger.error({ err: unlockError, workload: workloadKey(target) }, "releasing a lock after a failed acquire failed"),
          );
        }
        throw error;
      }
    },

    async release(updateId, targets) {
      const failures: unknown[] = [];
      for (const target of targets) {
        await unlockOne(updateId, target).catch((error: unknown) => failures.push(error));
      }
      if (failures.length > 0) throw failures[0];
    },

    holder(target) {
      const holder = options.cluster.getWorkload(target)?.annotations[keys.lockAnnotation];
      return holder === "" ? undefined : holder;
    },
  };
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
