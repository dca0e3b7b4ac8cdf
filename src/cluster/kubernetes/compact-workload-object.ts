import type {
  V1Container,
  V1DaemonSet,
  V1Deployment,
  V1ManagedFieldsEntry,
  V1ObjectMeta,
  V1PodTemplateSpec,
  V1StatefulSet,
} from "@kubernetes/client-node";
import type { WorkloadKind } from "../../core/domain/workload.js";
import type { KubeWorkloadObject } from "./kube-objects.js";
import { lastAppliedAnnotation, slimObject } from "./slim-object.js";

/**
 * What the workload cache keeps of an object: for Deployments, StatefulSets and DaemonSets a new object with only
 * the fields the adapter reads (to-workload.ts, opt-in.ts, image-patch.ts, the pod watch's selector): metadata
 * (name, namespace, uid, resourceVersion, generation, labels, annotations without kubectl's last-applied copy,
 * owners, the managers' names), spec (replicas, paused, strategies, progressDeadlineSeconds, selector, and of the
 * pod template only the containers' and init containers' names and images and the pull secrets) and the status's
 * rollout counters and conditions (without their times). A
 * cached Deployment then costs a fraction of the API server's object (most of which is the pod template: probes,
 * resources, env, volumes). Jobs and CronJobs are migration templates, copied whole into each migration Job: they
 * are only slimmed (slim-object.ts).
 */
export function compactWorkloadObject(kind: WorkloadKind, object: KubeWorkloadObject): KubeWorkloadObject {
  if (kind === "Job" || kind === "CronJob") return slimObject(object);
  const spec = (object as V1Deployment & V1StatefulSet & V1DaemonSet).spec;
  const updateStrategy = spec?.updateStrategy;
  // Fixed shapes (absent fields stay undefined): objects built alike share one hidden class in V8, where objects
  // assembled from optional parts would each get their own (measured: ~0.5 KiB more per cached object).
  return {
    metadata: compactMetadata(object.metadata),
    spec: {
      replicas: spec?.replicas,
      paused: (spec as V1Deployment["spec"])?.paused,
      strategy: spec?.strategy === undefined ? undefined : { type: spec.strategy.type },
      updateStrategy:
        updateStrategy === undefined
          ? undefined
          : {
              type: updateStrategy.type,
              rollingUpdate: updateStrategy.rollingUpdate === undefined ? undefined : { partition: updateStrategy.rollingUpdate.partition },
            },
      progressDeadlineSeconds: (spec as V1Deployment["spec"])?.progressDeadlineSeconds,
      selector: spec?.selector ?? {},
      template: compactTemplate(spec?.template),
    },
    status: compactStatus((object as V1Deployment & V1StatefulSet & V1DaemonSet).status),
  } as KubeWorkloadObject;
}

/** The rollout counters of the three kinds (to-workload.ts) and the conditions without their timestamps. */
function compactStatus(status: (V1Deployment & V1StatefulSet & V1DaemonSet)["status"]) {
  if (status === undefined) return undefined;
  return {
    observedGeneration: status.observedGeneration,
    replicas: status.replicas,
    updatedReplicas: status.updatedReplicas,
    readyReplicas: status.readyReplicas,
    availableReplicas: status.availableReplicas,
    currentRevision: status.currentRevision,
    updateRevision: status.updateRevision,
    desiredNumberScheduled: status.desiredNumberScheduled,
    currentNumberScheduled: status.currentNumberScheduled,
    updatedNumberScheduled: status.updatedNumberScheduled,
    numberAvailable: status.numberAvailable,
    numberReady: status.numberReady,
    conditions: status.conditions?.map((condition) => ({
      type: condition.type,
      status: condition.status,
      reason: condition.reason,
      message: condition.message,
    })),
  };
}

function compactMetadata(metadata: V1ObjectMeta | undefined): V1ObjectMeta {
  if (metadata === undefined) return {};
  let managers: V1ManagedFieldsEntry[] | undefined;
  for (const entry of metadata.managedFields ?? []) {
    if (entry.manager === undefined || managers?.some((kept) => kept.manager === entry.manager)) continue;
    managers ??= [];
    managers.push({ manager: entry.manager });
  }
  let annotations = metadata.annotations;
  if (annotations?.[lastAppliedAnnotation] !== undefined) {
    annotations = { ...annotations };
    delete annotations[lastAppliedAnnotation];
  }
  return {
    name: metadata.name,
    namespace: metadata.namespace,
    uid: metadata.uid,
    resourceVersion: metadata.resourceVersion,
    generation: metadata.generation,
    labels: metadata.labels,
    annotations,
    ownerReferences: metadata.ownerReferences,
    managedFields: managers,
  };
}

function compactTemplate(template: V1PodTemplateSpec | undefined): V1PodTemplateSpec {
  const spec = template?.spec;
  const containers = (list: readonly V1Container[] | undefined) => list?.map((container) => ({ name: container.name, image: container.image }));
  return {
    spec: {
      containers: containers(spec?.containers) ?? [],
      initContainers: containers(spec?.initContainers),
      imagePullSecrets: spec?.imagePullSecrets?.map((secret) => ({ name: secret.name })),
    },
  };
}
