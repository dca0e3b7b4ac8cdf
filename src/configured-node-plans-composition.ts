import type { Registry } from "prom-client";
import type { WindowPolicy } from "./core/domain/window-policy.js";
import type { Clock } from "./core/ports/clock.js";
import type { FreezeStore } from "./core/ports/freeze-store.js";
import type { CoreLogger } from "./core/ports/logger.js";
import type { NodePlanNotifications } from "./core/use-cases/node-plans/node-plan-controller.js";
import { createDemoNodePlans } from "./demo-node-plans-composition.js";
import type { KubernetesClients, KubernetesComposition } from "./kubernetes-composition.js";
import { createNodePlans, type NodePlans } from "./node-plans-composition.js";

/** The cluster the application runs on, as far as node plans care. */
export type NodePlansCluster =
  /** The embedded demo's simulated cluster: its simulated nodes and sample plan. */
  | { readonly kind: "embedded" }
  /** A real cluster: its adapters and the process's API server connection (its requests counted in the metrics). */
  | { readonly kind: "kubernetes"; readonly kubernetes: KubernetesComposition; readonly clients: KubernetesClients }
  /** A cluster handed to the application (tests): it has no nodes to upgrade. */
  | { readonly kind: "injected" };

export interface ConfiguredNodePlansOptions {
  readonly cluster: NodePlansCluster;
  /**
   * UPDATE_MANAGER_NODE_PLANS and its namespace and channel interval. `enabled` decides only on a real cluster: the
   * embedded demo always runs its plans.
   */
  readonly config: { readonly enabled: boolean; readonly namespace: string; readonly channelIntervalMs: number };
  readonly keyPrefix: string;
  /** The policies file's windows (those naming a plan, or naming nothing) hold plans on a real cluster. Default: none. */
  readonly windows?: readonly WindowPolicy[];
  /** Whether this replica may run plans (the leader, with UpdateRuns). Undefined: this process always may. */
  readonly canExecute: (() => boolean) | undefined;
  readonly clock: Clock;
  /** The application's logger: the warning goes here, the plans log as component "node-plans". */
  readonly logger: CoreLogger;
  /** Where the node plan progress gauges go. Default: none. */
  readonly metrics?: Registry;
  /** The global freeze the engine uses too: while frozen no node is claimed. Required, so the two cannot differ. */
  readonly freeze: FreezeStore;
  /** Told when a plan starts and when it fails (the notification dispatcher). Default: nobody. */
  readonly notify?: NodePlanNotifications;
}

/**
 * The node upgrade plans the application runs (README "Node upgrade plans"): on the embedded demo, its simulated
 * nodes and sample plan always; on a real cluster, the leader's when UPDATE_MANAGER_NODE_PLANS is set; otherwise none
 * (NodePlanService then answers that this server runs no plans). Setting the variable without a Kubernetes cluster
 * is logged, as it does nothing.
 */
export function createConfiguredNodePlans(options: ConfiguredNodePlansOptions): NodePlans | undefined {
  const { cluster, config, clock, logger } = options;
  const shared = {
    keyPrefix: options.keyPrefix,
    namespace: config.namespace,
    clock,
    logger: logger.child({ component: "node-plans" }),
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    freeze: options.freeze,
    ...(options.notify === undefined ? {} : { notify: options.notify }),
  };
  if (cluster.kind === "embedded") return createDemoNodePlans(shared);
  if (!config.enabled) return undefined;
  if (cluster.kind === "injected") {
    logger.warn({}, "UPDATE_MANAGER_NODE_PLANS is ignored: node upgrade plans need a Kubernetes cluster");
    return undefined;
  }
  return createNodePlans({
    ...shared,
    kubernetes: cluster.kubernetes,
    clients: cluster.clients,
    channelIntervalMs: config.channelIntervalMs,
    ...(options.windows === undefined ? {} : { windows: options.windows }),
    canExecute: options.canExecute,
  });
}
