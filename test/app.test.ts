import { describe, expect, it } from "vitest";
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
