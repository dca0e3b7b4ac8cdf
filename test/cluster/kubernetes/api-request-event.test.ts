import { describe, expect, it } from "vitest";
import { describeApiRequest } from "../../../src/cluster/kubernetes/api-request-event.js";

describe("describeApiRequest", () => {
  it("names verb and group-qualified resource, never the namespace or object", () => {
    expect(describeApiRequest("PATCH", "/apis/apps/v1/namespaces/shop/deployments/web")).toEqual({ verb: "patch", resource: "deployments.apps" });
    expect(describeApiRequest("GET", "/apis/apps/v1/namespaces/shop/deployments/web")).toEqual({ verb: "get", resource: "deployments.apps" });
    expect(describeApiRequest("GET", "/apis/batch/v1/jobs")).toEqual({ verb: "list", resource: "jobs.batch" });
    expect(describeApiRequest("GET", "/api/v1/namespaces/shop/pods")).toEqual({ verb: "list", resource: "pods" });
    expect(describeApiRequest("POST", "/apis/batch/v1/namespaces/shop/jobs")).toEqual({ verb: "create", resource: "jobs.batch" });
    expect(describeApiRequest("PUT", "/apis/coordination.k8s.io/v1/namespaces/um/leases/update-manager")).toEqual({
      verb: "update",
      resource: "leases.coordination.k8s.io",
    });
    expect(describeApiRequest("DELETE", "/apis/x.io/v1/namespaces/um/updateruns/u1/status")).toEqual({
      verb: "delete",
      resource: "updateruns.x.io/status",
    });
  });
});
