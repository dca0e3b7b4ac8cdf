import type { UpdatePlan } from "../domain/update.js";
import type { WorkloadRef } from "../domain/workload.js";

/** What an update locks: every workload it changes and every migration template it copies. */
export function lockTargets(plan: UpdatePlan): WorkloadRef[] {
  return [
    ...plan.workloads.filter((workload) => !workload.unchanged).map((workload) => workload.workload),
    ...plan.migrations.map((migration) => migration.template),
  ];
}
