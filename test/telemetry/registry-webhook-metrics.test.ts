import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { createRegistryWebhookMetrics } from "../../src/telemetry/registry-webhook-metrics.js";

describe("registry webhook metrics", () => {
  it("counts requests by endpoint and outcome", async () => {
    const registry = new Registry();
    const onRequest = createRegistryWebhookMetrics(registry);
    onRequest("hub", "accepted");
    onRequest("hub", "unauthorized");
    onRequest("hub", "unauthorized");

    const text = await registry.metrics();
    expect(text).toContain('update_manager_registry_webhooks_total{endpoint="hub",outcome="accepted"} 1');
    expect(text).toContain('update_manager_registry_webhooks_total{endpoint="hub",outcome="unauthorized"} 2');
  });
});
