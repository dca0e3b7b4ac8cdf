import type { Clock } from "./core/ports/clock.js";
import type { CoreLogger } from "./core/ports/logger.js";
import type { UpdateManager } from "./core/use-cases/update-manager.js";
import { createEngineStartup, type EngineStartup } from "./engine-startup.js";
import type { KubernetesPersistence } from "./store/kubernetes/kubernetes-persistence.js";

export interface UpdateEngineStartupOptions {
  /** Started first, each attempt (idempotent): its caches sync. */
  readonly cluster: { start(): Promise<void> };
  /** With UpdateRuns: the store started next, then leadership. Undefined: memory, this process resumes at once. */
  readonly persistence: Pick<KubernetesPersistence, "startStore" | "startLeading"> | undefined;
  readonly manager: Pick<UpdateManager, "resumeUnfinished" | "stepDown">;
  readonly clock: Clock;
  readonly logger: CoreLogger;
  /** Called once when the engine runs (start what waits for it, report serving). Default: nothing. */
  readonly onRunning?: () => void;
}

/**
 * The update engine's start-up, retried with backoff until it runs: the cluster's caches, then the UpdateRun store and
 * leadership (the leader resumes what is unfinished), or, with the memory store, resuming at once.
 */
export function createUpdateEngineStartup(options: UpdateEngineStartupOptions): EngineStartup {
  const { cluster, persistence, manager, logger } = options;
  // Each attempt is safe to repeat: cluster.start() is idempotent, and startStore() fails (CRD missing, RBAC
  // refused) before it starts anything; what follows it runs once, in the attempt that succeeds.
  return createEngineStartup({
    logger,
    clock: options.clock,
    async attempt() {
      await cluster.start();
      if (persistence === undefined) {
        const resumed = await manager.resumeUnfinished();
        logger.info({ resumed }, "cluster caches synced; update engine started");
      } else {
        await persistence.startStore();
        // With UpdateRuns only the leader executes: it resumes when it starts leading.
        persistence.startLeading(manager);
        logger.info({}, "cluster caches and UpdateRuns synced; update engine started");
      }
    },
    ...(options.onRunning === undefined ? {} : { onRunning: options.onRunning }),
  });
}
