import type {
  V1CronJob,
  V1DaemonSet,
  V1Deployment,
  V1Job,
  V1ObjectMeta,
  V1PodTemplateSpec,
  V1StatefulSet,
} from "@kubernetes/client-node";
import type { Condition, ContainerSpec, JobInfo, RolloutFacts, Workload, WorkloadKind } from "../../core/domain/workload.js";
import { type KubeWorkloadObject, podTemplateOf } from "./kube-objects.js";

/**
 * Translates an object of a managed kind into the core's Workload. Pure: the informers call it
 * once per change, and reads hand out the result as it is.
 */
export function toWorkload(kind: WorkloadKind, object: KubeWorkloadObject): Workload {
  const metadata: V1ObjectMeta = object.metadata ?? {};
  const suspended = suspendOf(kind, object);
  const pullSecrets = pullSecretsOf(podTemplateOf(kind, object)); // The registry watcher's credentials.
  return {
    ref: { kind, namespace: metadata.namespace ?? "", name: metadata.name ?? "" },
    uid: metadata.uid ?? "",
    resourceVersion: metadata.resourceVersion ?? "",
    // Shared with the cached object, not copied: neither is ever changed (the cache replaces objects whole).
    labels: metadata.labels ?? {},
    annotations: metadata.annotations ?? {},
    containers: containersOf(podTemplateOf(kind, object)),
    fieldManagers: fieldManagersOf(metadata),
    ...(suspended === undefined ? {} : { suspended }),
    rollout: rolloutFactsOf(kind, object),
    ...(pullSecrets.length === 0 ? {} : { pullSecrets }),
  };
}

/** `spec.imagePullSecrets[].name` of a pod template, in order, without blanks. */
export function pullSecretsOf(template: V1PodTemplateSpec | undefined): string[] {
  return (template?.spec?.imagePullSecrets ?? []).map((secret) => secret.name ?? "").filter((name) => name !== "");
}

/** Init containers first, then containers, in template order. */
export function containersOf(template: V1PodTemplateSpec | undefined): ContainerSpec[] {
  const spec = template?.spec;
  return [
    ...(spec?.initContainers ?? []).map((container) => ({ name: container.name, image: container.image ?? "", init: true })),
    ...(spec?.containers ?? []).map((container) => ({ name: container.name, image: container.image ?? "", init: false })),
  ];
}

/** Distinct managedFields managers, in the order the server lists them. */
export function fieldManagersOf(metadata: V1ObjectMeta): string[] {
  const managers: string[] = [];
  for (const entry of metadata.managedFields ?? []) {
    if (entry.manager !== undefined && entry.manager !== "" && !managers.includes(entry.manager)) {
      managers.push(entry.manager);
    }
  }
  return managers;
}

/** A migration copy (or any Job) as the core's JobInfo. */
export function toJobInfo(job: V1Job): JobInfo {
  return {
    namespace: job.metadata?.namespace ?? "",
    name: job.metadata?.name ?? "",
    labels: { ...job.metadata?.labels },
    conditions: conditionsOf(job.status?.conditions),
    active: job.status?.active ?? 0,
    succeeded: job.status?.succeeded ?? 0,
    failed: job.status?.failed ?? 0,
  };
}

/**
 * spec.suspend; for a Job also `parallelism: 0`, the way to hold a Job before spec.suspend
 * (Kubernetes 1.21; a 1.20 server drops the field), so templates work on both.
 */
function suspendOf(kind: WorkloadKind, object: KubeWorkloadObject): boolean | undefined {
  if (kind === "Job") {
    const spec = (object as V1Job).spec;
    return spec?.suspend === true || spec?.parallelism === 0;
  }
  if (kind === "CronJob") return (object as V1CronJob).spec?.suspend === true;
  return undefined;
}

function rolloutFactsOf(kind: WorkloadKind, object: KubeWorkloadObject): RolloutFacts {
  const generation = object.metadata?.generation ?? 0;
  switch (kind) {
    case "Deployment": {
      const { spec, status } = object as V1Deployment;
      return withoutUndefined({
        generation,
        observedGeneration: status?.observedGeneration ?? 0,
        replicas: spec?.replicas,
        paused: spec?.paused === true,
        strategy: spec?.strategy?.type,
        progressDeadlineSeconds: spec?.progressDeadlineSeconds,
        status: withoutUndefined({
          replicas: status?.replicas,
          updatedReplicas: status?.updatedReplicas,
          readyReplicas: status?.readyReplicas,
          availableReplicas: status?.availableReplicas,
          conditions: optionalConditions(status?.conditions),
        }),
      });
    }
    case "StatefulSet": {
      const { spec, status } = object as V1StatefulSet;
      const rollingUpdate = spec?.updateStrategy?.rollingUpdate;
      return withoutUndefined({
        generation,
        observedGeneration: status?.observedGeneration ?? 0,
        replicas: spec?.replicas,
        strategy: spec?.updateStrategy?.type,
        // The API server defaults partition to 0 whenever rollingUpdate is set (apps/v1).
        partition: rollingUpdate === undefined ? undefined : (rollingUpdate.partition ?? 0),
        status: withoutUndefined({
          replicas: status?.replicas,
          updatedReplicas: status?.updatedReplicas,
          readyReplicas: status?.readyReplicas,
          availableReplicas: status?.availableReplicas,
          currentRevision: status?.currentRevision,
          updateRevision: status?.updateRevision,
          conditions: optionalConditions(status?.conditions),
        }),
      });
    }
    case "DaemonSet": {
      const { spec, status } = object as V1DaemonSet;
      return withoutUndefined({
        generation,
        observedGeneration: status?.observedGeneration ?? 0,
        strategy: spec?.updateStrategy?.type,
        status: withoutUndefined({
          desiredNumberScheduled: status?.desiredNumberScheduled,
          currentNumberScheduled: status?.currentNumberScheduled,
          updatedNumberScheduled: status?.updatedNumberScheduled,
          numberAvailable: status?.numberAvailable,
          numberReady: status?.numberReady,
          conditions: optionalConditions(status?.conditions),
        }),
      });
    }
    case "Job": {
      // Jobs have no status.observedGeneration: every generation counts as observed.
      const { status } = object as V1Job;
      return { generation, observedGeneration: generation, status: withoutUndefined({ conditions: optionalConditions(status?.conditions) }) };
    }
    case "CronJob":
      return { generation, observedGeneration: generation, status: {} };
  }
}

interface KubeCondition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
}

export function conditionsOf(conditions: readonly KubeCondition[] | undefined): Condition[] {
  return (conditions ?? []).map((condition) =>
    withoutUndefined({
      type: condition.type,
      status: conditionStatus(condition.status),
      reason: condition.reason,
      message: condition.message,
    }),
  );
}

function optionalConditions(conditions: readonly KubeCondition[] | undefined): Condition[] | undefined {
  return conditions === undefined ? undefined : conditionsOf(conditions);
}

function conditionStatus(status: string): Condition["status"] {
  return status === "True" || status === "False" ? status : "Unknown";
}

/**
 * Without its undefined properties, so translated objects compare equal to hand-written ones. A copy, in the same key
 * order every time, rather than `delete` on the object: deleting properties turns a V8 object into a (larger)
 * dictionary, and these are kept for every cached workload.
 */
function withoutUndefined<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value)) if (entry !== undefined) out[key] = entry;
  return out as T;
}
