import type { MigrationStatus, UpdatePlan, WorkloadStatus } from "../domain/update.js";

/** The status of a plan's migrations and workloads before anything ran: what a record starts with. */
export function initialProgress(plan: UpdatePlan): { migrations: MigrationStatus[]; workloads: WorkloadStatus[] } {
  return {
    migrations: plan.migrations.map((migration) => ({
      template: migration.template,
      jobName: migration.jobName,
      phase: "pending",
      message: "",
    })),
    workloads: plan.workloads.map((workload) => ({
      workload: workload.workload,
      phase: workload.unchanged ? "unchanged" : "pending",
      containers: workload.containers.map((container) => ({ ...container })),
      message: "",
      patched: false,
    })),
  };
}
