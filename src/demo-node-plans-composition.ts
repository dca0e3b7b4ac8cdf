import type { Registry } from "prom-client";
import { seedDemoNodePlans } from "./cluster/simulated/demo-node-plans.js";
import { createSimulatedNodePlans, type SimulatedNodePlans } from "./cluster/simulated/simulated-node-plans.js";
import { findCondition, type NodePlanStatus } from "./core/domain/node-plan/node-plan-status.js";
import type { Clock } from "./core/ports/clock.js";
import type { FreezeStore } from "./core/ports/freeze-store.js";
import type { NodePlansPort } from "./core/ports/node-plans.js";
import type { CoreLogger } from "./core/ports/logger.js";
import { createNodePlanController, type NodePlanNotifications } from "./core/use-cases/node-plans/node-plan-controller.js";
import { createNodePlanRunner } from "./core/use-cases/node-plans/node-plan-runner.js";
import type { NodePlans } from "./node-plans-composition.js";
import { registerNodePlanMetrics } from "./telemetry/node-plan-metrics.js";

/** The embedded demo's node plans, and the simulated cluster they run on (tests read it). */
export interface DemoNodePlans extends NodePlans {
  readonly cluster: SimulatedNodePlans;
}

/**
 * Node upgrade plans on the embedded demo (`npm start` without a cluster): the simulated nodes and the sample plan
 * of demo-node-plans.ts, run by the same controller and runner as on a real cluster; every Event the plan records
 * is logged, so one run can be followed end to end in the log.
 */
export function createDemoNodePlans(deps: {
  readonly keyPrefix: string;
  readonly namespace: string;
  readonly clock: Clock;
  readonly logger: CoreLogger;
  /** Where the node plan progress gauges go. Default: none. */
  readonly metrics?: Registry;
  /** Timings of the simulation (tests shorten them). Default: the simulation's. */
  readonly timings?: { readonly jobDurationMs?: number; readonly rebootMs?: number; readonly replacementReadyMs?: number };
  /** The global freeze: while frozen no node is claimed; an unfreeze looks at the plans at once. Default: none. */
  readonly freeze?: FreezeStore;
  /** Told when a plan starts and when it fails (the notification dispatcher). Default: nobody. */
  readonly notify?: NodePlanNotifications;
}): DemoNodePlans {
  const { clock, logger } = deps;
  const cluster = createSimulatedNodePlans({
    keyPrefix: deps.keyPrefix,
    clock,
    ...deps.timings,
    onEvent: (event) => {
      const line = { plan: event.plan, reason: event.reason };
      if (event.type === "Warning") logger.warn(line, `node plan ${event.plan}: ${event.message}`);
      else logger.info(line, `node plan ${event.plan}: ${event.message}`);
    },
  });
  seedDemoNodePlans(cluster);
  // The demo narrates what the plan does to the nodes and what it waits for, which a real cluster shows elsewhere.
  const narrated: NodePlansPort = {
    ...cluster,
    async setUnschedulable(node, unschedulable) {
      await cluster.setUnschedulable(node, unschedulable);
      logger.info({ node }, `${unschedulable ? "cordoned" : "uncordoned"} ${node}`);
    },
    async evictPod(pod, options) {
      const result = await cluster.evictPod(pod, options);
      logger.info({ pod: `${pod.namespace}/${pod.name}` }, `eviction of ${pod.namespace}/${pod.name}: ${result === "blocked" ? "refused by its PodDisruptionBudget, retried" : result}`);
      return result;
    },
    async writeStatus(name, resourceVersion, status) {
      const before = cluster.getPlan(name)?.status;
      const written = await cluster.writeStatus(name, resourceVersion, status);
      if (status.message !== undefined && status.message !== before?.message) logger.info({ plan: name }, `node plan ${name}: ${status.message}`);
      const complete = (of: NodePlanStatus | undefined) => of !== undefined && findCondition(of, "Complete")?.status === "True";
      if (complete(status) && !complete(before)) logger.info({ plan: name }, `node plan ${name}: complete: ${findCondition(status, "Complete")?.message}`);
      return written;
    },
  };
  const controller = createNodePlanController(
    {
      port: narrated,
      channels: { resolve: () => Promise.reject(new Error("the embedded demo resolves no channel")) },
      clock,
      logger,
      ...(deps.freeze === undefined ? {} : { freeze: deps.freeze }),
      ...(deps.notify === undefined ? {} : { notify: deps.notify }),
    },
    { keyPrefix: deps.keyPrefix, namespace: deps.namespace },
  );
  const runner = createNodePlanRunner(
    { controller, planNames: () => cluster.listPlans().map((plan) => plan.name), clock, logger },
    // Short passes: the demo's steps take seconds.
    { idleMs: 5_000, retryMs: 2_000 },
  );
  // API watchers (WatchNodePlan), told of every change, as on a real cluster.
  const listeners = new Set<() => void>();
  cluster.onChange(() => {
    runner.poke();
    for (const listener of [...listeners]) listener();
  });
  const unsubscribeFreeze = deps.freeze?.subscribe(() => runner.poke());
  if (deps.metrics !== undefined) registerNodePlanMetrics(deps.metrics, () => cluster.listPlans());
  return {
    cluster,
    // The simulation is its own cache: always in sync.
    reads: {
      isSynced: () => true,
      listPlans: () => cluster.listPlans(),
      getPlan: (name) => cluster.getPlan(name),
      listNodes: () => cluster.listNodes(),
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    async verifyAccess() {},
    start() {
      logger.info({ nodes: cluster.listNodes().length }, "node upgrade plans: the embedded demo's nodes and sample plan demo-os");
      runner.start();
    },
    async stop() {
      unsubscribeFreeze?.();
      await runner.stop();
      cluster.stop();
    },
  };
}
