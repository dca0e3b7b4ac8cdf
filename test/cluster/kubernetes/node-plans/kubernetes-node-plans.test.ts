import type { KubeConfig } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { createKubernetesNodePlans, type KubernetesNodePlans } from "../../../../src/cluster/kubernetes/node-plans/kubernetes-node-plans.js";
import { createRestClient } from "../../../../src/cluster/kubernetes/rest-client.js";
import { systemClock } from "../../../../src/core/ports/clock.js";
import { silentLogger } from "../../../../src/core/ports/logger.js";
import type { PodOnNode } from "../../../../src/core/ports/node-plans.js";
import { type FakeApiServer, startFakeApiServer } from "../../../support/fake-api-server.js";

let api: FakeApiServer | undefined;
let adapter: KubernetesNodePlans | undefined;

afterEach(async () => {
  await adapter?.stop();
  adapter = undefined;
  await api?.close();
  api = undefined;
});

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly body: string;
}

/**
 * A loopback API server with no objects, serving policy/v1 or not (1.20 serves only policy/v1beta1), answering an
 * eviction with `evictionStatus`; records every request other than lists and watches.
 */
async function apiServer(policyV1: boolean, evictionStatus = 201): Promise<{ kubeConfig: KubeConfig; seen: Seen[] }> {
  const seen: Seen[] = [];
  api = await startFakeApiServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://x");
    let body = "";
    request.setEncoding("utf8").on("data", (chunk: string) => {
      body += chunk;
    });
    request.on("end", () => {
      const json = (status: number, value: unknown) => {
        response.writeHead(status, { "content-type": "application/json" });
        response.end(JSON.stringify(value));
      };
      if (url.pathname === "/apis/policy/v1") return policyV1 ? json(200, { kind: "APIResourceList", resources: [] }) : json(404, { kind: "Status", code: 404 });
      if (url.searchParams.get("watch") === "true") {
        response.writeHead(200, { "content-type": "application/json" });
        response.flushHeaders();
        return;
      }
      if (request.method === "GET") return json(200, { metadata: { resourceVersion: "1" }, items: [] });
      seen.push({ method: request.method ?? "", path: url.pathname, body });
      if (url.pathname.endsWith("/eviction")) {
        return json(evictionStatus, evictionStatus === 429 ? { kind: "Status", code: 429, reason: "TooManyRequests", message: "Cannot evict pod as it would violate the pod's disruption budget." } : {});
      }
      return json(200, {});
    });
  });
  return { kubeConfig: api.kubeConfig, seen };
}

const pod: PodOnNode = {
  namespace: "shop",
  name: "web-1",
  controllerKind: "ReplicaSet",
  controllerName: "web",
  mirror: false,
  usesEmptyDir: false,
  labels: {},
  deletionTime: undefined,
  finished: false,
};

async function startedAdapter(kubeConfig: KubeConfig): Promise<KubernetesNodePlans> {
  adapter = createKubernetesNodePlans({
    kubeConfig,
    rest: createRestClient(kubeConfig),
    clock: systemClock,
    logger: silentLogger,
    namespace: "system-upgrade",
    keyPrefix: "update-manager.io",
    onChange: () => {},
  });
  await adapter.start();
  return adapter;
}

describe("the Kubernetes node plans adapter: evictions", () => {
  it.each([
    [true, "policy/v1"],
    [false, "policy/v1beta1"],
  ])("evicts through the Eviction API of the policy version the server serves (policy/v1 served: %s)", async (policyV1, apiVersion) => {
    const api = await apiServer(policyV1);
    const port = await startedAdapter(api.kubeConfig);
    expect(await port.evictPod(pod, { gracePeriodSeconds: 5, deleteInstead: false })).toBe("evicted");
    expect(api.seen).toHaveLength(1);
    expect(api.seen[0]).toMatchObject({ method: "POST", path: "/api/v1/namespaces/shop/pods/web-1/eviction" });
    expect(JSON.parse(api.seen[0]!.body)).toEqual({
      apiVersion,
      kind: "Eviction",
      metadata: { name: "web-1", namespace: "shop" },
      deleteOptions: { gracePeriodSeconds: 5 },
    });
  });

  it("answers blocked when a PodDisruptionBudget refuses the eviction (429), for the drain to retry", async () => {
    const api = await apiServer(true, 429);
    const port = await startedAdapter(api.kubeConfig);
    expect(await port.evictPod(pod, { deleteInstead: false })).toBe("blocked");
  });

  it("deletes the pod instead with disableEviction", async () => {
    const api = await apiServer(true);
    const port = await startedAdapter(api.kubeConfig);
    expect(await port.evictPod(pod, { deleteInstead: true })).toBe("evicted");
    expect(api.seen.map((request) => `${request.method} ${request.path}`)).toEqual(["DELETE /api/v1/namespaces/shop/pods/web-1"]);
  });
});
