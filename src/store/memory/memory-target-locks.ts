import { DomainError } from "../../core/domain/domain-error.js";
import { type WorkloadRef, workloadKey } from "../../core/domain/workload.js";
import type { Clock } from "../../core/ports/clock.js";
import type { TargetLocks } from "../../core/ports/target-locks.js";

export interface MemoryTargetLocksOptions {
  /**
   * Where the update named by a lock stands. As with the annotation locks, a lock of a finished update is stale
   * and taken over; so is one whose update does not exist once it is older than `missingUpdateGraceMs`.
   * Default: every holder is active (locks are only ever released).
   */
  readonly updateState?: (updateId: string) => Promise<"active" | "finished" | "missing">;
  /** Default: 60 000 ms. */
  readonly missingUpdateGraceMs?: number;
  /** For the lock's time. Default: the system clock's time. */
  readonly clock?: Pick<Clock, "now">;
}

/**
 * TargetLocks for embedded mode and tests: a map in this process. Enough where one manager process
 * owns the cluster; with several replicas the UpdateRuns hold them (store/kubernetes/run-target-locks.ts).
 */
function busy(target: WorkloadRef, holder: string): DomainError {
  return new DomainError("aborted", "TARGET_BUSY", `${workloadKey(target)} is being updated by update ${holder}; retry when it has finished`, {
    metadata: { update_id: holder, workload: workloadKey(target) },
  });
}

export function createMemoryTargetLocks(options: MemoryTargetLocksOptions = {}): TargetLocks {
  const holders = new Map<string, { readonly updateId: string; readonly at: number }>();
  const graceMs = options.missingUpdateGraceMs ?? 60_000;
  const now = () => (options.clock?.now() ?? new Date()).getTime();

  async function isStale(holder: { readonly updateId: string; readonly at: number }): Promise<boolean> {
    if (options.updateState === undefined) return false;
    const state = await options.updateState(holder.updateId);
    if (state === "finished") return true;
    return state === "missing" && now() - holder.at >= graceMs;
  }

  return {
    async acquire(updateId, targets) {
      // Check everything before taking anything: all or nothing.
      const stale = new Set<{ readonly updateId: string; readonly at: number }>();
      for (const target of targets) {
        const holder = holders.get(workloadKey(target));
        if (holder === undefined || holder.updateId === updateId) continue;
        if (!(await isStale(holder))) throw busy(target, holder.updateId);
        stale.add(holder);
      }
      // Judged while awaiting: a lock another acquire took meanwhile is not stale.
      for (const target of targets) {
        const holder = holders.get(workloadKey(target));
        if (holder !== undefined && holder.updateId !== updateId && !stale.has(holder)) throw busy(target, holder.updateId);
      }
      const at = now();
      for (const target of targets) {
        const key = workloadKey(target);
        if (holders.get(key)?.updateId !== updateId) holders.set(key, { updateId, at });
      }
    },

    async release(updateId, targets) {
      for (const target of targets) {
        const key = workloadKey(target);
        if (holders.get(key)?.updateId === updateId) holders.delete(key);
      }
    },

    holder(target: WorkloadRef) {
      return holders.get(workloadKey(target))?.updateId;
    },
  };
}
