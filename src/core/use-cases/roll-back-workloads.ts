import { isDomainError } from "../domain/domain-error.js";
import type { ContainerChange, WorkloadStatus } from "../domain/update.js";
import type { ImagePatch } from "../ports/cluster.js";
import type { CoreSpan } from "../ports/update-tracer.js";
import { conflictImage } from "./conflict-image.js";
import { describeWorkload } from "./describe-workload.js";
import { ExecutionHalted } from "./execution-halted.js";
import { gateWorkload } from "./gate-workload.js";
import { formatDuration } from "./format-duration.js";
import type { UpdateExecution } from "./update-execution.js";
import { updateAttributes, workloadAttributes } from "./update-spans.js";

/** Why the update rolls back. */
export interface RollbackCause {
  /** A cancel (the update ends CANCELLED) rather than a failure (ROLLED_BACK). */
  readonly cancelled: boolean;
  readonly reason: string;
}

/** Prefix of every cancel reason; a resumed rollback reads its cause back from `record.reason`. */
export const cancelReasonPrefix = "cancelled by ";

/**
 * Ends an update that failed or was cancelled. Restores exactly the workloads this update patched,
 * in reverse order, each to the images recorded before its patch, with a patch that first tests
 * the container still holds the image this update set (a foreign change is never overwritten),
 * and waits for each to be healthy again. Migrations cannot be undone; the event says which ran.
 * Resumable: workloads already restored (or given up on) are skipped.
 */
export async function rollBack(execution: UpdateExecution, cause: RollbackCause): Promise<void> {
  const { record } = execution;
  const patched = record.workloads.filter((status) => status.patched);
  if (patched.length === 0) {
    await execution.finish(cause.cancelled ? "cancelled" : "failed", cause.reason);
    return;
  }
  const attributes = { "update.rollback.cause": cause.cancelled ? "cancel" : "failure", "update.rollback.workloads": patched.length };
  await execution.step("update.rollback", attributes, (span) => rollBackPatched(execution, cause, patched, span));
}

async function rollBackPatched(
  execution: UpdateExecution,
  cause: RollbackCause,
  patched: readonly WorkloadStatus[],
  span: CoreSpan,
): Promise<void> {
  const { record } = execution;
  if (record.phase !== "rolling-back") {
    record.state = "rolling-back";
    record.phase = "rolling-back";
    record.reason = cause.reason;
    const migrationsNotUndone = record.migrations
      .filter((migration) => migration.phase === "succeeded")
      .map((migration) => migration.template);
    await execution.save([
      {
        type: "rollback-started",
        reason: cause.reason,
        workloads: patched.map((status) => status.workload),
        migrationsNotUndone,
      },
    ]);
    execution.log.warn(
      { reason: cause.reason, workloads: patched.length, migrationsNotUndone: migrationsNotUndone.length },
      "rolling back",
    );
  }

  for (const status of [...patched].reverse()) {
    if (status.phase === "rolled-back" || status.phase === "rollback-failed") continue;
    await restoreWorkload(execution, status, span);
  }

  const remaining = patched.filter((status) => status.phase !== "rolled-back").map((status) => status.workload);
  const finished = { type: "rollback-finished", success: remaining.length === 0, remaining } as const;
  if (remaining.length === 0) {
    await execution.finish(cause.cancelled ? "cancelled" : "rolled-back", cause.reason, [finished]);
    return;
  }
  const left = remaining.map(describeWorkload).join(", ");
  span.fail(`the rollback could not restore ${left}`);
  await execution.finish("rollback-failed", `${cause.reason}; the rollback could not restore ${left}`, [finished]);
}

/** Patches one workload back (span `update.workload.restore`) and gates its health, as children of `rollback`. */
async function restoreWorkload(execution: UpdateExecution, status: WorkloadStatus, rollback: CoreSpan): Promise<void> {
  const { deps, options } = execution;
  const attributes = workloadAttributes(status.workload);
  const changed = status.containers.filter((container) => !container.unchanged);
  const cached = deps.cluster.getWorkload(status.workload);
  if (cached === undefined) return rollbackFailed(execution, status, "it no longer exists");

  // Containers already back on their previous image (a resumed rollback) need no patch.
  const patches: ImagePatch[] = changed
    .filter((change) => {
      const current = cached.containers.find(
        (container) => container.name === change.name && container.init === change.init,
      );
      return current?.image !== change.currentImage;
    })
    .map((change) => ({
      container: change.name,
      init: change.init,
      expectedImage: change.newImage,
      newImage: change.currentImage,
    }));

  let minGeneration: number | undefined;
  if (patches.length > 0) {
    const restore = execution.tracer.startSpan("update.workload.restore", {
      parent: rollback.ref,
      attributes: { ...updateAttributes(execution.record), ...attributes },
    });
    try {
      minGeneration = (await deps.cluster.patchImages(status.workload, patches)).rollout.generation;
    } catch (error) {
      restore.fail(error instanceof Error ? error.message : String(error));
      restore.end();
      if (error instanceof ExecutionHalted) throw error;
      if (isDomainError(error) && error.reason === "IMAGE_CONFLICT") {
        const container = error.metadata["container"] ?? "";
        const expected = conflictImage(error.metadata, "expected") ?? "";
        const actual = conflictImage(error.metadata, "actual") ?? "";
        return rollbackFailed(
          execution,
          status,
          `container ${container} runs ${actual === "" ? "no image (it is gone)" : actual}, not ${expected} as this update set it: ` +
            "someone else changed it; the change was not overwritten",
        );
      }
      const message = error instanceof Error ? error.message : String(error);
      return rollbackFailed(execution, status, `patching it back failed: ${message}`);
    }
    restore.end();
  }

  const outcome = await execution.step(
    "update.workload.health_gate",
    { ...attributes, "update.rollback": true },
    async (span) => {
      const gated = await gateWorkload(execution, status, {
        deadline: deps.clock.now().getTime() + options.rollbackTimeoutMs,
        minGeneration,
      });
      span.setAttributes({ "update.gate.outcome": gated.kind });
      if (gated.kind === "failed") span.fail(gated.reason);
      if (gated.kind === "timeout") span.fail("the rollback timeout passed");
      return gated;
    },
    rollback,
  );

  switch (outcome.kind) {
    case "healthy":
      // The message keeps why the workload failed (if it did): still the useful detail.
      status.phase = "rolled-back";
      status.rollout = outcome.rollout;
      await execution.save([{ type: "workload-rolled-back", workload: status.workload, containers: reversed(changed) }]);
      execution.log.info({ workload: describeWorkload(status.workload) }, "workload rolled back");
      return;
    case "timeout":
      return rollbackFailed(
        execution,
        status,
        `its previous images are back, but its rollout was not complete within ${formatDuration(options.rollbackTimeoutMs)}`,
      );
    case "failed":
    case "cancelled":
      return rollbackFailed(
        execution,
        status,
        `its previous images are back, but its rollout failed: ${outcome.kind === "failed" ? outcome.reason : "cancelled"}`,
      );
  }
}

async function rollbackFailed(execution: UpdateExecution, status: WorkloadStatus, reason: string): Promise<void> {
  status.phase = "rollback-failed";
  status.message = reason;
  await execution.save([{ type: "workload-rollback-failed", workload: status.workload, reason }]);
  execution.log.error({ workload: describeWorkload(status.workload), reason }, "rollback of workload failed");
}

/** The changes a rollback applies: from the image the update set back to the recorded one. */
function reversed(changes: readonly ContainerChange[]): ContainerChange[] {
  return changes.map((change) => ({ ...change, currentImage: change.newImage, newImage: change.currentImage }));
}
