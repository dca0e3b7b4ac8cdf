/**
 * The server process bench/watch-fanout.bench.ts measures: src/main.ts's composition (configuration from the
 * environment, access control, metrics and tracing interceptors, the API server with its HTTP/2 limits, the admin
 * port) on the embedded simulated cluster and the memory store, with two changes a production process cannot be
 * given: the cluster's controllers step every FANOUT_ROLLOUT_STEP_MS, and progress events are coalesced to one per
 * FANOUT_PROGRESS_INTERVAL_MS (1000 in production, which caps an update at about one event a second). It seeds
 * FANOUT_WORKLOADS Deployments `fanout/svc-NN` (classifier `fanout`, FANOUT_REPLICAS replicas, one repository each)
 * and prints one JSON line `{"apiUrl", "adminUrl"}` once both ports listen. SIGUSR2 runs a full garbage
 * collection (with --expose-gc).
 */
import { trace } from "@opentelemetry/api";
import { createApplication } from "../src/app.js";
import { loadAccessControlConfig } from "../src/auth/load-access-control-config.js";
import { createSimulatedCluster } from "../src/cluster/simulated/simulated-cluster.js";
import { loadConfig } from "../src/config/load-config.js";
import { createMetadataKeys } from "../src/core/domain/metadata-keys.js";
import { createAdminServer } from "../src/server/admin-server.js";
import { createApiServer } from "../src/server/api-server.js";
import { createHttp1Router } from "../src/server/http1-router.js";
import { createLogger } from "../src/telemetry/logger.js";
import { createMetricsInterceptor, createMetricsRegistry } from "../src/telemetry/metrics.js";
import { createTracingInterceptor } from "../src/telemetry/tracing.js";

const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const workloads = number("FANOUT_WORKLOADS", 20);
const replicas = number("FANOUT_REPLICAS", 400);

const config = loadConfig(process.env, []);
const logger = createLogger(config.log);
const metrics = createMetricsRegistry();
const keys = createMetadataKeys(config.keyPrefix);
const cluster = createSimulatedCluster({ keys, legacyAnnotation: config.legacyAnnotation, rolloutStepMs: number("FANOUT_ROLLOUT_STEP_MS", 100) });
for (let i = 0; i < workloads; i++) {
  const name = `svc-${String(i).padStart(2, "0")}`;
  cluster.addWorkload({
    kind: "Deployment",
    namespace: "fanout",
    name,
    classifier: "fanout",
    replicas,
    maxSurge: 1,
    maxUnavailable: 0,
    containers: [{ name: "app", image: `registry.example.com/fanout/${name}:1.0.0` }],
  });
}
const app = await createApplication({
  config,
  accessControl: loadAccessControlConfig(process.env),
  logger,
  metrics,
  cluster,
  engineOptions: { progressIntervalMs: number("FANOUT_PROGRESS_INTERVAL_MS", 200) },
  interceptors: [createTracingInterceptor(trace.getTracer("update-manager")), createMetricsInterceptor(metrics)],
});
const api = createApiServer({
  routes: (router, context) => app.routes(router, context),
  host: config.listen.host,
  port: config.listen.port,
  maxRequestBytes: config.maxRequestBytes,
  interceptors: app.interceptors,
  http1Fallback: createHttp1Router(app.http1Handlers),
  logger: logger.child({ component: "api-server" }),
  shutdownGraceMs: config.shutdownGraceMs,
});
const admin = createAdminServer({ host: config.admin.host, port: config.admin.port, metrics, ready: () => app.readiness() });
await admin.listen();
await app.start();
await api.listen();
const url = (address: { host: string; port: number }) => `http://${address.host.includes(":") ? `[${address.host}]` : address.host}:${address.port}`;
process.stdout.write(`${JSON.stringify({ apiUrl: url(api.address()), adminUrl: url(admin.address()) })}\n`);
// The benchmark's "after a full garbage collection" figures (the process runs with --expose-gc).
process.on("SIGUSR2", () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
});
process.on("SIGTERM", () => {
  void (async () => {
    await api.close();
    await app.close();
    await admin.close();
    process.exit(0);
  })();
});
