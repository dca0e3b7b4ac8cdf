import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it, vi } from "vitest";
import { systemClock } from "../src/core/ports/clock.js";
import { silentLogger } from "../src/core/ports/logger.js";
import * as kubernetes from "../src/kubernetes-composition.js";
import { createNodePlans, type NodePlans } from "../src/node-plans-composition.js";
import { createInformerMetrics } from "../src/telemetry/informer-metrics.js";
import { createRuntimeMetrics } from "../src/telemetry/runtime-metrics.js";

let server: Server | undefined;
let plans: NodePlans | undefined;

afterEach(async () => {
  await plans?.stop();
  plans = undefined;
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/** A loopback API server with no plans, nodes, Jobs or budgets: lists are empty, watches stay open and quiet. */
async function emptyApiServer(): Promise<KubeConfig> {
  server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://x");
    response.writeHead(200, { "content-type": "application/json" });
    if (url.searchParams.get("watch") === "true") response.flushHeaders();
    else response.end(JSON.stringify({ metadata: { resourceVersion: "1" }, items: [] }));
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: "fake", server: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: "u", token: "t" }],
    contexts: [{ name: "c", cluster: "fake", user: "u" }],
    currentContext: "c",
  });
  return kubeConfig;
}

describe("createNodePlans", () => {
  it("makes its Kubernetes requests on the process's connection, so they are counted with every other API request", async () => {
    const registry = new Registry();
    const runtime = createRuntimeMetrics(registry, { version: "0.0.0", cachesSynced: () => true, leading: () => false });
    const clients = kubernetes.createKubernetesClients(await emptyApiServer(), {
      onApiRequest: runtime.onApiRequest,
      informerEvents: createInformerMetrics(registry),
    });
    plans = createNodePlans({
      kubernetes,
      clients,
      namespace: "system-upgrade",
      keyPrefix: "update-manager.io",
      channelIntervalMs: 60_000,
      canExecute: () => false,
      clock: systemClock,
      logger: silentLogger,
    });
    plans.start();
    await vi.waitFor(
      async () => {
        const text = await registry.metrics();
        expect(text).toContain('update_manager_kubernetes_api_requests_total{verb="list",resource="nodes",code="200"} 1');
        expect(text).toContain('update_manager_kubernetes_api_requests_total{verb="list",resource="nodeupgradeplans.updatemanager.io",code="200"} 1');
      },
      { timeout: 5_000, interval: 20 },
    );
    // Its informers report to the same metrics: their series exist from the start.
    expect(await registry.metrics()).toContain('update_manager_informer_relists_total{resource="nodes"} 0');
  });
});
