import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { createRuntimeMetrics } from "../../src/telemetry/runtime-metrics.js";

describe("createRuntimeMetrics", () => {
  it("shows build info, cache sync, leadership, informer restarts and API requests as scraped", async () => {
    const registry = new Registry();
    let synced = false;
    let leading = false;
    let restarts = 0;
    const metrics = createRuntimeMetrics(registry, {
      version: "1.2.3",
      revision: "abc123",
      cachesSynced: () => synced,
      leading: () => leading,
      informerRestarts: () => restarts,
    });
    let text = await registry.metrics();
    expect(text).toContain(`update_manager_build_info{version="1.2.3",revision="abc123",node_version="${process.version}"} 1`);
    expect(text).toContain("update_manager_caches_synced 0");
    expect(text).toContain("update_manager_leader 0");
    expect(text).toContain("update_manager_informer_restarts_total 0");

    synced = true;
    leading = true;
    restarts = 3;
    metrics.onApiRequest({ verb: "patch", resource: "deployments.apps", code: "200" });
    metrics.onApiRequest({ verb: "patch", resource: "deployments.apps", code: "200" });
    metrics.onApiRequest({ verb: "list", resource: "jobs.batch", code: "0" });
    text = await registry.metrics();
    expect(text).toContain("update_manager_caches_synced 1");
    expect(text).toContain("update_manager_leader 1");
    expect(text).toContain("update_manager_informer_restarts_total 3");
    expect(text).toContain('update_manager_kubernetes_api_requests_total{verb="patch",resource="deployments.apps",code="200"} 2');
    expect(text).toContain('update_manager_kubernetes_api_requests_total{verb="list",resource="jobs.batch",code="0"} 1');
  });

  it("has no informer series without informers (embedded cluster)", async () => {
    const registry = new Registry();
    createRuntimeMetrics(registry, { version: "1", cachesSynced: () => true, leading: () => true });
    const text = await registry.metrics();
    expect(text).not.toContain("update_manager_informer_restarts_total");
    expect(text).toContain('revision="unknown"');
  });
});
