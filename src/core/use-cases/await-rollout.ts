import { judgeRollout } from "../domain/judge-rollout.js";
import type { RolloutVerdict } from "../domain/rollout-verdict.js";
import { type PodProblem, type Workload, type WorkloadRef, sameWorkload } from "../domain/workload.js";
import type { Clock } from "../ports/clock.js";
import type { ClusterPort } from "../ports/cluster.js";
import { createFirstOutcome, settleOnAbort } from "./first-outcome.js";

export type RolloutOutcome =
  | { readonly kind: "healthy"; readonly rollout: RolloutVerdict }
  | {
      readonly kind: "failed";
      readonly reason: string;
      /** True when the new pods are at fault (pod problems, progress deadline): grounds for quarantine. */
      readonly newPodsAtFault: boolean;
      readonly rollout?: RolloutVerdict;
      /** The image ID a failing pod's node reported, when known (carries the digest). */
      readonly imageId?: string;
    }
  | { readonly kind: "timeout"; readonly rollout?: RolloutVerdict }
  | { readonly kind: "cancelled"; readonly rollout?: RolloutVerdict }
  | { readonly kind: "halted" };

export interface AwaitRolloutInput {
  readonly cluster: ClusterPort;
  readonly clock: Clock;
  readonly workload: WorkloadRef;
  /** Epoch milliseconds after which the wait ends with `timeout`. */
  readonly deadline: number;
  /**
   * The generation our patch produced: cached objects older than it predate the patch and would
   * report the previous rollout as complete, so they are ignored. Undefined: trust the cache.
   */
  readonly minGeneration?: number;
  /** Pod waiting reasons that fail the rollout at once; empty disables fail-fast. */
  readonly failFastReasons: ReadonlySet<string>;
  /** Cancel requested: stop waiting (the caller rolls back). Undefined: not cancellable. */
  readonly cancel?: AbortSignal;
  /** Shutdown: stop waiting. */
  readonly halt: AbortSignal;
  /** Every verdict while the rollout progresses (the caller coalesces them). */
  readonly onProgress: (rollout: RolloutVerdict) => void;
}

/**
 * The health gate: waits until a workload's rollout is complete the way `kubectl rollout status`
 * judges it, driven by the cache's change stream and the pod-problem watch, never polling.
 * CronJobs (not-applicable) and OnDelete StatefulSets/DaemonSets (not-gateable) pass at once:
 * nothing rolls out that could be watched.
 */
export function awaitRollout(input: AwaitRolloutInput): Promise<RolloutOutcome> {
  const { cluster, clock, workload: ref } = input;
  const first = createFirstOutcome<RolloutOutcome>();
  let latest: RolloutVerdict | undefined;
  // Until the controller has observed the current spec, the "newest revision" whose pod problems
  // are reported is still the one before it (during a rollback: the failing one), so problems
  // count only while the cache shows the spec observed.
  let observed = false;
  let problems: readonly PodProblem[] = [];

  const checkProblems = () => {
    if (!observed || first.settled) return;
    const problem = problems.find((candidate) => input.failFastReasons.has(candidate.reason));
    if (problem === undefined) return;
    first.settle({
      kind: "failed",
      reason: describeProblem(problem),
      newPodsAtFault: true,
      ...(latest === undefined ? {} : { rollout: latest }),
      ...(problem.imageId === undefined ? {} : { imageId: problem.imageId }),
    });
  };

  const judge = (workload: Workload) => {
    if (input.minGeneration !== undefined && workload.rollout.generation < input.minGeneration) return;
    const nowObserved = workload.rollout.observedGeneration >= workload.rollout.generation;
    // The problems of the new revision follow the workload's own change: look once they are in.
    if (nowObserved && !observed) queueMicrotask(checkProblems);
    observed = nowObserved;
    const verdict = judgeRollout(workload);
    latest = verdict;
    switch (verdict.state) {
      case "complete":
      case "not-applicable":
      case "not-gateable":
        first.settle({ kind: "healthy", rollout: verdict });
        return;
      case "failed":
        first.settle({ kind: "failed", reason: verdict.message, newPodsAtFault: true, rollout: verdict });
        return;
      case "paused":
        first.settle({ kind: "failed", reason: verdict.message, newPodsAtFault: false, rollout: verdict });
        return;
      case "progressing":
        input.onProgress(verdict);
        return;
    }
  };

  const unsubscribe = cluster.subscribe((change) => {
    if (change.type === "workload" && sameWorkload(change.workload.ref, ref)) judge(change.workload);
    else if (change.type === "workload-deleted" && sameWorkload(change.ref, ref)) {
      first.settle({
        kind: "failed",
        reason: `${ref.kind} ${ref.namespace}/${ref.name} was deleted during its rollout`,
        newPodsAtFault: false,
      });
    }
  });
  first.onSettle(unsubscribe);

  const current = cluster.getWorkload(ref);
  if (current !== undefined) judge(current);

  if (!first.settled && input.failFastReasons.size > 0) {
    const stopWatching = cluster.watchPodProblems(ref, (current) => {
      problems = current;
      checkProblems();
    });
    first.onSettle(stopWatching);
  }
  if (!first.settled) {
    const cancelTimer = clock.setTimer(Math.max(0, input.deadline - clock.now().getTime()), () =>
      first.settle({ kind: "timeout", ...(latest === undefined ? {} : { rollout: latest }) }),
    );
    first.onSettle(cancelTimer);
  }
  settleOnAbort(first, input.cancel, { kind: "cancelled" });
  settleOnAbort(first, input.halt, { kind: "halted" });
  return first.promise;
}

/** "new pod web-7d9c container web: CrashLoopBackOff: back-off 10s restarting failed container (3 restarts)". */
function describeProblem(problem: PodProblem): string {
  const message = problem.message ? `: ${problem.message}` : "";
  const restarts = problem.restartCount > 0 ? ` (${problem.restartCount} restarts)` : "";
  return `new pod ${problem.pod} container ${problem.container}: ${problem.reason}${message}${restarts}`;
}
