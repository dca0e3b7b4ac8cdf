import type { V1CronJob, V1DaemonSet, V1Deployment, V1Job, V1PodTemplateSpec, V1StatefulSet } from "@kubernetes/client-node";
import type { WorkloadKind } from "../../core/domain/workload.js";

/**
 * An object of one of the managed kinds as the API server sends it. Objects in the caches are the
 * plain JSON of list and watch responses (client-node's model types describe their shape; the
 * adapter never reads the fields those types turn into Dates).
 */
export type KubeWorkloadObject = V1Deployment | V1StatefulSet | V1DaemonSet | V1CronJob | V1Job;

/** The pod template of a workload: spec.template, or for a CronJob spec.jobTemplate.spec.template. */
export function podTemplateOf(kind: WorkloadKind, object: KubeWorkloadObject): V1PodTemplateSpec | undefined {
  if (kind === "CronJob") return (object as V1CronJob).spec?.jobTemplate?.spec?.template;
  return (object as V1Deployment | V1StatefulSet | V1DaemonSet | V1Job).spec?.template;
}

/** JSON pointer of the pod spec inside an object of `kind` (where patches address containers). */
export function podSpecPointer(kind: WorkloadKind): string {
  return kind === "CronJob" ? "/spec/jobTemplate/spec/template/spec" : "/spec/template/spec";
}
