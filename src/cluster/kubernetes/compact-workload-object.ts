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
import { slimObject } from "./slim-object.js";

/**
 * What the workload cache keeps of an object: for Deployments, StatefulSets and DaemonSets a new object with only
 * the fields the adapter reads (to-workload.ts, opt-in.ts, image-patch.ts, the pod watch's selector): metadata
 * (name, namespace, uid, resourceVersion, generation, labels, annotations without kubectl's last-applied copy,
 * owners, the managers' names), spec (replicas, paused, strategies, progressDeadlineSeconds, selector, and of the
 * pod template only the containers' and init containers' names and images and the pull secrets) and status. A
 * cached Deployment then costs a fraction of the API server's object (most of which is the pod template: probes,
 * resources, env, volumes). Jobs and CronJobs are migration templates, copied whole into each migration Job: they
 * are only slimmed (slim-object.ts).
 */
export function compactWorkloadObject(kind: WorkloadKind, object: KubeWorkloadObject): KubeWorkloadObject {
  if (kind === "Job" || kind === "CronJob") return slimObject(object);
  const source = object as V1Deployment & V1StatefulSet & V1DaemonSet;
  const spec = source.spec;
  const compactSpec = {
    ...defined("replicas", spec?.replicas),
    ...defined("paused", (spec as V1Deployment["spec"])?.paused),
    ...defined("strategy", spec?.strategy?.type === undefined ? undefined : { type: spec.strategy.type }),
    ...defined("updateStrategy", compactUpdateStrategy(spec?.updateStrategy)),
    ...defined("progressDeadlineSeconds", (spec as V1Deployment["spec"])?.progressDeadlineSeconds),
    selector: spec?.selector ?? {},
    template: compactTemplate(spec?.template),
  };
  return {
    metadata: compactMetadata(object.metadata),
    spec: compactSpec,
    ...defined("status", source.status),
  } as KubeWorkloadObject;
}

function compactMetadata(metadata: V1ObjectMeta | undefined): V1ObjectMeta {
  if (metadata === undefined) return {};
  const managers: V1ManagedFieldsEntry[] = [];
  for (const entry of metadata.managedFields ?? []) {
    if (entry.manager !== undefined && !managers.some((kept) => kept.manager === entry.manager)) managers.push({ manager: entry.manager });
  }
  const annotations = metadata.annotations === undefined ? undefined : { ...metadata.annotations };
  if (annotations !== undefined) delete annotations["kubectl.kubernetes.io/last-applied-configuration"];
  return {
    ...defined("name", metadata.name),
    ...defined("namespace", metadata.namespace),
    ...defined("uid", metadata.uid),
    ...defined("resourceVersion", metadata.resourceVersion),
    ...defined("generation", metadata.generation),
    ...defined("labels", metadata.labels),
    ...defined("annotations", annotations),
    ...defined("ownerReferences", metadata.ownerReferences),
    ...(managers.length === 0 ? {} : { managedFields: managers }),
  };
}

function compactUpdateStrategy(strategy: { type?: string; rollingUpdate?: { partition?: number } } | undefined) {
  if (strategy === undefined) return undefined;
  return {
    ...defined("type", strategy.type),
    ...(strategy.rollingUpdate === undefined ? {} : { rollingUpdate: defined("partition", strategy.rollingUpdate.partition) }),
  };
}

function compactTemplate(template: V1PodTemplateSpec | undefined): V1PodTemplateSpec {
  const spec = template?.spec;
  const containers = (list: readonly V1Container[] | undefined) => list?.map((container) => ({ name: container.name, ...defined("image", container.image) }));
  return {
    spec: {
      containers: containers(spec?.containers) ?? [],
      ...defined("initContainers", containers(spec?.initContainers)),
      ...defined("imagePullSecrets", spec?.imagePullSecrets?.map((secret) => ({ ...defined("name", secret.name) }))),
    },
  };
}

function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
