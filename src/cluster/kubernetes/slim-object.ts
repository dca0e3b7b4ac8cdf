import type { KubernetesObject } from "@kubernetes/client-node";

/** kubectl's copy of the last applied manifest: often the largest annotation, never read by the manager. */
export const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";

/**
 * Drops, in place, what an informer cache need not keep of an object: the field sets of its managedFields
 * (the managers' names, operations and times stay: the manager reports who changed a workload) and the
 * last-applied-configuration annotation. Both are large (often more than the rest of a Deployment) and read
 * by nothing in the manager. Returns the object, for an informer's `transform`.
 */
export function slimObject<T extends KubernetesObject>(object: T): T {
  const metadata = object.metadata;
  if (metadata === undefined) return object;
  for (const entry of metadata.managedFields ?? []) delete (entry as { fieldsV1?: unknown }).fieldsV1;
  if (metadata.annotations?.[lastAppliedAnnotation] !== undefined) delete metadata.annotations[lastAppliedAnnotation];
  return object;
}
