import { randomUUID } from "node:crypto";
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import type { Registry } from "prom-client";
import { createAuthInterceptor } from "./api/auth-interceptor.js";
import { registerUpdateService } from "./api/update-service.js";
import { seedDemoCluster } from "./cluster/simulated/demo-seed.js";
import { createSimulatedCluster } from "./cluster/simulated/simulated-cluster.js";
import { createMetadataKeys } from "./core/domain/metadata-keys.js";
import { systemClock } from "./core/ports/clock.js";
import type { CoreLogger } from "./core/ports/logger.js";
import { createUpdateManager } from "./core/use-cases/update-manager.js";
import { createHealthService } from "./server/health-service.js";
import { createReflectionService } from "./server/reflection-service.js";
import { createMemoryQuarantineStore } from "./store/memory/memory-quarantine-store.js";
import { createMemoryTargetLocks } from "./store/memory/memory-target-locks.js";
import { createMemoryUpdateStore } from "./store/memory/memory-update-store.js";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { UpdateService } from "../gen/updatemanager/v1/update_service_pb.js";

/** What the composition root needs from the configuration (src/config). */
export interface ApplicationConfig {
  readonly cluster: { readonly mode: "embedded" | "kubernetes"; readonly reason: string };
  readonly apiKey?: string;
  readonly insecureDemo: boolean;
  readonly keyPrefix: string;
  readonly legacyAnnotation: boolean;
  readonly defaultUpdateTimeoutMs: number;
  readonly reflection: boolean;
  readonly namespaces?: readonly string[];
}

export interface Application {
  readonly mode: "embedded" | "kubernetes";
  /** One line for the first log line: which cluster and why. */
  readonly description: string;
  /** Registers every Connect service (UpdateService, health, reflection). */
  routes(router: ConnectRouter, context: { shutdownSignal: AbortSignal }): void;
  /** Interceptors to install on the API port (auth, ...), outermost first. */
  readonly interceptors: Interceptor[];
  ready(): boolean;
  start(): Promise<void>;
  /** Called on shutdown after the API server stopped accepting. */
  close(): Promise<void>;
  /** The health registry, set NOT_SERVING on shutdown. */
  readonly health: { shutdown(): void };
}

const updateServiceName = UpdateService.typeName;
const mutatingMethods = new Set(["Update", "CancelUpdate", "ClearQuarantine"]);

/**
 * The composition root: picks the adapters for the configured cluster and wires them to the core
 * and the API. The only place that knows every layer.
 */
export async function createApplication(deps: {
  config: ApplicationConfig;
  logger: CoreLogger;
  metrics?: Registry;
  /** Extra interceptors (tracing, metrics), outermost first. Default: none. */
  interceptors?: Interceptor[];
}): Promise<Application> {
  const { config, logger } = deps;
  if (config.cluster.mode === "kubernetes") {
    throw new Error(
      `a Kubernetes cluster is configured (${config.cluster.reason}), but the Kubernetes adapter is not part of this release yet; ` +
        "set UPDATE_MANAGER_CLUSTER=embedded to run on the embedded simulated cluster",
    );
  }
  const clock = systemClock;
  const keys = createMetadataKeys(config.keyPrefix);
  const cluster = createSimulatedCluster({ clock, keys, legacyAnnotation: config.legacyAnnotation });
  seedDemoCluster(cluster);
  const manager = createUpdateManager(
    {
      cluster,
      store: createMemoryUpdateStore({ clock }),
      quarantines: createMemoryQuarantineStore(),
      locks: createMemoryTargetLocks(),
      clock,
      newId: randomUUID,
      keys,
      logger: logger.child({ component: "engine" }),
    },
    { legacyAnnotation: config.legacyAnnotation, defaultUpdateTimeoutMs: config.defaultUpdateTimeoutMs },
  );
  const health = createHealthService({ initialStatus: { "": "SERVING", [updateServiceName]: "NOT_SERVING" } });
  const reflection = createReflectionService({ services: [UpdateService, Health] });
  const auth = createAuthInterceptor({
    apiKey: config.apiKey,
    insecureDemo: config.insecureDemo,
    openServices: [Health.typeName, "grpc.reflection.v1.ServerReflection"],
    mutatingMethods,
  });

  return {
    mode: "embedded",
    description: `using the embedded simulated cluster (${config.cluster.reason}): demo workloads, nothing real is changed`,
    interceptors: [...(deps.interceptors ?? []), auth],
    routes(router, { shutdownSignal }) {
      registerUpdateService(router, manager, { shutdownSignal });
      health.register(router);
      if (config.reflection) reflection.register(router);
    },
    ready: () => cluster.isSynced(),
    async start() {
      cluster.start();
      const resumed = await manager.resumeUnfinished();
      logger.info({ resumed }, "update engine started");
      health.registry.setStatus(updateServiceName, "SERVING");
    },
    async close() {
      await manager.shutdown();
      cluster.stop();
    },
    health: health.registry,
  };
}
