import { describe, expect, it } from "vitest";
import type { RestClient, RestRequest } from "../../../src/cluster/kubernetes/rest-client.js";
import { KubernetesApiError } from "../../../src/cluster/kubernetes/kubernetes-errors.js";
import type { AvailableUpdate } from "../../../src/core/domain/available-update.js";
import { createConfigMapWatchStateStore } from "../../../src/store/kubernetes/config-map-watch-state-store.js";

/** One ConfigMap held in memory behind the RestClient, with resourceVersion preconditions like the API server. */
function fakeApiServer() {
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
  return { rest, requests };
}

const entry: AvailableUpdate = {
  workload: { kind: "Deployment", namespace: "shop", name: "web" },
  classifier: "prod",
  container: "web",
  currentImage: "r/web:1.0.0",
  availableImage: "r/web:1.0.1",
  policy: "semver:patch",
  mode: "update",
  status: "soaking",
  message: "",
  firstSeen: new Date("2025-01-01T00:00:00Z"),
  soakingUntil: new Date("2025-01-02T00:00:00Z"),
  checkTime: new Date("2025-01-01T00:05:00Z"),
};

describe("the watch state in a ConfigMap", () => {
  it("keeps first-seen times, attempts and available versions across store instances (a restart)", async () => {
    const server = fakeApiServer();
    const first = createConfigMapWatchStateStore({ rest: server.rest, namespace: "update-manager" });
    expect((await first.load()).firstSeen.size).toBe(0);
    await first.save({
      firstSeen: new Map([["r/web:1.0.1", new Date("2025-01-01T00:00:00Z")]]),
      attempts: new Map([["Deployment/shop/web|web|r/web:1.0.1", { updateId: "u1", time: new Date("2025-01-01T00:01:00Z") }]]),
      available: [entry],
    });
    // A later sighting never moves a first-seen time.
    await first.save({ firstSeen: new Map([["r/web:1.0.1", new Date("2025-03-01T00:00:00Z")]]) });

    const restarted = await createConfigMapWatchStateStore({ rest: server.rest, namespace: "update-manager" }).load();
    expect(restarted.firstSeen.get("r/web:1.0.1")?.toISOString()).toBe("2025-01-01T00:00:00.000Z");
    expect(restarted.attempts.get("Deployment/shop/web|web|r/web:1.0.1")?.updateId).toBe("u1");
    expect(restarted.available).toEqual([entry]);
    expect(server.requests.filter((method) => method === "POST")).toHaveLength(1);
  });

  it("drops the oldest entries beyond its bound, so the ConfigMap stays small", async () => {
    const server = fakeApiServer();
    const store = createConfigMapWatchStateStore({ rest: server.rest, namespace: "update-manager", maxEntries: 2 });
    await store.save({
      firstSeen: new Map([
        ["a", new Date(1000)],
        ["b", new Date(3000)],
        ["c", new Date(2000)],
      ]),
    });
    expect([...(await store.load()).firstSeen.keys()].sort()).toEqual(["b", "c"]);
  });
});
