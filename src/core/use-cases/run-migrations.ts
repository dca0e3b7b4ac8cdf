import { isDomainError } from "../domain/domain-error.js";
import { sameWorkload, workloadKey } from "../domain/workload.js";
import { awaitMigrationJob } from "./await-migration-job.js";
import { ExecutionHalted } from "./execution-halted.js";
import { formatDuration } from "./format-duration.js";
import type { UpdateExecution } from "./update-execution.js";

export type MigrationsOutcome =
  | { readonly kind: "done" }
  | { readonly kind: "failed"; readonly reason: string }
  | { readonly kind: "cancelled" };

/**
 * Runs the update's migrations one after another, each as a Job copy of its template with the new
 * image, waiting for it to complete before the next (and before any workload changes). Resumable:
 * a succeeded migration is skipped; a running one is re-attached by its deterministic Job name.
 * A cancel is honoured between migrations; a running migration is awaited, since stopping it
 * half-way could leave the database half-migrated.
 */
export async function runMigrations(execution: UpdateExecution): Promise<MigrationsOutcome> {
  const { record } = execution;
  for (const status of record.migrations) {
    if (status.phase === "succeeded") continue;
    const { namespace, name } = status.template;
    const describe = `migration Job ${namespace}/${status.jobName} (from Job ${namespace}/${name})`;
    if (status.phase === "failed") return { kind: "failed", reason: `${describe} failed: ${status.message}` };
    if (status.phase === "pending" && execution.cancelSignal.aborted) return { kind: "cancelled" };
    const attributes = {
      "update.migration.template": workloadKey(status.template),
      "k8s.namespace.name": namespace,
      "k8s.job.name": status.jobName,
      "update.migration.resumed": status.phase === "running",
    };
    const outcome = await execution.step("update.migration", attributes, async (span) => {
      const migration = await runMigration(execution, status, describe);
      if (migration?.kind === "failed") span.fail(migration.reason);
      return migration;
    });
    if (outcome !== undefined) return outcome;
  }
  if (execution.cancelSignal.aborted) return { kind: "cancelled" };
  return { kind: "done" };
}

/** Starts (unless it runs already) and awaits one migration; undefined once it succeeded. */
async function runMigration(
  execution: UpdateExecution,
  status: UpdateExecution["record"]["migrations"][number],
  describe: string,
): Promise<MigrationsOutcome | undefined> {
  const { record, deps, options } = execution;
  const { namespace, name } = status.template;
  const resumedRunning = status.phase === "running";
  if (status.phase === "pending") {
    const remainingMs = execution.deadline() - deps.clock.now().getTime();
    if (remainingMs <= 0) {
      return failMigration(execution, status, `the update's deadline passed before ${describe} could start`, describe);
    }
    const planned = record.plan.migrations.find((migration) => sameWorkload(migration.template, status.template));
    try {
      await deps.cluster.createMigrationJob({
        template: status.template,
        jobName: status.jobName,
        images: (planned?.containers ?? []).map((container) => ({
          container: container.name,
          init: container.init,
          image: container.newImage,
        })),
        activeDeadlineSeconds: Math.max(
          1,
          Math.min(options.migrationActiveDeadlineSeconds, Math.floor(remainingMs / 1000)),
        ),
        labels: { [deps.keys.updateIdLabel]: record.id, [deps.keys.migrationOfLabel]: name },
      });
    } catch (error) {
      if (error instanceof ExecutionHalted) throw error;
      const message = isDomainError(error) || error instanceof Error ? error.message : String(error);
      return failMigration(execution, status, `creating the Job failed: ${message}`, describe);
    }
    status.phase = "running";
    status.message = "";
    await execution.save([{ type: "migration-started", template: status.template, jobName: status.jobName }]);
    execution.log.info({ job: status.jobName, namespace }, "migration started");
  }

  const outcome = await awaitMigrationJob({
    cluster: deps.cluster,
    clock: deps.clock,
    namespace,
    name: status.jobName,
    deadline: execution.deadline(),
    mustExist: resumedRunning,
    halt: execution.haltSignal,
  });
  switch (outcome.kind) {
    case "halted":
      throw new ExecutionHalted();
    case "complete":
      status.phase = "succeeded";
      status.message = "";
      // Batched: a restart before it is recorded finds the copy complete and records it then.
      await execution.save([{ type: "migration-succeeded", template: status.template, jobName: status.jobName }], { batch: true });
      execution.log.info({ job: status.jobName, namespace }, "migration succeeded");
      break;
    case "failed":
      return failMigration(execution, status, outcome.reason, describe);
    case "timeout":
      return failMigration(
        execution,
        status,
        `the update's timeout of ${formatDuration(record.updateTimeoutMs)} passed before the Job completed`,
        describe,
      );
  }
  return undefined;
}

async function failMigration(
  execution: UpdateExecution,
  status: UpdateExecution["record"]["migrations"][number],
  reason: string,
  describe: string,
): Promise<MigrationsOutcome> {
  status.phase = "failed";
  status.message = reason;
  await execution.save([{ type: "migration-failed", template: status.template, jobName: status.jobName, reason }]);
  execution.log.warn({ job: status.jobName, reason }, "migration failed");
  return { kind: "failed", reason: `${describe} failed: ${reason}` };
}
