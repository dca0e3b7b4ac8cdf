import type { V1APIResourceList } from "@kubernetes/client-node";
import type { RestClient } from "./rest-client.js";

/**
 * Which CronJob API the server serves: batch/v1 from Kubernetes 1.21 on, batch/v1beta1 before.
 * One discovery request for batch/v1 decides it.
 */
export async function discoverCronJobVersion(rest: RestClient): Promise<"v1" | "v1beta1"> {
  const resources = await rest.request<V1APIResourceList>({ method: "GET", path: "/apis/batch/v1" });
  return resources.resources.some((resource) => resource.name === "cronjobs") ? "v1" : "v1beta1";
}
