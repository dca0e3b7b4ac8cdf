import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { AvailableUpdate } from "../../src/core/domain/available-update.js";
import type { WatchCycleReport } from "../../src/core/use-cases/watch-registries.js";
import { createRegistryWatchMetrics } from "../../src/telemetry/registry-watch-metrics.js";

const web = { kind: "Deployment", namespace: "shop", name: "web" } as const;

function available(status: AvailableUpdate["status"], tag: string): AvailableUpdate {
  return {
    workload: web,
    classifier: "shop",
    container: "app",
    currentImage: "ghcr.io/shop/web:1.0.0",
    availableImage: `ghcr.io/shop/web:${tag}`,
    policy: "semver:minor",
    mode: "notify",
    status,
    message: "",
    checkTime: new Date("2025-01-01T00:00:00Z"),
  };
}

function cycle(report: Partial<WatchCycleReport>): WatchCycleReport {
  return { workloadsChecked: 1, tagLists: 1, digests: 0, runningImageLookups: 0, started: [], errors: [], available: [], durationMs: 0, ...report };
}

/** The sample lines of `name` (`name{labels} value`), sorted. */
async function samples(registry: Registry, name: string): Promise<string[]> {
  return (await registry.metrics())
    .split("\n")
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .sort();
}

describe("registry watch metrics", () => {
  it("count registry requests by registry host, kind and HTTP status, 429 as rate limiting and 0 without an answer", async () => {
    const registry = new Registry();
    const metrics = createRegistryWatchMetrics(registry);
    metrics.onRequest({ kind: "list-tags", registry: "ghcr.io", method: "GET", status: 200, durationMs: 12 });
    metrics.onRequest({ kind: "list-tags", registry: "ghcr.io", method: "GET", status: 200, durationMs: 9 });
    metrics.onRequest({ kind: "head-manifest", registry: "registry-1.docker.io", method: "HEAD", status: 429, durationMs: 3 });
    metrics.onRequest({ kind: "token", registry: "registry-1.docker.io", method: "GET", status: 0, durationMs: 30_000 });
    expect(await samples(registry, "update_manager_registry_requests_total")).toEqual([
      'update_manager_registry_requests_total{registry="ghcr.io",kind="list-tags",code="200"} 2',
      'update_manager_registry_requests_total{registry="registry-1.docker.io",kind="head-manifest",code="429"} 1',
      'update_manager_registry_requests_total{registry="registry-1.docker.io",kind="token",code="0"} 1',
    ]);
  });

  it("count failed checks by registry and error kind", async () => {
    const registry = new Registry();
    const metrics = createRegistryWatchMetrics(registry);
    metrics.onError("registry-1.docker.io", "rate-limited");
    metrics.onError("registry-1.docker.io", "rate-limited");
    metrics.onError("ghcr.io", "unauthorized");
    expect(await samples(registry, "update_manager_registry_errors_total")).toEqual([
      'update_manager_registry_errors_total{registry="ghcr.io",kind="unauthorized"} 1',
      'update_manager_registry_errors_total{registry="registry-1.docker.io",kind="rate-limited"} 2',
    ]);
  });

  it("time the cycles that ran, count the updates they started, and show what is available after the last one only", async () => {
    const registry = new Registry();
    const metrics = createRegistryWatchMetrics(registry);
    metrics.onCycle(
      cycle({
        durationMs: 1500,
        started: [{ workload: web, container: "app", image: "ghcr.io/shop/web:1.1.0", updateId: "u-1" }],
        available: [available("notify", "1.1.0"), available("notify", "1.2.0"), available("soaking", "1.3.0")],
      }),
    );
    // A cycle skipped on a replica that does not lead changes nothing.
    metrics.onCycle(cycle({ skipped: "not-leader", durationMs: 1 }));
    metrics.onCycle(cycle({ durationMs: 500, available: [available("soaking", "1.3.0")] }));
    metrics.onAvailable(available("notify", "1.1.0"));
    expect(await samples(registry, "update_manager_registry_watch_cycle_seconds_count")).toEqual(["update_manager_registry_watch_cycle_seconds_count 2"]);
    expect(await samples(registry, "update_manager_registry_watch_cycle_seconds_sum")).toEqual(["update_manager_registry_watch_cycle_seconds_sum 2"]);
    expect(await samples(registry, "update_manager_registry_watch_updates_started_total")).toEqual([
      "update_manager_registry_watch_updates_started_total 1",
    ]);
    expect(await samples(registry, "update_manager_available_updates")).toEqual(['update_manager_available_updates{status="soaking"} 1']);
    expect(await samples(registry, "update_manager_available_updates_found_total")).toEqual([
      'update_manager_available_updates_found_total{status="notify"} 1',
    ]);
  });
});
