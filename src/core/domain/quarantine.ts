import type { WorkloadRef } from "./workload.js";

/** An image whose rollout failed on a workload because of its new pods. */
export interface QuarantineRecord {
  readonly workload: WorkloadRef;
  /** Normalised image reference. */
  readonly image: string;
  /** `sha256:...` when known; matching prefers it. */
  readonly digest?: string;
  readonly updateId: string;
  readonly reason: string;
  readonly createTime: Date;
}
