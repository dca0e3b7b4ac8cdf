import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApplication, type Application } from "../../src/app.js";
import { createSimulatedCluster, type SimulatedCluster } from "../../src/cluster/simulated/simulated-cluster.js";
import { loadConfig } from "../../src/config/load-config.js";
import { registryWatcherRequester } from "../../src/core/use-cases/watch-registries.js";
import { silentLogger } from "../../src/core/ports/logger.js";
import { type ApiServer, createApiServer } from "../../src/server/api-server.js";
import { createHttp1Router } from "../../src/server/http1-router.js";
import { UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";
import { freePort, startRegistry, type TestRegistry } from "../support/registry.js";
import { startTogether } from "../support/start-together.js";

/**
 * Registry webhooks end to end: Debian's docker-registry (distribution 2.8) with a `notifications.endpoints`
 * entry pointing at the manager's API port (`/webhooks/registry`, Authorization header), the composition root
 * (src/app.ts) on a simulated cluster, and a skopeo push. The watch interval is 24 h: only the webhook can make
 * the watcher look again within the test.
 */
const apiKey = "registry-webhook-test-key-0123456789";
const authorization = "Bearer registry-notifications-7c1f";
let dir: string;
let good: TestRegistry;
let misconfigured: TestRegistry;
let app: Application;
let server: ApiServer;
let cluster: SimulatedCluster;
let baseUrl: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "um-webhooks-"));
  const secretFile = join(dir, "registry-authorization");
  await writeFile(secretFile, `${authorization}\n`);
  // The manager's port first: the registries are told where to send their notifications when they start.
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/webhooks/registry`;
  [good, misconfigured] = await startTogether(
    startRegistry({ notifications: { url, headers: { Authorization: authorization } } }),
    startRegistry({ notifications: { url, headers: { Authorization: "Bearer a-wrong-secret" } } }),
  );
  await Promise.all([
    ...["1.0.0", "2.0.0"].map((tag) => good.pushImage("team/web", tag)),
    ...["3.0.0", "4.0.0"].map((tag) => misconfigured.pushImage("team/api", tag)),
  ]);
  cluster = createSimulatedCluster({ rolloutStepMs: 5, jobDurationMs: 5 });
  const config = loadConfig(
    {
      UPDATE_MANAGER_CLUSTER: "embedded",
      UPDATE_MANAGER_API_KEY: apiKey,
      UPDATE_MANAGER_INSECURE_REGISTRIES: `${good.host},${misconfigured.host}`,
      UPDATE_MANAGER_WATCH_INTERVAL: "24h",
    },
    [],
  );
  app = await createApplication({
    config,
    logger: silentLogger,
    cluster,
    webhooks: {
      source: "test",
      endpoints: [{ name: "registry", type: "distribution", secretFile }],
      rateLimitPerMinute: 600,
      maxBodyBytes: 256 * 1024,
    },
  });
  server = createApiServer({
    routes: (router, context) => app.routes(router, context),
    host: "127.0.0.1",
    port,
    interceptors: app.interceptors,
    http1Fallback: createHttp1Router(app.http1Handlers),
  });
  for (const [name, registry, repository, tag] of [
    ["web", good, "team/web", "1.0.0"],
    ["api", misconfigured, "team/api", "3.0.0"],
  ] as const) {
    cluster.addWorkload({
      kind: "Deployment",
      namespace: "shop",
      name,
      classifier: "prod",
      annotations: { "update-manager.io/policy": "semver:patch" },
      containers: [{ name, image: `${registry.host}/${repository}:${tag}` }],
    });
  }
  await app.start();
  await server.listen();
  baseUrl = `http://127.0.0.1:${port}`;
}, 120_000);

afterAll(async () => {
  app?.health.shutdown();
  await server?.close();
  await app?.close();
  await Promise.all([good?.stop(), misconfigured?.stop()]);
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** Polls `probe` every 50 ms until it returns a value; fails naming `what` after `timeoutMs`. */
async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const imageOf = (name: string) => cluster.getWorkload({ kind: "Deployment", namespace: "shop", name })?.containers[0]?.image;

describe("registry webhooks from a real registry", () => {
  it("a skopeo push makes the watcher re-check at once and update; a notification with the wrong Authorization re-checks nothing", async () => {
    const client = createClient(UpdateService, createConnectTransport({ baseUrl, httpVersion: "1.1" }));
    const headers = { authorization: `Bearer ${apiKey}` };
    // The start-up cycle has checked both workloads: each one's new major is known, beyond its policy.
    await until("the first cycle's findings", async () => {
      const { availableUpdates } = await client.listAvailableUpdates({}, { headers });
      return availableUpdates.length === 2 ? availableUpdates : undefined;
    });

    // The misconfigured registry's notification of a new patch is refused (the registry logs the 401 it got)...
    await misconfigured.pushImage("team/api", "3.0.1");
    await until("the registry to log the refused notification", () => (/401 Unauthorized/.test(misconfigured.log()) ? true : undefined));
    // ...and the good one's leads to the update, in a cycle that would also have checked "api" had it been marked due.
    await good.pushImage("team/web", "1.0.1");
    await until("web to run 1.0.1", () => (imageOf("web") === `${good.host}/team/web:1.0.1` ? true : undefined));

    const { updates } = await client.listUpdates({ requester: registryWatcherRequester }, { headers });
    expect(updates.map((update) => update.image)).toEqual([`${good.host}/team/web:1.0.1`]);
    expect(imageOf("api")).toBe(`${misconfigured.host}/team/api:3.0.0`);
  }, 120_000);
});
