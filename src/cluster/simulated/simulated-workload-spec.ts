import type { WorkloadKind } from "../../core/domain/workload.js";

/** One container of a seeded object's pod template. */
export interface SimulatedContainerSpec {
  readonly name: string;
  readonly image: string;
  /** An init container. Default: false. */
  readonly init?: boolean;
}

/**
 * What a test or the demo seeds: the handful of fields that matter, everything else defaulted the
 * way the API server defaults it. The object starts fully rolled out.
 */
export interface SimulatedWorkloadSpec {
  readonly kind: WorkloadKind;
  readonly namespace: string;
  readonly name: string;
  /** Default: none. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Default: none. */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Shorthand for the classifier label (the cluster's `keys.classifierLabel`). Default: not set. */
  readonly classifier?: string;
  /** Shorthand for the legacy `xcnt.io/update-classifier` annotation. Default: not set. */
  readonly legacyClassifier?: string;
  /** Shorthand for the migration-order annotation of a migration template. Default: not set. */
  readonly migrationOrder?: number;
  /** Pod template containers, init containers flagged. At least one non-init container. */
  readonly containers: readonly SimulatedContainerSpec[];
  /** Deployment and StatefulSet spec.replicas. Default: 1. */
  readonly replicas?: number;
  /** DaemonSet: how many nodes it runs on (desiredNumberScheduled). Default: 3. */
  readonly nodes?: number;
  /**
   * Deployment strategy.type ("RollingUpdate" | "Recreate"), StatefulSet and DaemonSet
   * updateStrategy.type ("RollingUpdate" | "OnDelete"). Default: "RollingUpdate".
   */
  readonly strategy?: string;
  /** Deployment rollingUpdate.maxSurge as a count. Default: 25% of replicas, rounded up (as the API). */
  readonly maxSurge?: number;
  /**
   * Deployment rollingUpdate.maxUnavailable as a count. Default: 25% of replicas, rounded down.
   * DaemonSet rollingUpdate.maxUnavailable. Default: 1.
   */
  readonly maxUnavailable?: number;
  /** StatefulSet rollingUpdate.partition. Default: 0. */
  readonly partition?: number;
  /** Deployment spec.paused. Default: false. */
  readonly paused?: boolean;
  /** Deployment spec.progressDeadlineSeconds. Default: 600 (the API default). */
  readonly progressDeadlineSeconds?: number;
  /** Job and CronJob spec.suspend. Default: true for a Job (a migration template), false for a CronJob. */
  readonly suspended?: boolean;
  /** Managers in managedFields. Default: ["kubectl-client-side-apply"]. */
  readonly fieldManagers?: readonly string[];
  /** the pod template's imagePullSecrets names. Default: none. */
  readonly pullSecrets?: readonly string[];
}
