/** One finished request to the API server, with bounded labels only (never a namespace or object name). */
export interface ApiRequestEvent {
  /** Kubernetes verb: get, list, create, patch, update, delete. */
  readonly verb: string;
  /** Resource with its group, e.g. "deployments.apps", "jobs.batch", "leases.coordination.k8s.io", "pods". */
  readonly resource: string;
  /** HTTP status, "0" when no response came (network error, timeout). */
  readonly code: string;
}

/**
 * The verb and resource of a request path such as /apis/apps/v1/namespaces/shop/deployments/web or
 * /api/v1/pods: GET of a collection is `list`, of an object `get`; subresources are kept ("deployments/status").
 */
export function describeApiRequest(method: string, path: string): { verb: string; resource: string } {
  const parts = path.split("?")[0]!.split("/").filter(Boolean);
  // /api/v1/... (core group) or /apis/<group>/<version>/...
  const group = parts[0] === "apis" ? parts[1] ?? "" : "";
  let rest = parts.slice(parts[0] === "apis" ? 3 : 2);
  if (rest[0] === "namespaces" && rest.length > 2) rest = rest.slice(2);
  const [resource = "unknown", name, subresource] = rest;
  const qualified = (group === "" ? resource : `${resource}.${group}`) + (subresource === undefined ? "" : `/${subresource}`);
  const verbs: Record<string, string> = { POST: "create", PATCH: "patch", PUT: "update", DELETE: "delete" };
  const verb = method === "GET" ? (name === undefined ? "list" : "get") : (verbs[method] ?? method.toLowerCase());
  return { verb, resource: qualified };
}
