import type { UpdatePlan } from "../domain/update.js";
import { type WorkloadRef, workloadKey } from "../domain/workload.js";

/** What an update locks: every workload it changes and every migration template it copies. */
export function lockTargets(plan: UpdatePlan): WorkloadRef[] {
  return [
    ...plan.workloads.filter((workload) => !workload.unchanged).map((workload) => workload.workload),
    ...plan.migrations.map((migration) => migration.template),
  ];
}

/**
 * A test for "this plan locks one of `targets`" (ListUpdatesQuery.targets), always true without targets. Builds the
 * key set once, so that a store filters many plans with it before copying any.
 */
export function locksAnyOf(targets: readonly WorkloadRef[] | undefined): (plan: UpdatePlan) => boolean {
  if (targets === undefined) return () => true;
  const keys = new Set(targets.map(workloadKey));
  return (plan) => lockTargets(plan).some((target) => keys.has(workloadKey(target)));
}
