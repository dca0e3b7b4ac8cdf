import type { Registry } from "prom-client";
import { ConfigError } from "./config/config-error.js";
import { registerNodePlanMetrics } from "./telemetry/node-plan-metrics.js";
import type { Clock } from "./core/ports/clock.js";
import { planWindows, type WindowPolicy } from "./core/domain/window-policy.js";
import type { FreezeStore } from "./core/ports/freeze-store.js";
import type { CoreLogger } from "./core/ports/logger.js";
import type { NodePlanReads } from "./core/ports/node-plans.js";
import { createNodePlanController, type NodePlanNotifications } from "./core/use-cases/node-plans/node-plan-controller.js";
import { createNodePlanRunner } from "./core/use-cases/node-plans/node-plan-runner.js";
import type { KubernetesClients, KubernetesComposition } from "./kubernetes-composition.js";

/** Node upgrade plans as the application runs them: the Kubernetes adapter, the controller and its runner. */
export interface NodePlans {
  /**
   * The start-up check: throws a ConfigError (exit 2) naming what kube/node-plans would grant and the account
   * lacks, or the missing CRD. An API server that cannot be asked is logged, not fatal: the plans report it.
   */
  verifyAccess(): Promise<void>;
  /** Starts the caches (retried in the background until they sync) and the runner. */
  start(): void;
  stop(): Promise<void>;
  /** The plan and node caches as the API reads them (NodePlanService), on every replica. */
  readonly reads: NodePlanReads;
}

/**
 * Wires node upgrade plans (README "Node upgrade plans") for a real cluster: every replica keeps the caches, only
 * the one `canExecute` allows (the leader, with UpdateRuns; this process, with the memory store) runs plans.
 */
export function createNodePlans(deps: {
  readonly kubernetes: KubernetesComposition;
  readonly namespace: string;
  readonly keyPrefix: string;
  /** The process's API server connection (its requests counted in the metrics). */
  readonly clients: KubernetesClients;
  readonly channelIntervalMs: number;
  /** The policies file's windows (those naming the plan, or naming nothing) hold plans too. Default: none. */
  readonly windows?: readonly WindowPolicy[];
  readonly canExecute: (() => boolean) | undefined;
  readonly clock: Clock;
  readonly logger: CoreLogger;
  /** Where the node plan progress gauges go. Default: none. */
  readonly metrics?: Registry;
  /** The global freeze: while frozen no node is claimed; an unfreeze looks at the plans at once. Default: none. */
  readonly freeze?: FreezeStore;
  /** Told when a plan starts and when it fails (the notification dispatcher). Default: nobody. */
  readonly notify?: NodePlanNotifications;
}): NodePlans {
  const { kubernetes, clock, logger } = deps;
  let poke = (): void => {};
  /** API watchers (WatchNodePlan), told of every change the informers see. */
  const listeners = new Set<() => void>();
  let synced = false;
  const rest = deps.clients.rest();
  const adapter = kubernetes.createKubernetesNodePlans({
    kubeConfig: deps.clients.kubeConfig,
    rest,
    clock,
    logger,
    namespace: deps.namespace,
    keyPrefix: deps.keyPrefix,
    onChange: () => {
      poke();
      for (const listener of [...listeners]) listener();
    },
  });
  const controller = createNodePlanController(
    {
      port: adapter,
      channels: kubernetes.createHttpChannelResolver(),
      clock,
      logger,
      ...(deps.freeze === undefined ? {} : { freeze: deps.freeze }),
      ...(deps.notify === undefined ? {} : { notify: deps.notify }),
    },
    {
      keyPrefix: deps.keyPrefix,
      namespace: deps.namespace,
      channelIntervalMs: deps.channelIntervalMs,
      extraWindows: (plan) => planWindows(deps.windows ?? [], plan).map((policy) => policy.window),
    },
  );
  const runner = createNodePlanRunner({
    controller,
    planNames: () => adapter.listPlans().map((plan) => plan.name),
    clock,
    logger,
    ...(deps.canExecute === undefined ? {} : { canExecute: deps.canExecute }),
  });
  poke = () => runner.poke();
  const unsubscribeFreeze = deps.freeze?.subscribe(() => runner.poke());
  if (deps.metrics !== undefined) registerNodePlanMetrics(deps.metrics, () => adapter.listPlans());
  let started = false;
  const reads: NodePlanReads = {
    isSynced: () => synced,
    listPlans: () => adapter.listPlans(),
    getPlan: (name) => adapter.getPlan(name),
    listNodes: () => adapter.listNodes(),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return {
    reads,
    async verifyAccess() {
      const access = await kubernetes.checkNodePlanAccess(rest, deps.namespace);
      if ("unchecked" in access) {
        logger.warn({ err: access.unchecked }, "node upgrade plans: could not check the manager's permissions at start-up");
        return;
      }
      if (access.problems.length === 0) return;
      throw new ConfigError(
        access.problems.map(
          (problem) =>
            `UPDATE_MANAGER_NODE_PLANS=true, but ${problem}: install kube/node-plans (kubectl apply -k kube/node-plans), ` +
            "which grants it, or set UPDATE_MANAGER_NODE_PLANS=false",
        ),
      );
    },
    start() {
      if (started) return;
      started = true;
      // Informers retry on their own; only discovery can fail here (API server unreachable): try again.
      const attempt = (): void => {
        adapter
          .start()
          .then(() => {
            synced = true;
            logger.info({ namespace: deps.namespace }, "node upgrade plans: caches synced, plans run on the leader");
            runner.start();
          })
          .catch((error) => {
            logger.warn({ err: error }, "node upgrade plans could not start; retrying in 10 s");
            clock.setTimer(10_000, attempt);
          });
      };
      attempt();
    },
    async stop() {
      unsubscribeFreeze?.();
      await runner.stop();
      await adapter.stop();
    },
  };
}
