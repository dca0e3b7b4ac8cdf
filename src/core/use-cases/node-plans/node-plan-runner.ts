import type { Clock } from "../../ports/clock.js";
import type { CoreLogger } from "../../ports/logger.js";
import type { NodePlanController } from "./node-plan-controller.js";

export interface NodePlanRunnerOptions {
  /** Coalesces bursts of changes (an informer relist) into one pass. Default 200 ms. */
  readonly debounceMs?: number;
  /** Longest time between passes, whatever the plans asked for; also how often a non-leader looks again. Default 30 s. */
  readonly idleMs?: number;
  /** After a pass failed (API server unreachable, RBAC refused). Default 10 s. */
  readonly retryMs?: number;
}

export interface NodePlanRunner {
  start(): void;
  /** Something changed (a plan, node, Job or budget): pass over the plans soon. */
  poke(): void;
  /** Stops the timers and waits for the pass in progress. */
  stop(): Promise<void>;
}

/**
 * Runs the plans: one pass at a time over every plan in name order (so each plan's decisions see the others'
 * claims), again when something changes, when a plan asked to be looked at again, and at least every `idleMs`.
 * Only while `canExecute()` (this replica leads): the others watch but never act.
 */
export function createNodePlanRunner(
  deps: {
    readonly controller: NodePlanController;
    readonly planNames: () => readonly string[];
    readonly clock: Clock;
    readonly logger: CoreLogger;
    /** True while this replica may act (the leader). Default: always. */
    readonly canExecute?: () => boolean;
  },
  options: NodePlanRunnerOptions = {},
): NodePlanRunner {
  const { controller, clock, logger } = deps;
  const debounceMs = options.debounceMs ?? 200;
  const idleMs = options.idleMs ?? 30_000;
  const retryMs = options.retryMs ?? 10_000;
  const canExecute = deps.canExecute ?? (() => true);
  let stopped = true;
  let current: Promise<void> | undefined;
  let again = false;
  let timer: { due: number; cancel: () => void } | undefined;

  function schedule(ms: number): void {
    if (stopped) return;
    const due = clock.now().getTime() + ms;
    if (timer !== undefined && timer.due <= due) return;
    timer?.cancel();
    const cancel = clock.setTimer(ms, () => {
      timer = undefined;
      run();
    });
    timer = { due, cancel };
  }

  function run(): void {
    if (current !== undefined) {
      again = true;
      return;
    }
    current = pass().finally(() => {
      current = undefined;
    });
  }

  async function pass(): Promise<void> {
    let next = idleMs;
    try {
      if (canExecute()) {
        for (const name of [...deps.planNames()].sort()) {
          if (stopped) return;
          try {
            const result = await controller.reconcile(name);
            if (result.requeueAfterMs !== undefined) next = Math.min(next, result.requeueAfterMs);
          } catch (error) {
            logger.error({ plan: name, err: error }, `node plan ${name}: ${error instanceof Error ? error.message : String(error)}`);
            next = Math.min(next, retryMs);
          }
        }
        await controller.sweepJobs().catch((error) => logger.warn({ err: error }, "could not delete finished upgrade Jobs"));
      }
    } finally {
      if (again) {
        again = false;
        next = 0;
      }
      schedule(next);
    }
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      schedule(0);
    },
    poke() {
      if (current !== undefined) again = true;
      else schedule(debounceMs);
    },
    async stop() {
      stopped = true;
      timer?.cancel();
      timer = undefined;
      await current;
    },
  };
}
