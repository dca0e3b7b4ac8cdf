import { describe, expect, it } from "vitest";
import type { AvailableUpdate } from "../../../src/core/domain/available-update.js";
import { createConfigMapWatchStateStore } from "../../../src/store/kubernetes/config-map-watch-state-store.js";
import { describeWatchStateStoreContract } from "../../contract/watch-state-store-contract.js";
import { fakeApiServer } from "./fake-config-map-server.js";

describeWatchStateStoreContract("ConfigMap on a fake API server", async () => {
  const server = fakeApiServer();
  return (options) => createConfigMapWatchStateStore({ rest: server.rest, namespace: "update-manager", ...options });
});

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
