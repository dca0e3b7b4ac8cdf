import { describe, expect, it } from "vitest";
import { checkNodePlanAccess } from "../../../../src/cluster/kubernetes/node-plans/check-node-plan-access.js";
import { KubernetesApiError } from "../../../../src/cluster/kubernetes/kubernetes-errors.js";
import type { RestClient, RestRequest } from "../../../../src/cluster/kubernetes/rest-client.js";

interface Attributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
}

/** An API server that allows every SelfSubjectAccessReview except those `denied` names (`verb resource[/sub][.group][@ns]`). */
function fakeApiServer(options: { denied?: readonly string[]; crd?: boolean; unreachable?: boolean } = {}) {
  const reviews: Attributes[] = [];
  const rest: RestClient = {
    async request<T>(request: RestRequest): Promise<T> {
      if (options.unreachable) throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6443"), { code: "ECONNREFUSED" });
      if (request.method === "GET" && request.path === "/apis/updatemanager.io/v1alpha1") {
        if (options.crd === false) throw new KubernetesApiError(404, { message: "the server could not find the requested resource" });
        return { resources: [{ name: "nodeupgradeplans" }, { name: "nodeupgradeplans/status" }, { name: "updateruns" }] } as T;
      }
      if (request.method === "POST" && request.path === "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews") {
        const attributes = (request.body as { spec: { resourceAttributes: Attributes } }).spec.resourceAttributes;
        reviews.push(attributes);
        const key = `${attributes.verb} ${attributes.resource}${attributes.subresource ? `/${attributes.subresource}` : ""}${attributes.group ? `.${attributes.group}` : ""}${attributes.namespace ? `@${attributes.namespace}` : ""}`;
        return { status: { allowed: !(options.denied ?? []).includes(key) } } as T;
      }
      throw new KubernetesApiError(404, { message: `unexpected ${request.method} ${request.path}` });
    },
  };
  return { rest, reviews };
}

describe("the start-up check of node plans' permissions", () => {
  it("finds nothing missing when kube/node-plans' grants are all there, asking about nodes, evictions and Jobs in the plans' namespace", async () => {
    const fake = fakeApiServer();
    expect(await checkNodePlanAccess(fake.rest, "system-upgrade")).toEqual({ problems: [] });
    expect(fake.reviews).toContainEqual({ verb: "patch", group: "", resource: "nodes" });
    expect(fake.reviews).toContainEqual({ verb: "create", group: "", resource: "pods", subresource: "eviction" });
    expect(fake.reviews).toContainEqual({ verb: "create", group: "batch", resource: "jobs", namespace: "system-upgrade" });
    expect(fake.reviews).toContainEqual({ verb: "update", group: "updatemanager.io", resource: "nodeupgradeplans", subresource: "status", namespace: "system-upgrade" });
  });

  it("names every permission the account lacks, and a missing CRD", async () => {
    const fake = fakeApiServer({ denied: ["patch nodes", "create pods/eviction", "create jobs.batch@upgrades"], crd: false });
    expect(await checkNodePlanAccess(fake.rest, "upgrades")).toEqual({
      problems: [
        "the NodeUpgradePlan CRD (nodeupgradeplans.updatemanager.io) is not installed",
        "the manager's account may not patch nodes, create pods/eviction, create jobs.batch in upgrades",
      ],
    });
  });

  it("says it could not check when the API server does not answer, instead of refusing to start", async () => {
    const access = await checkNodePlanAccess(fakeApiServer({ unreachable: true }).rest, "system-upgrade");
    expect(access).toEqual({ unchecked: "connect ECONNREFUSED 127.0.0.1:6443" });
  });
});
