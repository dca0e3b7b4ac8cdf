import type { RolloutVerdict } from "./rollout-verdict.js";
import type { ContainerSpec, WorkloadRef } from "./workload.js";

/** The part an opted-in object plays: a workload rolled out, or a migration template run first. */
export type TargetRole = "workload" | "migration";

/** One opted-in object as `ListTargets` reports it, read from the cluster cache. */
export interface TargetView {
  readonly workload: WorkloadRef;
  readonly role: TargetRole;
  /** The classifier it opted in with (label, or legacy annotation in legacy mode). */
  readonly classifier: string;
  /** Init containers first, then containers, in template order. */
  readonly containers: readonly ContainerSpec[];
  /** `not-applicable` for CronJobs and migration templates. */
  readonly rollout: RolloutVerdict;
  /** For example fields owned by a GitOps tool, or a Job that is not suspended. */
  readonly warnings: readonly string[];
  /** The update holding the target now; undefined when it is free. */
  readonly busyUpdateId?: string;
  /** Migration templates only: the explicit order; undefined when unset. */
  readonly migrationOrder?: number;
}
