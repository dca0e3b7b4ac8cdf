import type { RestClient, RestRequest } from "../../../src/cluster/kubernetes/rest-client.js";
import { KubernetesApiError } from "../../../src/cluster/kubernetes/kubernetes-errors.js";

/** One ConfigMap held in memory behind the RestClient, with resourceVersion preconditions like the API server. */
export function fakeApiServer() {
  let map: { metadata: { name: string; resourceVersion: string }; data: Record<string, string> } | undefined;
  let version = 0;
  const requests: string[] = [];
  const rest: RestClient = {
    async request<T>(request: RestRequest): Promise<T> {
      requests.push(request.method);
      if (request.method === "GET") {
        if (map === undefined) throw new KubernetesApiError(404, { message: "not found" });
        return structuredClone(map) as T;
      }
      const body = request.body as { metadata: { name?: string; resourceVersion?: string }; data: Record<string, string> };
      if (request.method === "POST") {
        map = { metadata: { name: body.metadata.name ?? "", resourceVersion: String(++version) }, data: body.data };
        return map as T;
      }
      if (map === undefined) throw new KubernetesApiError(404, { message: "not found" });
      if (body.metadata.resourceVersion !== map.metadata.resourceVersion) throw new KubernetesApiError(409, { message: "conflict" });
      map = { metadata: { name: map.metadata.name, resourceVersion: String(++version) }, data: { ...map.data, ...body.data } };
      return map as T;
    },
  };
  return {
    rest,
    requests,
    /** Writes `data` as someone editing the ConfigMap by hand would (kubectl edit). */
    overwrite(data: Record<string, string>) {
      map = { metadata: { name: map?.metadata.name ?? "", resourceVersion: String(++version) }, data };
    },
  };
}

