import { createMetadataKeys } from "../../src/core/domain/metadata-keys.js";
import type { ContainerSpec, RolloutFacts, Workload, WorkloadKind } from "../../src/core/domain/workload.js";

/** The image of the default container. */
export const defaultWorkloadImage = "registry.example.com/team/web:1.0.0";

/** Overrides for aWorkload. Every field is optional; each documents its default. */
export interface WorkloadOverrides {
  /** metadata.name. Default: "web". */
  readonly name?: string;
  /** metadata.namespace. Default: "default". */
  readonly namespace?: string;
  /** Value of the classifier label (`update-manager.io/classifier`). Default: "default". Ignored when `labels` is given. */
  readonly classifier?: string;
  /** Image of the single default container "app". Default: defaultWorkloadImage. Ignored when `containers` is given. */
  readonly image?: string;
  /** Init containers first, then containers. Default: one container "app" running `image`. */
  readonly containers?: readonly ContainerSpec[];
  /** Replace all labels. Default: `{ app: name, "update-manager.io/classifier": classifier }`. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Default: none. */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Default: "uid-<kind>-<namespace>-<name>" (lowercase kind), stable across calls. */
  readonly uid?: string;
  /** Default: "1". */
  readonly resourceVersion?: string;
  /** Default: ["kubectl-client-side-apply", "kube-controller-manager"] (no GitOps tool). */
  readonly fieldManagers?: readonly string[];
  /** Default: false for Jobs and CronJobs, undefined for other kinds. */
  readonly suspended?: boolean;
  /**
   * Rollout facts. Each given field replaces the default of completeRollout(kind, 3, name);
   * `status`, when given, replaces the whole default status, so a test states exactly the
   * status it means (spread `completeRollout(...).status` to change one counter).
   */
  readonly rollout?: Partial<RolloutFacts>;
}

/**
 * A full Workload of `kind` with sensible defaults: namespace "default", name "web", one
 * container, opted in under classifier "default", and a finished rollout of 3 replicas
 * (kubectl would say "successfully rolled out").
 *
 * @example aWorkload("Deployment", { name: "api", rollout: { generation: 2 } }) // spec change not yet observed
 */
export function aWorkload(kind: WorkloadKind, overrides: WorkloadOverrides = {}): Workload {
  const name = overrides.name ?? "web";
  const namespace = overrides.namespace ?? "default";
  const keys = createMetadataKeys();
  const isJob = kind === "Job" || kind === "CronJob";
  const suspended = overrides.suspended ?? (isJob ? false : undefined);
  return {
    ref: { kind, namespace, name },
    uid: overrides.uid ?? `uid-${kind.toLowerCase()}-${namespace}-${name}`,
    resourceVersion: overrides.resourceVersion ?? "1",
    labels: overrides.labels ?? { app: name, [keys.classifierLabel]: overrides.classifier ?? "default" },
    annotations: overrides.annotations ?? {},
    containers: overrides.containers ?? [{ name: "app", image: overrides.image ?? defaultWorkloadImage, init: false }],
    fieldManagers: overrides.fieldManagers ?? ["kubectl-client-side-apply", "kube-controller-manager"],
    ...(suspended === undefined ? {} : { suspended }),
    rollout: { ...completeRollout(kind, 3, name), ...overrides.rollout },
  };
}

/**
 * The facts of a workload whose rollout has finished: generation observed, every replica (or,
 * for a DaemonSet, every scheduled node) updated, ready and available. Jobs and CronJobs have
 * no rollout, so only the generations and an empty status.
 *
 * @param replicas spec.replicas, or the DaemonSet's desiredNumberScheduled. Default: 3.
 * @param name names the StatefulSet revisions (`<name>-<hash>`). Default: "web".
 */
export function completeRollout(kind: WorkloadKind, replicas = 3, name = "web"): RolloutFacts {
  const generations = { generation: 1, observedGeneration: 1 };
  switch (kind) {
    case "Deployment":
      return {
        ...generations,
        replicas,
        paused: false,
        strategy: "RollingUpdate",
        progressDeadlineSeconds: 600,
        status: {
          replicas,
          updatedReplicas: replicas,
          readyReplicas: replicas,
          availableReplicas: replicas,
          conditions: [
            { type: "Available", status: "True", reason: "MinimumReplicasAvailable" },
            { type: "Progressing", status: "True", reason: "NewReplicaSetAvailable" },
          ],
        },
      };
    case "StatefulSet":
      return {
        ...generations,
        replicas,
        strategy: "RollingUpdate",
        partition: 0,
        status: {
          replicas,
          updatedReplicas: replicas,
          readyReplicas: replicas,
          availableReplicas: replicas,
          currentRevision: `${name}-7c9d6f5b8`,
          updateRevision: `${name}-7c9d6f5b8`,
        },
      };
    case "DaemonSet":
      return {
        ...generations,
        strategy: "RollingUpdate",
        status: {
          desiredNumberScheduled: replicas,
          currentNumberScheduled: replicas,
          updatedNumberScheduled: replicas,
          numberReady: replicas,
          numberAvailable: replicas,
        },
      };
    case "CronJob":
    case "Job":
      return { ...generations, status: {} };
  }
}
