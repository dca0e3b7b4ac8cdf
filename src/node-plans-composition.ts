import type { Registry } from "prom-client";
import { ConfigError } from "./config/config-error.js";
import { registerNodePlanMetrics } from "./telemetry/node-plan-metrics.js";
import type { Clock } from "./core/ports/clock.js";
import type { CoreLogger } from "./core/ports/logger.js";
import { createNodePlanController } from "./core/use-cases/node-plans/node-plan-controller.js";
import { createNodePlanRunner } from "./core/use-cases/node-plans/node-plan-runner.js";
import type { KubernetesComposition } from "./kubernetes-composition.js";

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
}

/**
 * Wires node upgrade plans (README "Node upgrade plans") for a real cluster: every replica keeps the caches, only
 * the one `canExecute` allows (the leader, with UpdateRuns; this process, with the memory store) runs plans.
 */
export function createNodePlans(deps: {
  readonly kubernetes: KubernetesComposition;
  readonly namespace: string;
  readonly keyPrefix: string;
  /** This replica's identity: its User-Agent on every request. */
  readonly identity: string;
  readonly channelIntervalMs: number;
  readonly canExecute: (() => boolean) | undefined;
  readonly clock: Clock;
  readonly logger: CoreLogger;
  /** Where the node plan progress gauges go. Default: none. */
  readonly metrics?: Registry;
}): NodePlans {
  const { kubernetes, clock, logger } = deps;
  const kubeConfig = kubernetes.loadKubeConfig(deps.identity);
  let poke = (): void => {};
  const rest = kubernetes.createRestClient(kubeConfig);
  const adapter = kubernetes.createKubernetesNodePlans({
    kubeConfig,
    rest,
    clock,
    logger,
    namespace: deps.namespace,
    keyPrefix: deps.keyPrefix,
    onChange: () => poke(),
  });
  const controller = createNodePlanController(
    { port: adapter, channels: kubernetes.createHttpChannelResolver(), clock, logger },
    { keyPrefix: deps.keyPrefix, namespace: deps.namespace, channelIntervalMs: deps.channelIntervalMs },
  );
  const runner = createNodePlanRunner({
    controller,
    planNames: () => adapter.listPlans().map((plan) => plan.name),
    clock,
    logger,
    ...(deps.canExecute === undefined ? {} : { canExecute: deps.canExecute }),
  });
  poke = () => runner.poke();
  if (deps.metrics !== undefined) registerNodePlanMetrics(deps.metrics, () => adapter.listPlans());
  let started = false;
  return {
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
      await runner.stop();
      await adapter.stop();
    },
  };
}
