import type { JobInfo } from "../domain/workload.js";
import type { Clock } from "../ports/clock.js";
import type { ClusterPort } from "../ports/cluster.js";
import { createFirstOutcome, settleOnAbort } from "./first-outcome.js";

export type MigrationJobOutcome =
  | { readonly kind: "complete" }
  | { readonly kind: "failed"; readonly reason: string }
  | { readonly kind: "timeout" }
  | { readonly kind: "halted" };

export interface AwaitMigrationJobInput {
  readonly cluster: ClusterPort;
  readonly clock: Clock;
  readonly namespace: string;
  readonly name: string;
  /** Epoch milliseconds: the update's deadline. */
  readonly deadline: number;
  /**
   * The Job must already be in the cache (a resumed update re-attaching to its copy): if it is
   * not, it was deleted and the migration fails instead of waiting out the deadline.
   */
  readonly mustExist: boolean;
  /** Shutdown: stop waiting. A cancel is deliberately not an input: a running migration is awaited. */
  readonly halt: AbortSignal;
}

/**
 * Waits for a migration Job copy to reach its Complete or Failed condition, driven by the cluster
 * cache's change stream (never polling), bounded by the update's deadline.
 */
export function awaitMigrationJob(input: AwaitMigrationJobInput): Promise<MigrationJobOutcome> {
  const { cluster, clock, namespace, name } = input;
  const first = createFirstOutcome<MigrationJobOutcome>();
  const judge = (job: JobInfo) => {
    const outcome = jobOutcome(job);
    if (outcome !== undefined) first.settle(outcome);
  };

  // Subscribe before reading the cache, so a change between the two is not missed.
  const unsubscribe = cluster.subscribe((change) => {
    if (change.type === "job" && change.job.namespace === namespace && change.job.name === name) {
      judge(change.job);
    } else if (change.type === "job-deleted" && change.namespace === namespace && change.name === name) {
      first.settle({ kind: "failed", reason: `Job ${namespace}/${name} was deleted before it finished` });
    }
  });
  first.onSettle(unsubscribe);

  const current = cluster.getJob(namespace, name);
  if (current !== undefined) judge(current);
  else if (input.mustExist) {
    first.settle({ kind: "failed", reason: `Job ${namespace}/${name} no longer exists` });
  }

  if (!first.settled) {
    const cancelTimer = clock.setTimer(Math.max(0, input.deadline - clock.now().getTime()), () =>
      first.settle({ kind: "timeout" }),
    );
    first.onSettle(cancelTimer);
  }
  settleOnAbort(first, input.halt, { kind: "halted" });
  return first.promise;
}

/** Complete or Failed, as the Job controller reports them; undefined while it runs. */
function jobOutcome(job: JobInfo): MigrationJobOutcome | undefined {
  const complete = job.conditions.find((condition) => condition.type === "Complete" && condition.status === "True");
  if (complete !== undefined) return { kind: "complete" };
  const failed = job.conditions.find((condition) => condition.type === "Failed" && condition.status === "True");
  if (failed !== undefined) {
    const detail = [failed.reason, failed.message].filter((part) => part !== undefined && part !== "").join(": ");
    return { kind: "failed", reason: detail === "" ? "the Job failed" : detail };
  }
  return undefined;
}
