import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { createApplication, type Application } from "../../src/app.js";
import type { AccessControlConfig } from "../../src/auth/load-access-control-config.js";
import { seedDemoCluster } from "../../src/cluster/simulated/demo-seed.js";
import { createSimulatedCluster, type SimulatedCluster } from "../../src/cluster/simulated/simulated-cluster.js";
import { loadConfig } from "../../src/config/load-config.js";
import { silentLogger } from "../../src/core/ports/logger.js";
import { type ApiServer, type ApiServerOptions, createApiServer } from "../../src/server/api-server.js";
import { createHttp1Router } from "../../src/server/http1-router.js";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";
import { createFakeClock, type FakeClock } from "../support/fake-clock.js";

/** The full-scope key of the in-process application. */
export const testApiKey = "test-api-key-0123456789";

export interface InProcessApp {
  readonly app: Application;
  readonly server: ApiServer;
  readonly port: number;
  readonly baseUrl: string;
  readonly clock: FakeClock;
  /** The embedded demo cluster (seeded); `writes()` is everything the manager wrote. */
  readonly cluster: SimulatedCluster;
  /** Health/Check of the UpdateService over HTTP/1.1 Connect, as a probe would ask. */
  serving(): Promise<boolean>;
  close(): Promise<void>;
}

export interface InProcessAppOptions {
  /** Extra variables for loadConfig (over an embedded cluster with `testApiKey`). */
  readonly env?: Record<string, string>;
  /** Named keys and limits. Default: none, generous limits (the limit tests set their own). */
  readonly accessControl?: Partial<AccessControlConfig>;
  /** Options of the API server. */
  readonly server?: Partial<ApiServerOptions>;
}

/**
 * The real composition root (createApplication) on the embedded demo cluster and a fake clock,
 * behind a real API server on a loopback port: what the process serves, minus the process.
 */
export async function startInProcessApp(options: InProcessAppOptions = {}): Promise<InProcessApp> {
  const clock = createFakeClock(new Date("2025-01-01T00:00:00Z"));
  const cluster = createSimulatedCluster({ clock });
  seedDemoCluster(cluster);
  const config = loadConfig(
    { UPDATE_MANAGER_CLUSTER: "embedded", UPDATE_MANAGER_INSECURE_DEMO: "false", UPDATE_MANAGER_API_KEY: testApiKey, ...options.env },
    [],
  );
  const app = await createApplication({
    config,
    accessControl: {
      keys: [],
      writeLimit: { perMinute: 6000, burst: 1000 },
      readLimit: { perMinute: 60000, burst: 10000 },
      reflection: "open",
      ...options.accessControl,
    },
    logger: silentLogger,
    cluster,
    clock,
  });
  const server = createApiServer({
    routes: (router, context) => app.routes(router, context),
    host: "127.0.0.1",
    port: 0,
    interceptors: app.interceptors,
    http1Fallback: createHttp1Router(app.http1Handlers),
    ...options.server,
  });
  await app.start();
  await server.listen();
  const { port } = server.address();
  const scheme = options.server?.tls === undefined ? "http" : "https";
  const baseUrl = `${scheme}://127.0.0.1:${port}`;
  const health = createClient(Health, createConnectTransport({ baseUrl, httpVersion: "1.1" }));
  const serving = async () =>
    (await health.check({ service: UpdateService.typeName })).status === HealthCheckResponse_ServingStatus.SERVING;
  // The engine starts once the (simulated) caches synced: a few promise turns.
  for (let turn = 0; turn < 20 && !(await serving()); turn++) await clock.flush();
  return {
    app,
    server,
    port,
    baseUrl,
    clock,
    cluster,
    serving,
    async close() {
      app.health.shutdown();
      await server.close();
      await app.close();
    },
  };
}
