import type { WorkloadStatus } from "../domain/update.js";
import { awaitRollout, type RolloutOutcome } from "./await-rollout.js";
import { ExecutionHalted } from "./execution-halted.js";
import { createProgressCoalescer } from "./progress-coalescer.js";
import type { UpdateExecution } from "./update-execution.js";

export interface GateWorkloadInput {
  /** Epoch milliseconds after which the gate ends with `timeout`. */
  readonly deadline: number;
  /** The generation the patch produced; older cached objects are ignored. Undefined: trust the cache. */
  readonly minGeneration: number | undefined;
  /** Cancel requested: stop waiting. Undefined: not cancellable (a rollback runs to its end). */
  readonly cancel?: AbortSignal;
}

/**
 * Waits for one patched workload to be healthy, as rolling out and rolling back both do: progress
 * is recorded as coalesced `workload-progress` events (the last one flushed before the verdict),
 * and a shutdown stops the wait without another write.
 *
 * @throws ExecutionHalted when the execution is halted (shutdown, lost leadership).
 */
export async function gateWorkload(
  execution: UpdateExecution,
  status: WorkloadStatus,
  input: GateWorkloadInput,
): Promise<Exclude<RolloutOutcome, { kind: "halted" }>> {
  const { deps, options } = execution;
  const progress = createProgressCoalescer(deps.clock, options.progressIntervalMs, (rollout) => {
    status.rollout = rollout;
    execution.save([{ type: "workload-progress", workload: status.workload, rollout }], { batch: true }).catch((error) => {
      if (!(error instanceof ExecutionHalted)) execution.log.error({ err: error }, "saving rollout progress failed");
    });
  });
  const outcome = await awaitRollout({
    cluster: deps.cluster,
    clock: deps.clock,
    workload: status.workload,
    deadline: input.deadline,
    ...(input.minGeneration === undefined ? {} : { minGeneration: input.minGeneration }),
    failFastReasons: new Set(options.failFastOnPodProblems ? options.podProblemReasons : []),
    ...(input.cancel === undefined ? {} : { cancel: input.cancel }),
    halt: execution.haltSignal,
    onProgress: (rollout) => progress.offer(rollout),
  });
  if (outcome.kind === "halted") {
    progress.stop();
    throw new ExecutionHalted();
  }
  progress.flush();
  return outcome;
}
