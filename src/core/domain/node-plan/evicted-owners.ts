import type { PodOwner } from "./node-plan-status.js";

/**
 * The controller kinds whose desired ready replicas the health gate can read. Pods of other controllers (a Job, a
 * custom resource) are evicted all the same, but nothing says how many of them should be ready again.
 */
export const awaitedOwnerKinds: ReadonlySet<string> = new Set(["ReplicaSet", "Deployment", "StatefulSet", "DaemonSet"]);

export function ownerKey(owner: PodOwner): string {
  return `${owner.kind}/${owner.namespace}/${owner.name}`;
}

/** The distinct owners of these pods the health gate waits for, in a stable order. */
export function awaitedOwnersOf(
  pods: readonly { readonly namespace: string; readonly controllerKind: string | undefined; readonly controllerName?: string | undefined }[],
): PodOwner[] {
  const owners = pods.flatMap((pod) =>
    pod.controllerKind !== undefined && pod.controllerName !== undefined && awaitedOwnerKinds.has(pod.controllerKind)
      ? [{ kind: pod.controllerKind, namespace: pod.namespace, name: pod.controllerName }]
      : [],
  );
  return mergeOwners([], owners);
}

/** `known` plus the owners of `more` it lacks, sorted by kind, namespace and name. */
export function mergeOwners(known: readonly PodOwner[], more: readonly PodOwner[]): PodOwner[] {
  const byKey = new Map<string, PodOwner>();
  for (const owner of [...known, ...more]) byKey.set(ownerKey(owner), { kind: owner.kind, namespace: owner.namespace, name: owner.name });
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, owner]) => owner);
}

/** Whether every owner of `more` is in `known`. */
export function containsOwners(known: readonly PodOwner[], more: readonly PodOwner[]): boolean {
  const keys = new Set(known.map(ownerKey));
  return more.every((owner) => keys.has(ownerKey(owner)));
}
