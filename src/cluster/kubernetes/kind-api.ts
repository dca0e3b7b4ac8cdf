import type { WorkloadKind } from "../../core/domain/workload.js";

/** Where the API server serves one kind: group, version and plural resource name. */
export interface KindApi {
  readonly kind: WorkloadKind | "Pod" | "Node" | "NodeUpgradePlan" | "PodDisruptionBudget";
  /** "" for the core group (pods). */
  readonly group: string;
  readonly version: string;
  /** Plural resource name, e.g. "deployments". */
  readonly resource: string;
}

export const deploymentApi: KindApi = { kind: "Deployment", group: "apps", version: "v1", resource: "deployments" };
export const statefulSetApi: KindApi = { kind: "StatefulSet", group: "apps", version: "v1", resource: "statefulsets" };
export const daemonSetApi: KindApi = { kind: "DaemonSet", group: "apps", version: "v1", resource: "daemonsets" };
export const jobApi: KindApi = { kind: "Job", group: "batch", version: "v1", resource: "jobs" };
export const podApi: KindApi = { kind: "Pod", group: "", version: "v1", resource: "pods" };

/**
 * CronJobs moved to batch/v1 in Kubernetes 1.21; 1.20 serves them as batch/v1beta1 only, and
 * 1.25 removed batch/v1beta1. Which one a server serves is discovered once at start.
 */
export function cronJobApi(version: "v1" | "v1beta1"): KindApi {
  return { kind: "CronJob", group: "batch", version, resource: "cronjobs" };
}

/** "apps/v1", or "v1" for the core group: the apiVersion of objects of this kind. */
export function apiVersionOf(api: KindApi): string {
  return api.group === "" ? api.version : `${api.group}/${api.version}`;
}

/** The collection path, in one namespace or (namespace undefined) across all namespaces. */
export function collectionPath(api: KindApi, namespace?: string): string {
  const root = api.group === "" ? `/api/${api.version}` : `/apis/${api.group}/${api.version}`;
  const scope = namespace === undefined ? "" : `/namespaces/${encodeURIComponent(namespace)}`;
  return `${root}${scope}/${api.resource}`;
}

export function objectPath(api: KindApi, namespace: string, name: string): string {
  return `${collectionPath(api, namespace)}/${encodeURIComponent(name)}`;
}

/** "deployments.apps" (or "pods"): how Kubernetes names a resource in RBAC messages. */
export function qualifiedResource(api: KindApi): string {
  return api.group === "" ? api.resource : `${api.resource}.${api.group}`;
}
