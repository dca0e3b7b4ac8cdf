import { readFileSync } from "node:fs";
import { packageRoot } from "./package-root.js";
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import type { Registry } from "prom-client";
import { createAccessControl } from "./auth/access-control.js";
import type { AccessControlConfig } from "./auth/load-access-control-config.js";
import { defaultReadLimit, defaultWriteLimit } from "./auth/rate-limiter.js";
import { updateFinder } from "./auth/rpc-authorization.js";
import { registerNodePlanService } from "./api/node-plan-service.js";
import { registerUpdateService } from "./api/update-service.js";
import type { SimulatedCluster } from "./cluster/simulated/simulated-cluster.js";
import { createMetadataKeys } from "./core/domain/metadata-keys.js";
import type { Config } from "./config/config.js";
import { type Clock, systemClock } from "./core/ports/clock.js";
import type { CoreLogger } from "./core/ports/logger.js";
import type { UpdateTracer } from "./core/ports/update-tracer.js";
import type { UpdateEngineOptions } from "./core/use-cases/update-engine-options.js";
import { createHealthService } from "./server/health-service.js";
import type { Http1Handler } from "./server/http1-router.js";
import { createReflectionService } from "./server/reflection-service.js";
import type { DashboardAssets } from "./dashboard/dashboard-assets.js";
import { createDashboardHandler } from "./dashboard/dashboard-handler.js";
import { createUpdateEngineStartup } from "./update-engine-startup-composition.js";
import { engineNotReadyReason } from "./engine-not-ready-reason.js";
import { createFailureMetrics } from "./telemetry/failure-metrics.js";
import { defaultPolicyConfig, type PolicyConfig } from "./policy/load-policy-config.js";
import { createRegistryWatch } from "./registry-watch-composition.js";
import { createNotifications } from "./notifications-composition.js";
import type { NotificationsConfig } from "./notify/notifications-config.js";
import { updateNotifications } from "./core/use-cases/notify-update-events.js";
import { observeUpdateStore } from "./core/use-cases/observe-update-store.js";
import type { AlertQuery } from "./core/ports/alert-query.js";
import type { WebhooksConfig } from "./webhooks/webhooks-config.js";
import { createConfiguredNodePlans } from "./configured-node-plans-composition.js";
import { createHttp1Handlers } from "./http1-handlers-composition.js";
import { createUpdatePersistence } from "./update-persistence-composition.js";
import { createConfiguredUpdateManager } from "./configured-update-manager-composition.js";
import { createConfiguredCluster, loadKubernetes } from "./configured-cluster-composition.js";
import { createRuntimeMetrics } from "./telemetry/runtime-metrics.js";
import { createUpdateMetrics } from "./telemetry/update-metrics.js";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { UpdateService } from "../gen/updatemanager/v1/update_service_pb.js";
import { NodePlanService } from "../gen/updatemanager/v1/node_plan_service_pb.js";

/** What the composition root needs from the configuration. */
export type ApplicationConfig = Pick<
  Config,
  "cluster" | "apiKey" | "insecureDemo" | "keyPrefix" | "legacyAnnotation" | "defaultUpdateTimeoutMs" | "queueTimeoutMs" | "restStrictNoTargets" | "reflection" | "namespaces"
  // Durable updates.
  | "store" | "managerNamespace" | "identity" | "leaderElection" | "retention"
  // Registry watching.
  | "registryWatch"
  // Node upgrade plans.
  | "nodePlans"
  // Build info.
  | "revision"
>;

export interface Application {
  readonly mode: "embedded" | "kubernetes";
  /** One line for the first log line: which cluster and why. */
  readonly description: string;
  /** Registers every Connect service (UpdateService, NodePlanService, health, reflection). */
  routes(router: ConnectRouter, context: { shutdownSignal: AbortSignal }): void;
  /** Interceptors to install on the API port (auth, ...), outermost first. */
  readonly interceptors: Interceptor[];
  /** Plain HTTP/1.1 handlers on the API port, tried in order (REST drop-in, dashboard). */
  readonly http1Handlers: readonly Http1Handler[];
  /**
   * Whether the process should get traffic: the update engine started (caches synced, the UpdateRun store
   * readable), with the reason when not. `detail` lists degraded parts that do not stop the API (the dashboard).
   */
  readiness(): { ready: boolean; reason?: string; detail: string[] };
  /** Starts the engine in the background, retried with backoff until it runs; resolves at once. */
  start(): Promise<void>;
  /** Called on shutdown after the API server stopped accepting. */
  close(): Promise<void>;
  /** The health registry, set NOT_SERVING on shutdown. */
  readonly health: { shutdown(): void };
}

const updateServiceName = UpdateService.typeName;

/** The package's version, for the build info metric. */
function packageVersion(): string {
  const text = readFileSync(new URL("package.json", packageRoot), "utf8");
  return (JSON.parse(text) as { version?: string }).version ?? "unknown";
}

/** The first log line's account of the cluster: which one, why, and which namespaces. */
function describeCluster(config: Pick<ApplicationConfig, "cluster" | "namespaces">): string {
  return config.cluster.mode === "embedded"
    ? `using the embedded simulated cluster (${config.cluster.reason}): demo workloads, nothing real is changed`
    : `using the Kubernetes cluster (${config.cluster.reason}), ${
        config.namespaces.all ? "all namespaces" : `namespaces ${config.namespaces.names.join(", ")}`
      }`;
}

/** How long a shutdown waits for queued step Events. */
const stepEventsFlushMs = 2_000;

/** Resolves when `promise` settles or after `ms`, whichever comes first. */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([promise.catch(() => undefined), elapsed]);
  clearTimeout(timer);
}

const defaultAccessControl: AccessControlConfig = {
  keys: [],
  writeLimit: defaultWriteLimit,
  readLimit: defaultReadLimit,
  reflection: "open",
};

/**
 * The composition root: picks the adapters for the configured cluster and wires them to the core
 * and the API. The only place that knows every layer.
 */
export async function createApplication(deps: {
  config: ApplicationConfig;
  /** Scoped keys, CI identity tokens, rate limits. Default: only UPDATE_MANAGER_API_KEY, default limits. */
  accessControl?: AccessControlConfig;
  /** Approval policies and the freeze policy (UPDATE_MANAGER_POLICIES_FILE). Default: none, new updates refused while frozen. */
  policies?: PolicyConfig;
  /** Runs the alert gate's queries instead of Prometheus at `policies.alertGates.prometheus` (tests). Default: that Prometheus. */
  alertQuery?: AlertQuery;
  logger: CoreLogger;
  metrics?: Registry;
  /** Spans of each update. Default: `createUpdateTracer` on the global OpenTelemetry tracer "update-manager". */
  tracer?: UpdateTracer;
  /** Extra interceptors (tracing, metrics), outermost first. Default: none. */
  interceptors?: Interceptor[];
  // For tests: a simulated cluster on a fake clock, so tests can read its write log.
  /** Used instead of the configured cluster (not seeded: the test adds its workloads). Default: from the config. */
  cluster?: SimulatedCluster;
  /** The engine's and the rate limiter's time. Default: systemClock. */
  clock?: Clock;
  /** Reads the dashboard's files. Default: `loadDashboardAssets` (the bundle `npm run build` wrote to dist/dashboard/). */
  loadDashboard?: () => Promise<DashboardAssets>;
  /** Channels and routes (UPDATE_MANAGER_NOTIFICATIONS_FILE). Default: no notifications. */
  notifications?: NotificationsConfig;
  /** Registry webhook endpoints (UPDATE_MANAGER_WEBHOOKS_FILE); need registry watching. Default: none. */
  webhooks?: WebhooksConfig;
  /** Engine tunables the configuration does not set (bench/watch-fanout's faster progress events). Default: none. */
  engineOptions?: Pick<UpdateEngineOptions, "progressIntervalMs">;
}): Promise<Application> {
  const { config, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const countFailure = deps.metrics === undefined ? undefined : createFailureMetrics(deps.metrics);
  const keys = createMetadataKeys(config.keyPrefix);
  const injected = deps.cluster;
  const accessControl = deps.accessControl ?? defaultAccessControl;
  const kubernetes = await loadKubernetes(config, injected);
  // Read at scrape time: the cluster and the persistence exist by then.
  const runtimeMetrics =
    deps.metrics === undefined
      ? undefined
      : createRuntimeMetrics(deps.metrics, {
          version: packageVersion(),
          revision: config.revision,
          cachesSynced: () => cluster.isSynced() && (persistence?.isSynced() ?? true),
          leading: () => persistence?.canExecute() ?? true,
          ...(config.cluster.mode === "kubernetes" && injected === undefined
            ? { informerRestarts: () => cluster.informerRestarts?.() ?? 0 }
            : {}),
        });
  const { cluster, connection, real } = createConfiguredCluster({
    config,
    kubernetes,
    ...(injected === undefined ? {} : { injected }),
    keys,
    logger,
    ...(runtimeMetrics === undefined ? {} : { onApiRequest: runtimeMetrics.onApiRequest }),
    ...(deps.metrics === undefined ? {} : { metrics: deps.metrics }),
  });
  // Durable updates (UpdateRuns, shared by the replicas) with UPDATE_MANAGER_STORE=kubernetes; memory otherwise.
  const { durable: persistence, store, freeze, quarantines, locks } = createUpdatePersistence({
    durable: config.store === "kubernetes" ? connection : undefined,
    cluster,
    keys,
    clock,
    logger,
    namespace: config.managerNamespace,
    identity: config.identity,
    leaderElection: config.leaderElection,
    retention: config.retention,
    ...(countFailure === undefined ? {} : { countFailure }),
  });
  // Each step of an update as a Kubernetes Event on its workloads and its UpdateRun (a real cluster only).
  const stepEvents =
    real === undefined
      ? undefined
      : real.kubernetes.createKubernetesStepEvents({
          rest: real.clients.rest(),
          clock,
          logger,
          instance: config.identity,
          uidOf: (ref) => cluster.getWorkload(ref)?.uid,
          ...(persistence === undefined ? {} : { updateRunOf: persistence.store.runReferenceOf }),
          ...(countFailure === undefined ? {} : { countFailure }),
        });
  // The engine's saves feed the update metrics and the notifications (one wrapper: observeUpdateStore); reads go
  // straight to the store.
  const updateMetrics = deps.metrics === undefined ? undefined : createUpdateMetrics(deps.metrics);
  updateMetrics?.readFrom(store);
  // Notifications: what the engine records (started, finished) and the watcher finds in notify mode, sent in the
  // background; delivery never delays or fails an update.
  const notifications =
    deps.notifications === undefined
      ? undefined
      : createNotifications({
          config: deps.notifications,
          durable: persistence === undefined || connection === undefined ? undefined : { ...connection, namespace: config.managerNamespace },
          clock,
          logger: logger.child({ component: "notifications" }),
          ...(deps.metrics === undefined ? {} : { metrics: deps.metrics }),
        });
  const observers = [
    ...(updateMetrics === undefined ? [] : [updateMetrics.observer]),
    ...(notifications === undefined ? [] : [updateNotifications(notifications)]),
  ];
  const policies = deps.policies ?? defaultPolicyConfig;
  const manager = createConfiguredUpdateManager({
    config,
    cluster,
    store: observers.length === 0 ? store : observeUpdateStore(store, observers),
    persistence: { freeze, quarantines, locks }, // the freeze shared with the node plans, the quarantines with the watcher
    canExecute: persistence?.canExecute,
    policies,
    ...(deps.alertQuery === undefined ? {} : { alertQuery: deps.alertQuery }),
    accessControl,
    ...(deps.tracer === undefined ? {} : { tracer: deps.tracer }),
    ...(stepEvents === undefined ? {} : { stepEvents }),
    ...(deps.engineOptions === undefined ? {} : { engineOptions: deps.engineOptions }),
    clock,
    keys,
    logger,
    ...(countFailure === undefined ? {} : { countFailure }),
  });
  // Registry watching: the leader checks registries and updates or notifies by the workloads' policies.
  const registryWatch = config.registryWatch.enabled
    ? createRegistryWatch({
        cluster,
        kubernetes: real?.kubernetes,
        clients: connection?.clients,
        durableNamespace: persistence === undefined ? undefined : config.managerNamespace,
        manager,
        quarantines,
        canExecute: persistence?.canExecute,
        keys,
        keyPrefix: config.keyPrefix,
        legacyAnnotation: config.legacyAnnotation,
        defaultScheduleMs: config.registryWatch.defaultScheduleMs,
        insecureRegistries: config.registryWatch.insecureRegistries,
        clock,
        logger: logger.child({ component: "registry-watch" }),
        ...(deps.metrics === undefined ? {} : { metrics: deps.metrics }),
        ...(notifications === undefined ? {} : { onAvailable: (update) => notifications.versionAvailable(update) }),
      })
    : undefined;
  // Node upgrade plans: the embedded demo's, or the real cluster's with UPDATE_MANAGER_NODE_PLANS, or none.
  const nodePlans = createConfiguredNodePlans({
    cluster:
      injected === undefined && config.cluster.mode === "embedded"
        ? { kind: "embedded" }
        : real === undefined
          ? { kind: "injected" }
          : { kind: "kubernetes", ...real },
    config: config.nodePlans,
    keyPrefix: config.keyPrefix,
    windows: policies.windows,
    canExecute: persistence?.canExecute,
    clock,
    logger,
    ...(deps.metrics === undefined ? {} : { metrics: deps.metrics }),
    freeze,
    ...(notifications === undefined ? {} : { notify: notifications }),
  });
  // Refuses to start (ConfigError: exit 2) when the account lacks what kube/node-plans grants.
  await nodePlans?.verifyAccess();
  // Not serving, the whole server included (Kubernetes' grpc probe asks for ""), until the engine runs.
  const health = createHealthService({ initialStatus: { "": "NOT_SERVING", [updateServiceName]: "NOT_SERVING" } });
  const reflection = createReflectionService({ services: [UpdateService, NodePlanService, Health] });
  const auth = createAccessControl({
    config: accessControl,
    ...(config.apiKey === undefined ? {} : { fullScopeKey: config.apiKey }),
    insecureDemo: config.insecureDemo,
    clock,
    audit: logger.child({ component: "audit" }),
    logger: logger.child({ component: "auth" }),
    ...(countFailure === undefined ? {} : { countFailure }),
    findUpdate: updateFinder((id) => manager.getUpdate(id)),
  });

  const dashboard = createDashboardHandler({
    logger: logger.child({ component: "dashboard" }),
    ...(deps.loadDashboard === undefined ? {} : { load: deps.loadDashboard }),
  });
  const engine = createUpdateEngineStartup({
    cluster,
    persistence,
    manager,
    clock,
    logger,
    onRunning() {
      registryWatch?.watcher.start(); // cycles run on every replica; only the leader's check registries.
      nodePlans?.start(); // caches on every replica; only the leader runs plans.
      health.registry.setStatus("", "SERVING");
      health.registry.setStatus(updateServiceName, "SERVING");
    },
  });

  return {
    mode: config.cluster.mode,
    description: describeCluster(config),
    interceptors: [...(deps.interceptors ?? []), auth],
    http1Handlers: createHttp1Handlers({
      manager,
      accessControl: auth,
      removeUpdate: (id) => store.remove(id),
      strictNoTargets: config.restStrictNoTargets,
      dashboard,
      ...(deps.webhooks === undefined ? {} : { webhooks: deps.webhooks }),
      registryWatcher: registryWatch?.watcher,
      clock,
      logger,
      ...(deps.metrics === undefined ? {} : { metrics: deps.metrics }),
    }),
    routes(router, { shutdownSignal }) {
      registerUpdateService(router, manager, {
        shutdownSignal,
        ...(registryWatch === undefined ? {} : { listAvailableUpdates: registryWatch.listAvailableUpdates }),
      });
      // Answers NODE_PLANS_DISABLED when this server runs no plans.
      registerNodePlanService(router, { reads: nodePlans?.reads, keyPrefix: config.keyPrefix, clock, shutdownSignal });
      health.register(router);
      if (config.reflection) reflection.register(router);
    },
    readiness() {
      const detail: string[] = [];
      const dashboardStatus = dashboard.status();
      if (dashboardStatus.state === "failed") detail.push(`dashboard: not available: ${dashboardStatus.reason}`);
      const engineStatus = engine.status();
      if (engineStatus.state === "running") return { ready: true, detail };
      const reason = engineNotReadyReason(engineStatus, {
        cluster: () => cluster.isSynced(),
        store: persistence === undefined ? undefined : () => persistence.isSynced(),
      });
      return { ready: false, reason, detail };
    },
    async start() {
      // The API answers UNAVAILABLE until the engine runs; starting must not hold up listening, or readiness
      // probes could never say why the pod is not ready.
      engine.start();
    },
    async close() {
      engine.stop();
      await registryWatch?.watcher.stop(); // no new updates from the watcher while shutting down.
      await nodePlans?.stop(); // the pass in progress ends first; the next leader resumes from the plans' status.
      await manager.shutdown();
      await notifications?.close(); // what is being sent ends; the sent findings are written.
      // The last steps' Events, if the API server answers soon; they never hold the shutdown up for long.
      if (stepEvents !== undefined) await settleWithin(stepEvents.whenIdle(), stepEventsFlushMs);
      // Hands the Lease over once nothing executes here any more.
      await persistence?.stop();
      await cluster.stop();
    },
    health: health.registry,
  };
}
