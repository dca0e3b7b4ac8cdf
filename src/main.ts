/**
 * The server process: configuration, logging, the API and admin ports, and an orderly shutdown on SIGTERM/SIGINT.
 * Run it as `npm start` (builds dist/ when stale) or, built, as `npm run serve`
 * (`node --enable-source-maps --max-semi-space-size=2 --import ./dist/src/telemetry/preload.js ./dist/src/main.js`; the
 * small young generation keeps RSS down: see BENCHMARKS.md, "memory").
 *
 * Exit codes: 0 after a clean shutdown, 2 for an invalid configuration, 1 for anything else (an unhandled promise
 * rejection included).
 */
import { trace } from "@opentelemetry/api";
import { createApplication } from "./app.js";
import type { Config } from "./config/config.js";
import { ConfigError } from "./config/config-error.js";
import { installCrashHandlers } from "./crash-handlers.js";
import { loadConfig } from "./config/load-config.js";
import { createAdminServer } from "./server/admin-server.js";
import { type AccessControlConfig, loadAccessControlConfig } from "./auth/load-access-control-config.js";
import { checkApproverCapacity } from "./policy/approver-capacity.js";
import { loadPolicyConfig, type PolicyConfig } from "./policy/load-policy-config.js";
import { createApiServer } from "./server/api-server.js";
import { loadNotificationsConfig } from "./notify/load-notifications-config.js";
import type { NotificationsConfig } from "./notify/notifications-config.js";
import { loadWebhooksConfig } from "./webhooks/load-webhooks-config.js";
import type { WebhooksConfig } from "./webhooks/webhooks-config.js";
import { createHttp1Router } from "./server/http1-router.js";
import { readTlsFiles, type TlsFileWatcher, watchTlsFiles } from "./server/tls-file-watcher.js";
import { createLogger, type Logger } from "./telemetry/logger.js";
import { createMetricsInterceptor, createMetricsRegistry } from "./telemetry/metrics.js";
import { shutdownTelemetrySdk, telemetrySdkRunning } from "./telemetry/telemetry-sdk.js";
import { registerTraceContextPropagation } from "./telemetry/trace-context-propagation.js";
import { createTracingInterceptor } from "./telemetry/tracing.js";
import { createUpdateTracer } from "./telemetry/update-tracer.js";

/** Time left after the shutdown grace period for the application and the admin port to close. */
const shutdownMarginMs = 900;

/**
 * The configurations (process, access control, policies, notifications), or exit 2 listing every problem, an
 * approval policy that needs more approvers than the access configuration can have included.
 */
function readConfig(): {
  config: Config;
  accessControl: AccessControlConfig;
  policies: PolicyConfig;
  notifications: NotificationsConfig | undefined;
  webhooks: WebhooksConfig | undefined;
} {
  const problems: string[] = [];
  const attempt = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
      return undefined;
    }
  };
  const config = attempt(() => loadConfig(process.env, process.argv.slice(2)));
  const accessControl = attempt(() => loadAccessControlConfig(process.env));
  const policies = attempt(() => loadPolicyConfig(process.env));
  const notifications = attempt(() => loadNotificationsConfig(process.env));
  const webhooks = attempt(() => loadWebhooksConfig(process.env));
  if (webhooks !== undefined && config !== undefined && !config.registryWatch.enabled) {
    problems.push(`${webhooks.source}: registry webhooks ask the registry watcher to check, but UPDATE_MANAGER_WATCH_REGISTRIES is false`);
  }
  if (config !== undefined && accessControl !== undefined && policies !== undefined) {
    problems.push(
      ...checkApproverCapacity(
        policies.approvals,
        { accessControl, fullScopeKey: config.apiKey !== undefined, insecureDemo: config.insecureDemo },
        `UPDATE_MANAGER_POLICIES_FILE (${process.env["UPDATE_MANAGER_POLICIES_FILE"] ?? ""})`,
      ),
    );
  }
  if (config === undefined || accessControl === undefined || policies === undefined || problems.length > 0) {
    process.stderr.write(`update-manager: ${new ConfigError(problems).message}\n`);
    process.exit(2);
  }
  return { config, accessControl, policies, notifications, webhooks };
}

async function main(): Promise<void> {
  const { config, accessControl, policies, notifications, webhooks } = readConfig();
  const logger = createLogger(config.log);
  installCrashHandlers({ logger });

  // Without the SDK (nothing exported), a caller's traceparent still sets the update's trace id.
  if (!telemetrySdkRunning()) registerTraceContextPropagation();
  const metrics = createMetricsRegistry();
  let app: Awaited<ReturnType<typeof createApplication>>;
  try {
    app = await createApplication({
      config,
      accessControl,
      policies,
      ...(notifications === undefined ? {} : { notifications }),
      ...(webhooks === undefined ? {} : { webhooks }),
      logger,
      metrics,
      tracer: createUpdateTracer(trace.getTracer("update-manager")),
      interceptors: [createTracingInterceptor(trace.getTracer("update-manager")), createMetricsInterceptor(metrics)],
    });
  } catch (error) {
    for (const notice of config.notices) logger.info(notice);
    if (error instanceof ConfigError) {
      // Found by asking the cluster (node plans' permissions): still the configuration's fault.
      logger.fatal({ problems: error.problems }, "invalid configuration");
      process.stderr.write(`update-manager: ${error.message}\n`);
      process.exit(2);
    }
    exitOnFailure(logger, error, "the application could not be created");
  }
  logger.info({ mode: app.mode }, app.description);
  logger.info(
    { insecureDemo: config.insecureDemo },
    config.insecureDemo
      ? `insecure demo mode is on (${config.insecureDemoReason}): callers without a credential may run updates`
      : `insecure demo mode is off (${config.insecureDemoReason}): mutating calls need a credential`,
  );
  for (const notice of config.notices) logger.info(notice);

  let apiListening = false;
  let shuttingDown = false;
  const api = createApiServer({
    routes: (router, context) => app.routes(router, context),
    host: config.listen.host,
    port: config.listen.port,
    maxRequestBytes: config.maxRequestBytes,
    tls: config.tls === undefined ? undefined : readTlsFiles(config.tls),
    interceptors: app.interceptors,
    http1Fallback: createHttp1Router(app.http1Handlers),
    logger: logger.child({ component: "api-server" }),
    shutdownGraceMs: config.shutdownGraceMs,
  });
  // Renewed certificates are served to new connections without a restart.
  const tlsWatcher: TlsFileWatcher | undefined =
    config.tls === undefined
      ? undefined
      : watchTlsFiles({ files: config.tls, apply: (material) => api.updateTls(material), logger: logger.child({ component: "tls" }) });
  const admin = createAdminServer({
    host: config.admin.host,
    port: config.admin.port,
    metrics,
    logger: logger.child({ component: "admin-server" }),
    ready: () => {
      if (shuttingDown) return { ready: false, reason: "shutting down" };
      const readiness = app.readiness();
      if (!apiListening) return { ready: false, reason: "starting", detail: readiness.detail };
      return readiness;
    },
  });

  const shutdown = async (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      logger.warn({ signal }, "second signal during shutdown: exiting now");
      process.exit(1);
    }
    shuttingDown = true;
    logger.info({ signal }, "shutting down");
    // The backstop: whatever hangs, the process is gone shortly after the grace period.
    setTimeout(() => {
      logger.error({ graceMs: config.shutdownGraceMs }, "shutdown took too long: exiting");
      process.exit(1);
    }, config.shutdownGraceMs + shutdownMarginMs).unref();
    try {
      app.health.shutdown();
      tlsWatcher?.close();
      await api.close();
      await app.close();
      await admin.close();
      await shutdownTelemetrySdk();
      logger.info("stopped");
      process.exit(0);
    } catch (error) {
      exitOnFailure(logger, error, "shutdown failed");
    }
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));

  try {
    // Probes answer while the application starts (not ready yet); the API port opens once it has.
    await admin.listen();
    logger.info({ ...admin.address(), protocol: "http" }, "admin server listening");
    await app.start();
    await api.listen();
    apiListening = true;
    logger.info({ ...api.address(), protocol: config.tls === undefined ? "http" : "https" }, "api server listening");
  } catch (error) {
    if (shuttingDown) return;
    exitOnFailure(logger, error, "the server could not start");
  }
}

function exitOnFailure(logger: Logger, error: unknown, message: string): never {
  logger.fatal({ err: error }, message);
  process.exit(1);
}

await main();
