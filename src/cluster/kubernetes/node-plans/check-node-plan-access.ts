import { statusCodeOf } from "../kubernetes-errors.js";
import type { RestClient } from "../rest-client.js";

/** One permission node upgrade plans need (kube/node-plans grants each). */
interface Permission {
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  readonly subresource?: string;
  /** In the plans' namespace; cluster-wide otherwise. */
  readonly namespaced: boolean;
}

/**
 * What the controller cannot run without: kube/node-plans/cluster-role.yaml and role.yaml (the Secrets read only
 * for plans that mount one and the owners' `get` only by the health gate are left out: a plan reports those).
 */
const needed: readonly Permission[] = [
  ...["list", "watch", "patch"].map((verb) => ({ verb, group: "", resource: "nodes", namespaced: false })),
  ...["list", "delete"].map((verb) => ({ verb, group: "", resource: "pods", namespaced: false })),
  { verb: "create", group: "", resource: "pods", subresource: "eviction", namespaced: false },
  ...["list", "watch"].map((verb) => ({ verb, group: "policy", resource: "poddisruptionbudgets", namespaced: false })),
  ...["get", "list", "watch", "update"].map((verb) => ({ verb, group: "updatemanager.io", resource: "nodeupgradeplans", namespaced: true })),
  { verb: "update", group: "updatemanager.io", resource: "nodeupgradeplans", subresource: "status", namespaced: true },
  ...["list", "watch", "create", "delete"].map((verb) => ({ verb, group: "batch", resource: "jobs", namespaced: true })),
];

/** What the start-up check found: the problems (empty: all granted), or why it could not tell. */
export type NodePlanAccess = { readonly problems: readonly string[] } | { readonly unchecked: string };

/**
 * Asks the API server, before any plan runs, whether this process's account has every permission node upgrade
 * plans need (one SelfSubjectAccessReview each, which every authenticated account may create) and whether the
 * NodeUpgradePlan CRD is installed. Never throws: an API server that cannot be asked gives `unchecked`.
 */
export async function checkNodePlanAccess(rest: RestClient, namespace: string): Promise<NodePlanAccess> {
  try {
    const problems: string[] = [];
    const crd = await rest
      .request<{ resources?: { name: string }[] }>({ method: "GET", path: "/apis/updatemanager.io/v1alpha1" })
      .catch((error) => (statusCodeOf(error) === 404 ? { resources: [] } : Promise.reject(error)));
    if (!(crd.resources ?? []).some((resource) => resource.name === "nodeupgradeplans")) {
      problems.push("the NodeUpgradePlan CRD (nodeupgradeplans.updatemanager.io) is not installed");
    }
    const denied = await Promise.all(
      needed.map(async (permission) => {
        const review = await rest.request<{ status?: { allowed?: boolean } }>({
          method: "POST",
          path: "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
          body: {
            apiVersion: "authorization.k8s.io/v1",
            kind: "SelfSubjectAccessReview",
            spec: {
              resourceAttributes: {
                verb: permission.verb,
                group: permission.group,
                resource: permission.resource,
                ...(permission.subresource === undefined ? {} : { subresource: permission.subresource }),
                ...(permission.namespaced ? { namespace } : {}),
              },
            },
          },
        });
        return review.status?.allowed === true ? [] : [describe(permission, namespace)];
      }),
    );
    const missing = denied.flat();
    if (missing.length > 0) problems.push(`the manager's account may not ${missing.join(", ")}`);
    return { problems };
  } catch (error) {
    return { unchecked: error instanceof Error ? error.message : String(error) };
  }
}

function describe(permission: Permission, namespace: string): string {
  const resource = `${permission.resource}${permission.subresource === undefined ? "" : `/${permission.subresource}`}${permission.group === "" ? "" : `.${permission.group}`}`;
  return `${permission.verb} ${resource}${permission.namespaced ? ` in ${namespace}` : ""}`;
}
