import * as http from "node:http";
import { Counter, Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import {
  type AdminServer,
  type AdminServerOptions,
  createAdminServer,
  type Readiness,
} from "../../src/server/admin-server.js";

const servers: AdminServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(options: Partial<AdminServerOptions> = {}) {
  const server = createAdminServer({ host: "127.0.0.1", port: 0, ...options });
  servers.push(server);
  await server.listen();
  return { server, url: `http://127.0.0.1:${server.address().port}` };
}

describe("createAdminServer", () => {
  it("answers /healthz with 200 while the process runs", async () => {
    const { url } = await start({ ready: () => false });
    const response = await fetch(`${url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("ok\n");
  });

  it("answers /readyz with 200 only when ready() says so, else 503 with the reason", async () => {
    let readiness: boolean | { ready: boolean; reason?: string } = { ready: false, reason: "caches not synced" };
    const { url } = await start({ ready: () => readiness });

    const notReady = await fetch(`${url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toBe("not ready: caches not synced\n");

    readiness = true;
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);

    readiness = false;
    const plainFalse = await fetch(`${url}/readyz`);
    expect(plainFalse.status).toBe(503);
    expect(await plainFalse.text()).toBe("not ready: not ready\n");
  });

  it("lists degraded parts under the answer, ready or not", async () => {
    let readiness: Readiness = { ready: true, detail: ["dashboard: not available: no dashboard bundle"] };
    const { url } = await start({ ready: () => readiness });
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toBe("ready\ndashboard: not available: no dashboard bundle\n");

    readiness = { ready: false, reason: "the UpdateRun store is not synced yet", detail: ["dashboard: not available: x"] };
    const notReady = await fetch(`${url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toBe("not ready: the UpdateRun store is not synced yet\ndashboard: not available: x\n");
  });

  it("treats a readiness check that throws as not ready", async () => {
    const { url } = await start({
      ready: () => {
        throw new Error("boom");
      },
    });
    const response = await fetch(`${url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.text()).toContain("boom");
  });

  it("serves the registry as Prometheus text on /metrics", async () => {
    const registry = new Registry();
    const counter = new Counter({ name: "test_things_total", help: "Things.", registers: [registry] });
    counter.inc(3);
    const { url } = await start({ metrics: registry });
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    expect(await response.text()).toContain("test_things_total 3");
  });

  it("answers 404 for other paths and for /metrics without a registry, 405 for other methods", async () => {
    const { url } = await start();
    expect((await fetch(`${url}/`)).status).toBe(404);
    expect((await fetch(`${url}/metrics`)).status).toBe(404);
    expect((await fetch(`${url}/healthz`, { method: "POST" })).status).toBe(405);
    expect((await fetch(`${url}/healthz?verbose=1`)).status).toBe(200);
  });

  it("closes promptly with an idle keep-alive connection open", async () => {
    const { server, url } = await start();
    const agent = new http.Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      http
        .get(`${url}/healthz`, { agent }, (response) => {
          response.resume();
          response.on("end", () => resolve());
        })
        .on("error", reject);
    });
    await server.close();
    agent.destroy();
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
