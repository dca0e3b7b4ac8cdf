import type { KubernetesObject } from "@kubernetes/client-node";
import type { MetadataKeys } from "../../core/domain/metadata-keys.js";

/**
 * Whether an object belongs in the workload cache: it carries the classifier label, or (in
 * legacy mode) the original update manager's annotation. Never a migration copy (it carries the
 * update-id label and is cached as a Job instead) nor a Job a CronJob started (a run, not a template).
 */
export function isOptedIn(object: KubernetesObject, keys: MetadataKeys, legacyAnnotation: boolean): boolean {
  const metadata = object.metadata;
  const labels = metadata?.labels ?? {};
  if (keys.updateIdLabel in labels) return false;
  if (metadata?.ownerReferences?.some((owner) => owner.kind === "CronJob")) return false;
  if (keys.classifierLabel in labels) return true;
  return legacyAnnotation && keys.legacyClassifierAnnotation in (metadata?.annotations ?? {});
}

/**
 * The server-side label selector of the workload informers. Annotations cannot be selected on,
 * so in legacy mode there is none: every object of the kind is listed and filtered here, which
 * costs memory in proportion to all Deployments, StatefulSets, ... of the watched namespaces.
 */
export function workloadLabelSelector(keys: MetadataKeys, legacyAnnotation: boolean): string | undefined {
  return legacyAnnotation ? undefined : keys.classifierLabel;
}
