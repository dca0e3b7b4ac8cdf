import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { ServerReflection } from "../gen/grpc/reflection/v1/reflection_pb.js";
import { NodePlanService } from "../gen/updatemanager/v1/node_plan_service_pb.js";
import { createApplication } from "../src/app.js";
import { createSimulatedCluster } from "../src/cluster/simulated/simulated-cluster.js";
import { loadConfig } from "../src/config/load-config.js";
import { silentLogger } from "../src/core/ports/logger.js";
import { type DashboardAssets, dashboardAsset } from "../src/dashboard/dashboard-assets.js";
import { createFakeClock } from "./support/fake-clock.js";

// The composition root's readiness: what /readyz answers (src/main.ts adds only "starting" and "shutting down").
async function application(loadDashboard: () => Promise<DashboardAssets>) {
  const clock = createFakeClock();
  const cluster = createSimulatedCluster({ clock });
  const config = loadConfig({ UPDATE_MANAGER_CLUSTER: "embedded", UPDATE_MANAGER_WATCH_REGISTRIES: "false" }, []);
  const app = await createApplication({ config, logger: silentLogger, cluster, clock, loadDashboard });
  return { app, clock };
}

async function loaded(): Promise<DashboardAssets> {
  return { files: new Map([["/", dashboardAsset("text/html; charset=utf-8", "no-cache", "<!doctype html>")]]), loadMs: 1 };
}

async function until(condition: () => boolean, flush: () => Promise<void>): Promise<void> {
  for (let turn = 0; turn < 50 && !condition(); turn++) await flush();
  expect(condition()).toBe(true);
}

describe("the application's readiness", () => {
  it("is not ready, saying why, until the engine started, then ready with nothing degraded", async () => {
    const { app, clock } = await application(loaded);
    expect(app.readiness()).toEqual({ ready: false, reason: expect.stringMatching(/not synced|starting/), detail: [] });
    await app.start();
    await until(() => app.readiness().ready, () => clock.flush());
    expect(app.readiness()).toEqual({ ready: true, detail: [] });
    await app.close();
  });

  it("stays ready but lists a dashboard that failed to load, with the reason", async () => {
    const { app, clock } = await application(async () => {
      throw new Error("no dashboard bundle in /srv/dist/dashboard/ (run npm run build)");
    });
    await app.start();
    await until(() => app.readiness().ready && app.readiness().detail.length > 0, () => clock.flush());
    expect(app.readiness().detail).toEqual([
      "dashboard: not available: no dashboard bundle in /srv/dist/dashboard/ (run npm run build)",
    ]);
    await app.close();
  });
});

describe("the application's services", () => {
  it("serves NodePlanService beside UpdateService, listed by reflection; without plans it says why", async () => {
    const { app } = await application(loaded);
    const transport = createRouterTransport((router) => app.routes(router, { shutdownSignal: new AbortController().signal }), {
      router: { interceptors: app.interceptors },
    });
    async function* ask() {
      yield { messageRequest: { case: "listServices" as const, value: "" } };
    }
    const names: string[] = [];
    for await (const response of createClient(ServerReflection, transport).serverReflectionInfo(ask())) {
      if (response.messageResponse.case === "listServicesResponse") names.push(...response.messageResponse.value.service.map((s) => s.name));
      break;
    }
    expect(names).toContain("updatemanager.v1.NodePlanService");
    // A cluster handed to the application (as tests do) runs no node plans: only a real cluster (with
    // UPDATE_MANAGER_NODE_PLANS) or the embedded demo does.
    const plans = createClient(NodePlanService, transport);
    expect(await plans.listNodePlans({})).toMatchObject({ plans: [], disabled: true });
    const refused = await plans.getNodePlan({ name: "k3os-latest" }).catch((error: unknown) => ConnectError.from(error));
    expect(refused).toMatchObject({ code: Code.FailedPrecondition });
    expect((refused as ConnectError).rawMessage).toContain("does not run node upgrade plans");
    await app.close();
  });
});

describe("the application's node plans and notifications", () => {
  it("announces once on a webhook channel that the embedded demo's plan started applying", async () => {
    const received: Array<Record<string, unknown>> = [];
    let arrived: () => void = () => {};
    const first = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        received.push(JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>);
        response.end();
        arrived();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const clock = createFakeClock(new Date("2026-12-07T10:00:00Z"));
    const config = loadConfig({ UPDATE_MANAGER_CLUSTER: "embedded", UPDATE_MANAGER_WATCH_REGISTRIES: "false" }, []);
    const app = await createApplication({
      config,
      logger: silentLogger,
      clock,
      loadDashboard: loaded,
      notifications: {
        source: "test",
        channels: [{ type: "webhook", name: "hook", url: `http://127.0.0.1:${port}/`, timeoutMs: 5_000 }],
        routes: [{ events: ["node-plan-started", "node-plan-failed"], channels: ["hook"] }],
        rateLimitPerMinute: 20,
        maxFindingsPerChannel: 10_000,
        attempts: 1,
        backoffMs: 1_000,
      },
    });
    try {
      await app.start();
      // The demo plan claims its first node within its first passes; then the message is on its way.
      for (let step = 0; step < 30; step++) await clock.advanceAsync(100);
      let timer: NodeJS.Timeout | undefined;
      const noMessage = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("no notification within 5 s")), 5_000);
      });
      await Promise.race([first, noMessage]).finally(() => clearTimeout(timer));
      // The rest of the plan (two more nodes) claims nothing that is announced again.
      for (let second = 0; second < 60; second++) await clock.advanceAsync(1_000);
    } finally {
      await app.close();
      await new Promise((resolve) => server.close(resolve));
    }
    expect(received.map((message) => message["event"])).toEqual(["node-plan-started"]);
    expect(received[0]?.["text"]).toMatch(/^node plan started: node plan demo-os: applying /);
  });
});
