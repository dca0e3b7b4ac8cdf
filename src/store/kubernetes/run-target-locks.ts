import type { LegacyLockAnnotations } from "../../cluster/kubernetes/legacy-lock-annotations.js";
import { DomainError } from "../../core/domain/domain-error.js";
import { isTerminal } from "../../core/domain/update.js";
import { type WorkloadRef, workloadKey } from "../../core/domain/workload.js";
import type { Clock } from "../../core/ports/clock.js";
import type { ClusterPort } from "../../core/ports/cluster.js";
import { type CoreLogger, silentLogger } from "../../core/ports/logger.js";
import type { TargetLocks } from "../../core/ports/target-locks.js";
import type { KubernetesUpdateStore } from "./kubernetes-update-store.js";

export interface RunTargetLocksOptions {
  /** The UpdateRuns: who holds a target (informer cache), and a live read when that is contended. Required. */
  readonly runs: Pick<KubernetesUpdateStore, "holderOf" | "readLiveById" | "get">;
  /** The workload cache: lock annotations written by earlier versions are read from it. Required. */
  readonly cluster: Pick<ClusterPort, "getWorkload">;
  /** Removes those annotations. Required. */
  readonly legacy: LegacyLockAnnotations;
  /** For the age of a legacy lock. Required. */
  readonly clock: Clock;
  /**
   * A legacy lock naming an update that does not exist is honoured this long after it was taken (its run was
   * about to be created by an earlier version's replica). Default: 60 000 ms.
   */
  readonly missingUpdateGraceMs?: number;
  /** Default: silentLogger. */
  readonly logger?: CoreLogger;
}

/**
 * TargetLocks held with the UpdateRuns themselves (docs/adr/0003-run-held-target-locks.md): an unfinished run
 * holds every target its plan changes, so taking a lock writes nothing beyond the run the update creates anyway,
 * and the run's terminal status releases it. acquire() checks the informer cache (plus, in this process, the
 * updates between acquire and their run's creation); the UpdateRun store settles creates racing on two
 * replicas (the run accepted first wins, the other is deleted and refused with TARGET_BUSY). A holder the cache
 * shows unfinished is read live before refusing, so a run another replica has just finished never blocks.
 * Lock annotations of earlier versions are honoured while their update runs and removed.
 */
export function createRunTargetLocks(options: RunTargetLocksOptions): TargetLocks {
  const { runs, cluster, legacy, clock } = options;
  const graceMs = options.missingUpdateGraceMs ?? 60_000;
  const logger = (options.logger ?? silentLogger).child({ component: "target-locks" });
  /** Targets of updates accepted by this process whose run may not exist yet: key -> update id. */
  const reserved = new Map<string, string>();

  function busy(target: WorkloadRef, holder: string): DomainError {
    return new DomainError(
      "aborted",
      "TARGET_BUSY",
      `${workloadKey(target)} is being updated by update ${holder}; retry when it has finished`,
      { metadata: { update_id: holder, workload: workloadKey(target) } },
    );
  }

  async function checkRun(updateId: string, target: WorkloadRef): Promise<void> {
    const holder = runs.holderOf(target);
    if (holder === undefined || holder === updateId) return;
    // Contended: the cache may lag behind a terminal status another replica wrote.
    const live = await runs.readLiveById(holder);
    if (live !== undefined && !isTerminal(live.state) && runs.holderOf(target) === holder) throw busy(target, holder);
  }

  async function checkLegacy(updateId: string, target: WorkloadRef): Promise<void> {
    const annotations = cluster.getWorkload(target)?.annotations;
    const holder = legacy.holder(annotations);
    if (holder === undefined) return;
    if (holder !== updateId) {
      const record = await runs.get(holder);
      if (record !== undefined && !isTerminal(record.state)) throw busy(target, holder);
      if (record === undefined && !(clock.now().getTime() - legacy.lockedAt(annotations) >= graceMs)) throw busy(target, holder);
      logger.info({ workload: workloadKey(target), stale_holder: holder }, "removing a stale lock annotation of an earlier version");
    }
    await legacy.remove(target, holder);
  }

  return {
    async acquire(updateId, targets) {
      const ordered = [...targets].sort((a, b) => compareKeys(workloadKey(a), workloadKey(b)));
      const taken: string[] = [];
      try {
        for (const target of ordered) {
          const key = workloadKey(target);
          const other = reserved.get(key);
          if (other !== undefined && other !== updateId) throw busy(target, other);
          if (other === undefined) {
            // Reserved before the checks below wait: a second acquire in this process sees it at once.
            reserved.set(key, updateId);
            taken.push(key);
          }
          await checkRun(updateId, target);
          await checkLegacy(updateId, target);
        }
      } catch (error) {
        for (const key of taken) reserved.delete(key);
        throw error;
      }
    },

    async release(updateId, targets) {
      const failures: unknown[] = [];
      for (const target of targets) {
        const key = workloadKey(target);
        if (reserved.get(key) === updateId) reserved.delete(key);
        // The run's terminal status releases the run-held lock; only an earlier version's annotation needs a write.
        if (legacy.holder(cluster.getWorkload(target)?.annotations) === updateId) {
          await legacy.remove(target, updateId).catch((error: unknown) => failures.push(error));
        }
      }
      if (failures.length > 0) throw failures[0];
    },

    holder(target) {
      return reserved.get(workloadKey(target)) ?? runs.holderOf(target) ?? legacy.holder(cluster.getWorkload(target)?.annotations);
    },
  };
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
