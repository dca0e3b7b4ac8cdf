/** The kinds of objects the manager changes (or, for Job, runs as migration templates). */
export type WorkloadKind = "Deployment" | "StatefulSet" | "DaemonSet" | "CronJob" | "Job";

export const rolloutKinds: ReadonlySet<WorkloadKind> = new Set(["Deployment", "StatefulSet", "DaemonSet"]);

export interface WorkloadRef {
  readonly kind: WorkloadKind;
  readonly namespace: string;
  readonly name: string;
}

/** `Kind/namespace/name`: the key used for locks, maps and log lines. */
export function workloadKey(ref: WorkloadRef): string {
  return `${ref.kind}/${ref.namespace}/${ref.name}`;
}

export function sameWorkload(a: WorkloadRef, b: WorkloadRef): boolean {
  return a.kind === b.kind && a.namespace === b.namespace && a.name === b.name;
}

export function toRef(ref: WorkloadRef): WorkloadRef {
  return { kind: ref.kind, namespace: ref.namespace, name: ref.name };
}

/** One container (or init container) of a pod template. */
export interface ContainerSpec {
  readonly name: string;
  readonly image: string;
  readonly init: boolean;
}

export interface Condition {
  readonly type: string;
  readonly status: "True" | "False" | "Unknown";
  readonly reason?: string;
  readonly message?: string;
}

/**
 * The spec and status facts `kubectl rollout status` reads, with Kubernetes' own field names.
 * Fields a kind does not have stay undefined.
 */
export interface RolloutFacts {
  readonly generation: number;
  readonly observedGeneration: number;
  /** spec.replicas (Deployment, StatefulSet); undefined means the API default of 1. */
  readonly replicas?: number;
  /** Deployment spec.paused. */
  readonly paused?: boolean;
  /** Deployment spec.strategy.type or StatefulSet/DaemonSet spec.updateStrategy.type. */
  readonly strategy?: string;
  /** StatefulSet spec.updateStrategy.rollingUpdate.partition. */
  readonly partition?: number;
  /** Deployment spec.progressDeadlineSeconds. */
  readonly progressDeadlineSeconds?: number;
  readonly status: {
    readonly replicas?: number;
    readonly updatedReplicas?: number;
    readonly readyReplicas?: number;
    readonly availableReplicas?: number;
    readonly currentRevision?: string;
    readonly updateRevision?: string;
    readonly desiredNumberScheduled?: number;
    readonly currentNumberScheduled?: number;
    readonly updatedNumberScheduled?: number;
    readonly numberAvailable?: number;
    readonly numberReady?: number;
    readonly conditions?: readonly Condition[];
  };
}

/** A cached view of one opted-in object: everything the core needs, nothing it does not. */
export interface Workload {
  readonly ref: WorkloadRef;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** Init containers first, then containers, in template order. */
  readonly containers: readonly ContainerSpec[];
  /** Names of the `managedFields` managers (to warn about GitOps tools owning fields). */
  readonly fieldManagers: readonly string[];
  /** For Jobs and CronJobs: spec.suspend. */
  readonly suspended?: boolean;
  readonly rollout: RolloutFacts;
  /**
   * The pod template's `spec.imagePullSecrets` names, in order: the registry watcher reads them by
   * name for the workload's own registry credentials. Undefined or empty: none.
   */
  readonly pullSecrets?: readonly string[];
}

/** A problem of a pod that belongs to a workload's newest revision. */
export interface PodProblem {
  readonly pod: string;
  readonly container: string;
  /** Kubernetes' waiting reason, e.g. ImagePullBackOff, ErrImagePull, CrashLoopBackOff. */
  readonly reason: string;
  readonly message?: string;
  readonly restartCount: number;
  /** The `imageID` the node reported, when it did (carries the digest). */
  readonly imageId?: string;
}

/** A Job the manager created (a migration copy), as cached. */
export interface JobInfo {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly conditions: readonly Condition[];
  readonly active: number;
  readonly succeeded: number;
  readonly failed: number;
}
