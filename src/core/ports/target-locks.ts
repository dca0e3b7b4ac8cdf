import type { WorkloadRef } from "../domain/workload.js";

/**
 * One update at a time per target. In memory for the embedded cluster; on Kubernetes held by the
 * unfinished UpdateRun naming the target (docs/adr/0003-run-held-target-locks.md).
 */
export interface TargetLocks {
  /**
   * Takes every lock or none. Throws DomainError("aborted", "TARGET_BUSY") with metadata
   * `update_id` and `workload` naming the holder when any target is held by another update.
   * Re-acquiring a lock the same update holds succeeds (resume after failover).
   */
  acquire(updateId: string, targets: readonly WorkloadRef[]): Promise<void>;
  /** Releases the locks the update holds among `targets`; others are left alone. */
  release(updateId: string, targets: readonly WorkloadRef[]): Promise<void>;
  /** The update holding the target, if any. */
  holder(target: WorkloadRef): string | undefined;
}
