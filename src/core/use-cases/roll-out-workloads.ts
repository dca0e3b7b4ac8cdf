import { isDomainError } from "../domain/domain-error.js";
import { tryParseImageReference } from "../domain/image-reference.js";
import type { ContainerChange, WorkloadStatus } from "../domain/update.js";
import type { Workload } from "../domain/workload.js";
import type { ImagePatch } from "../ports/cluster.js";
import { conflictImage } from "./conflict-image.js";
import { describeWorkload } from "./describe-workload.js";
import { ExecutionHalted } from "./execution-halted.js";
import { formatDuration } from "./format-duration.js";
import { gateWorkload } from "./gate-workload.js";
import { passAlertGate } from "./pass-alert-gate.js";
import type { UpdateExecution } from "./update-execution.js";
import { workloadAttributes } from "./update-spans.js";

export type RollOutOutcome =
  | { readonly kind: "succeeded" }
  | { readonly kind: "failed"; readonly reason: string }
  | { readonly kind: "cancelled" };

/**
 * Rolls the changed workloads out one after another, in plan order, each health-gated before the
 * next is touched: a bad image then breaks one workload, not all of them, and a rollback has as
 * little to undo as possible; between two workloads the alert gate must be open (pass-alert-gate.ts). Stops at the
 * first failure or at a cancel; the caller rolls back.
 */
export async function rollOutWorkloads(execution: UpdateExecution): Promise<RollOutOutcome> {
  // A workload before this one was rolled out (in this attempt or an earlier one): the alert gate is passed again.
  let between = false;
  for (const status of execution.record.workloads) {
    if (status.phase === "unchanged") continue;
    if (status.phase === "healthy") {
      between = true;
      continue;
    }
    if (status.phase === "failed" || status.phase === "conflict") {
      // Resumed after the failure was recorded: go on to the rollback.
      return { kind: "failed", reason: `${describeWorkload(status.workload)}: ${status.message}` };
    }
    if (execution.cancelSignal.aborted) return { kind: "cancelled" };
    if (between && !status.patched) {
      const gated = await passAlertGate(execution);
      if (gated !== undefined) return gated;
    }
    between = true;
    const outcome = await rollOutWorkload(execution, status);
    if (outcome !== undefined) return outcome;
  }
  if (execution.cancelSignal.aborted) return { kind: "cancelled" };
  return { kind: "succeeded" };
}

/** Patches one workload (unless already done) and gates its health; undefined when it is healthy. */
async function rollOutWorkload(execution: UpdateExecution, status: WorkloadStatus): Promise<RollOutOutcome | undefined> {
  const { record } = execution;
  const changed = status.containers.filter((container) => !container.unchanged);
  const attributes = workloadAttributes(status.workload);
  let minGeneration: number | undefined;

  if (!status.patched) {
    const patched = await execution.step("update.workload.patch", attributes, async (span) => {
      const result = await patchWorkload(execution, status, changed);
      if (result.outcome?.kind === "failed") span.fail(result.outcome.reason);
      return result;
    });
    if (patched.outcome !== undefined) return patched.outcome;
    minGeneration = patched.minGeneration;
  }

  const outcome = await execution.step("update.workload.health_gate", attributes, async (span) => {
    const gated = await gateWorkload(execution, status, {
      deadline: execution.deadline(),
      minGeneration,
      cancel: execution.cancelSignal,
    });
    span.setAttributes({ "update.gate.outcome": gated.kind });
    if (gated.kind === "failed") span.fail(gated.reason);
    if (gated.kind === "timeout") span.fail("the update's deadline passed");
    return gated;
  });

  switch (outcome.kind) {
    case "healthy":
      status.phase = "healthy";
      status.rollout = outcome.rollout;
      status.message = "";
      await execution.save([{ type: "workload-healthy", workload: status.workload }], { batch: true });
      execution.log.info({ workload: describeWorkload(status.workload) }, "workload healthy");
      return undefined;
    case "cancelled":
      return { kind: "cancelled" };
    case "timeout":
      if (outcome.rollout !== undefined) status.rollout = outcome.rollout;
      return failWorkload(
        execution,
        status,
        `the update's timeout of ${formatDuration(record.updateTimeoutMs)} passed before its rollout completed`,
        false,
      );
    case "failed":
      if (outcome.rollout !== undefined) status.rollout = outcome.rollout;
      return failWorkload(execution, status, outcome.reason, outcome.newPodsAtFault, outcome.imageId);
  }
}

/**
 * Patches one workload, or records a patch a restart interrupted; `outcome` is set when it failed, `minGeneration`
 * is the generation the patch produced.
 */
async function patchWorkload(
  execution: UpdateExecution,
  status: WorkloadStatus,
  changed: readonly ContainerChange[],
): Promise<{ outcome?: RollOutOutcome; minGeneration?: number }> {
  const { deps } = execution;
  const cached = deps.cluster.getWorkload(status.workload);
  if (status.phase === "rolling-out" && cached !== undefined && holdsNewImages(cached, status)) {
    // A restart came between the patch and recording it: the patch is ours (it was tested
    // against the recorded previous images), so record it instead of patching again.
    status.patched = true;
    await execution.save([{ type: "workload-patched", workload: status.workload, containers: [...changed] }], { batch: true });
    return {};
  }
  if (cached === undefined) {
    return { outcome: await failWorkload(execution, status, "it no longer exists", false) };
  }
  // Recorded by an earlier attempt: it may have patched (the cache may not show it yet).
  const intended = status.phase === "rolling-out";
  // Previous images are in the record already (from the plan); saving the intent first lets a
  // restart tell "maybe patched" from "not patched".
  status.phase = "rolling-out";
  status.message = "";
  await execution.save();
  const patches: ImagePatch[] = changed.map((container) => ({
    container: container.name,
    init: container.init,
    expectedImage: container.currentImage,
    newImage: container.newImage,
  }));
  let minGeneration: number;
  try {
    minGeneration = (await deps.cluster.patchImages(status.workload, patches)).rollout.generation;
  } catch (error) {
    if (error instanceof ExecutionHalted) throw error;
    if (isDomainError(error) && error.reason === "IMAGE_CONFLICT") {
      const container = changed.find((change) => change.name === error.metadata["container"]);
      if (intended && container !== undefined && conflictImage(error.metadata, "actual") === container.newImage) {
        // The earlier attempt's patch landed after the cache was read (one patch sets every container): ours, not
        // someone else's; recorded as patched, as when the cache shows it.
        status.patched = true;
        await execution.save([{ type: "workload-patched", workload: status.workload, containers: [...changed] }], { batch: true });
        return {};
      }
      return { outcome: await conflict(execution, status, error.metadata) };
    }
    const message = error instanceof Error ? error.message : String(error);
    return { outcome: await failWorkload(execution, status, `patching it failed: ${message}`, false) };
  }
  status.patched = true;
  // Batched: a restart before it is recorded finds the new images in place and records the patch then.
  await execution.save([{ type: "workload-patched", workload: status.workload, containers: [...changed] }], { batch: true });
  execution.log.info({ workload: describeWorkload(status.workload) }, "workload patched");
  return { minGeneration };
}

/** Records the failure (and, when the new pods are at fault, quarantines the image for the workload). */
async function failWorkload(
  execution: UpdateExecution,
  status: WorkloadStatus,
  reason: string,
  quarantine: boolean,
  imageId?: string,
): Promise<RollOutOutcome> {
  const { deps, record } = execution;
  status.phase = "failed";
  status.message = reason;
  await execution.save([{ type: "workload-failed", workload: status.workload, reason }]);
  execution.log.warn({ workload: describeWorkload(status.workload), reason }, "workload failed");
  if (quarantine) {
    const digest = tryParseImageReference(record.image)?.digest ?? digestOf(imageId);
    try {
      await deps.quarantines.add({
        workload: status.workload,
        image: record.image,
        ...(digest === undefined ? {} : { digest }),
        updateId: record.id,
        reason,
        createTime: deps.clock.now(),
      });
    } catch (error) {
      // The rollback matters more than the quarantine: log and go on.
      execution.log.error({ err: error }, "recording the quarantine failed");
    }
  }
  return { kind: "failed", reason: `${describeWorkload(status.workload)} failed: ${reason}` };
}

/** Someone else changed a container: report it and stop, never overwriting their change. */
async function conflict(
  execution: UpdateExecution,
  status: WorkloadStatus,
  metadata: Readonly<Record<string, string>>,
): Promise<RollOutOutcome> {
  const container = metadata["container"] ?? "";
  const expectedImage =
    conflictImage(metadata, "expected") ??
    status.containers.find((candidate) => candidate.name === container)?.currentImage ??
    "";
  const actualImage = conflictImage(metadata, "actual") ?? "";
  const reason =
    `container ${container} runs ${actualImage === "" ? "no image (it is gone)" : actualImage}, not ${expectedImage}: ` +
    "someone else changed it; the change was not overwritten";
  status.phase = "conflict";
  status.message = reason;
  await execution.save([{ type: "workload-conflict", workload: status.workload, container, expectedImage, actualImage }]);
  execution.log.warn({ workload: describeWorkload(status.workload), container, expectedImage, actualImage }, "image conflict");
  return { kind: "failed", reason: `${describeWorkload(status.workload)}: ${reason}` };
}

function holdsNewImages(workload: Workload, status: WorkloadStatus): boolean {
  return status.containers
    .filter((container) => !container.unchanged)
    .every((change) =>
      workload.containers.some(
        (container) =>
          container.name === change.name && container.init === change.init && container.image === change.newImage,
      ),
    );
}

/** The digest in an image ID such as `docker.io/library/web@sha256:…`, if any. */
function digestOf(imageId: string | undefined): string | undefined {
  return imageId === undefined ? undefined : /@(sha256:[0-9a-f]{64})/.exec(imageId)?.[1];
}
