import { trace } from "@opentelemetry/api";
import { randomUUID } from "node:crypto";
import { createPrometheusAlertQuery } from "./alerts/prometheus-alert-query.js";
import type { AccessControlConfig } from "./auth/load-access-control-config.js";
import type { Config } from "./config/config.js";
import type { MetadataKeys } from "./core/domain/metadata-keys.js";
import type { AlertQuery } from "./core/ports/alert-query.js";
import type { Clock } from "./core/ports/clock.js";
import type { ClusterPort } from "./core/ports/cluster.js";
import type { CountFailure } from "./core/ports/failure-counter.js";
import type { CoreLogger } from "./core/ports/logger.js";
import type { StepEventRecorder } from "./core/ports/step-event-recorder.js";
import type { UpdateStore } from "./core/ports/update-store.js";
import type { UpdateTracer } from "./core/ports/update-tracer.js";
import type { UpdateEngineOptions } from "./core/use-cases/update-engine-options.js";
import { createUpdateManager, type UpdateManager } from "./core/use-cases/update-manager.js";
import { approverCapacity } from "./policy/approver-capacity.js";
import type { PolicyConfig } from "./policy/load-policy-config.js";
import type { UpdatePersistence } from "./update-persistence-composition.js";
import { createUpdateTracer } from "./telemetry/update-tracer.js";

export interface ConfiguredUpdateManagerOptions {
  readonly config: Pick<Config, "legacyAnnotation" | "defaultUpdateTimeoutMs" | "queueTimeoutMs" | "apiKey" | "insecureDemo">;
  readonly cluster: ClusterPort;
  /** The store the engine saves to (wrapped by its observers: metrics, notifications). */
  readonly store: UpdateStore;
  /** The freeze, quarantines and locks shared with the node plans and the registry watcher. */
  readonly persistence: Pick<UpdatePersistence, "freeze" | "quarantines" | "locks">;
  /** Whether this replica may execute updates (the leader, with UpdateRuns). Undefined: always. */
  readonly canExecute: (() => boolean) | undefined;
  /** Approvals, windows, alert gates and the freeze policy (the policies file). */
  readonly policies: PolicyConfig;
  /** Runs the alert gate's queries (tests). Default: the Prometheus at `policies.alertGates.prometheus`, if any. */
  readonly alertQuery?: AlertQuery;
  /** Who may approve, so an approval nobody but the requester could give is refused at once. */
  readonly accessControl: AccessControlConfig;
  /** Spans of each update. Default: `createUpdateTracer` on the global OpenTelemetry tracer "update-manager". */
  readonly tracer?: UpdateTracer;
  /** Each step as a Kubernetes Event (a real cluster). Default: none. */
  readonly stepEvents?: StepEventRecorder;
  /** Engine tunables the configuration does not set. Default: none. */
  readonly engineOptions?: Pick<UpdateEngineOptions, "progressIntervalMs">;
  readonly clock: Clock;
  readonly keys: MetadataKeys;
  /** The application's logger: the engine logs as component "engine". */
  readonly logger: CoreLogger;
  /** Counts failures the engine handles itself. Default: none. */
  readonly countFailure?: CountFailure;
}

/** The update engine on the application's adapters, with the configuration's timeouts and the policies file's gates. */
export function createConfiguredUpdateManager(options: ConfiguredUpdateManagerOptions): UpdateManager {
  const { config, policies, persistence, countFailure, stepEvents } = options;
  return createUpdateManager(
    {
      cluster: options.cluster,
      store: options.store,
      freeze: persistence.freeze,
      quarantines: persistence.quarantines,
      locks: persistence.locks,
      ...(options.canExecute === undefined ? {} : { canExecute: options.canExecute }),
      clock: options.clock,
      newId: randomUUID,
      // Two turns of the event loop: HTTP/2 writes a unary answer's trailers one turn after its data (nghttp2 asks for
      // them while it writes the data), so an execution started after one turn still went before them (~5 ms).
      deferStart: (start) => setImmediate(() => setImmediate(start)),
      keys: options.keys,
      logger: options.logger.child({ component: "engine" }),
      tracer: options.tracer ?? createUpdateTracer(trace.getTracer("update-manager")),
      ...(countFailure === undefined ? {} : { countFailure }),
      ...(stepEvents === undefined ? {} : { stepEvents }),
      ...(policies.alertGates.prometheus === undefined
        ? {}
        : { alerts: options.alertQuery ?? createPrometheusAlertQuery(policies.alertGates.prometheus) }),
    },
    {
      ...options.engineOptions,
      legacyAnnotation: config.legacyAnnotation,
      defaultUpdateTimeoutMs: config.defaultUpdateTimeoutMs,
      queueTimeoutMs: config.queueTimeoutMs,
      approvalPolicies: policies.approvals,
      approvalDeadlineMs: policies.approvalDeadlineMs,
      frozenNewUpdates: policies.frozenNewUpdates,
      windowPolicies: policies.windows,
      alertGatePolicies: policies.alertGates.policies,
      approverCapacity: approverCapacity({
        accessControl: options.accessControl,
        fullScopeKey: config.apiKey !== undefined,
        insecureDemo: config.insecureDemo,
      }),
    },
  );
}
