import { DomainError } from "../../core/domain/domain-error.js";
import { type WorkloadRef, workloadKey } from "../../core/domain/workload.js";
import type { TargetLocks } from "../../core/ports/target-locks.js";

/**
 * TargetLocks for embedded mode and tests: a map in this process. Enough where one manager process
 * owns the cluster; with several replicas the UpdateRuns hold them (store/kubernetes/run-target-locks.ts).
 */
export function createMemoryTargetLocks(): TargetLocks {
  const holders = new Map<string, string>();

  return {
    async acquire(updateId, targets) {
      // Check everything before taking anything: all or nothing.
      for (const target of targets) {
        const holder = holders.get(workloadKey(target));
        if (holder !== undefined && holder !== updateId) {
          throw new DomainError(
            "aborted",
            "TARGET_BUSY",
            `${workloadKey(target)} is being updated by update ${holder}; retry when it has finished`,
            { metadata: { update_id: holder, workload: workloadKey(target) } },
          );
        }
      }
      for (const target of targets) holders.set(workloadKey(target), updateId);
    },

    async release(updateId, targets) {
      for (const target of targets) {
        const key = workloadKey(target);
        if (holders.get(key) === updateId) holders.delete(key);
      }
    },

    holder(target: WorkloadRef) {
      return holders.get(workloadKey(target));
    },
  };
}
