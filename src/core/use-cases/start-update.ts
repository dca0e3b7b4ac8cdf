import { type AccessScope, authorizeAccess, planNamespaces } from "../domain/access-scope.js";
import { validateClassifier } from "../domain/classifier.js";
import { DomainError, isDomainError } from "../domain/domain-error.js";
import { formatImageReference, parseUpdateImage, repositoryName } from "../domain/image-reference.js";
import type { UpdateEventBody } from "../domain/update-event.js";
import type { UpdatePlan, UpdateRecord } from "../domain/update.js";
import { type WorkloadRef, workloadKey } from "../domain/workload.js";
import { describeWorkload } from "./describe-workload.js";
import type { UpdateExecutor } from "./execute-update.js";
import { lockTargets } from "./lock-targets.js";
import { planUpdate } from "./plan-update.js";
import { requestHash } from "./request-hash.js";
import type { UpdateEngineDeps } from "./update-engine-deps.js";
import type { ResolvedUpdateEngineOptions } from "./update-engine-options.js";
import { validateIdempotencyKey, validateUpdateTimeout } from "./validate-update-request.js";

export interface StartUpdateRequest {
  /** `[registry[:port]/]repository[:tag][@digest]`; a tag or digest is required. Trimmed. */
  readonly image: string;
  /** The classifier targets opted in with. Required; a valid label value. */
  readonly classifier: string;
  /** Plan only: nothing is recorded or changed. Default: false. */
  readonly dryRun?: boolean;
  /** Makes retries safe (per requester); at most 128 printable characters. Default: none. */
  readonly idempotencyKey?: string;
  /** Deadline of the whole update, from its start. Default: the engine's defaultUpdateTimeoutMs. */
  readonly updateTimeoutMs?: number;
  /** Use the image even where it is quarantined. Default: false. */
  readonly overrideQuarantine?: boolean;
  /**
   * Registry watching: change only these workloads of the classifier (migration templates still run),
   * so a policy of one workload never updates another. Internal only, not in the API; not part of the
   * idempotency hash. Default: every workload of the classifier that uses the repository.
   */
  readonly onlyWorkloads?: readonly WorkloadRef[];
}

export interface RequestContext {
  /** Who asks: the API key's name, the CI identity's subject, or the registry watcher. */
  readonly requester: string;
  /**
   * What the requester may touch. Checked once the plan is known, before anything is recorded,
   * locked or changed: the update is refused whole (PERMISSION_DENIED naming what is denied) when
   * no single grant covers its classifier, repository and every namespace the plan touches
   * (workloads and migration templates). Dry runs are checked too: a plan names workloads.
   * Default: unrestricted (the full-scope key, insecure demo mode, internal callers).
   */
  readonly scope?: AccessScope;
}

export type StartUpdate = (request: StartUpdateRequest, context: RequestContext) => Promise<UpdateRecord>;

/**
 * Accepts an update: validates, plans from the cache, refuses what must not run, locks the
 * targets, records the update and starts executing it in the background. Returns once recorded;
 * the execution does not depend on the caller staying. No lock outlives a refusal.
 */
export function createStartUpdate(
  deps: UpdateEngineDeps,
  options: ResolvedUpdateEngineOptions,
  executor: UpdateExecutor,
): StartUpdate {
  return async (request, context) => {
    const imageInput = typeof request.image === "string" ? request.image.trim() : request.image;
    const reference = parseUpdateImage(imageInput);
    const image = formatImageReference(reference);
    const classifier = validateClassifier(request.classifier ?? "");
    const idempotencyKey = validateIdempotencyKey(request.idempotencyKey);
    const updateTimeoutMs = validateUpdateTimeout(
      request.updateTimeoutMs,
      options.defaultUpdateTimeoutMs,
      options.maxUpdateTimeoutMs,
    );
    const overrideQuarantine = request.overrideQuarantine === true;
    const dryRun = request.dryRun === true;
    const { requester } = context;
    const hash = requestHash({ image, classifier, updateTimeoutMs, overrideQuarantine });

    if (!deps.cluster.isSynced()) {
      throw new DomainError(
        "unavailable",
        "CACHE_NOT_SYNCED",
        "the manager's cluster caches have not synced yet; retry in a few seconds",
      );
    }

    // A dry run records nothing, so it never answers with (or collides with) a recorded update.
    if (!dryRun && idempotencyKey !== undefined) {
      const existing = await deps.store.findByIdempotencyKey(requester, idempotencyKey);
      if (existing !== undefined) return sameRequestOrThrow(existing, hash, idempotencyKey);
    }

    const id = dryRun ? "" : deps.newId();
    const { plan, notUpdatable } = planUpdate({
      image: imageInput,
      reference,
      classifier,
      updateId: id,
      workloads: deps.cluster.listWorkloads(),
      keys: deps.keys,
      legacyAnnotation: options.legacyAnnotation,
      ...(request.onlyWorkloads === undefined ? {} : { onlyWorkloads: request.onlyWorkloads }),
    });
    if (context.scope !== undefined) {
      const repository = repositoryName(reference);
      authorizeAccess(
        context.scope,
        { classifier, repositories: [repository], namespaces: planNamespaces(plan) },
        `update ${repository} (classifier ${JSON.stringify(classifier)})`,
      );
    }
    const now = deps.clock.now();
    const record: UpdateRecord = {
      id,
      state: dryRun ? "planned" : "pending",
      phase: "planning",
      image,
      classifier,
      requester,
      plan,
      createTime: now,
      reason: "",
      updateTimeoutMs,
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      requestHash: hash,
      overrideQuarantine,
      cancelRequested: false,
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
      lastSequence: 0,
    };

    if (dryRun) {
      const warnings = await quarantineWarnings(plan, image, reference.digest);
      return warnings.length === 0 ? record : { ...record, plan: { ...plan, warnings: [...plan.warnings, ...warnings] } };
    }

    if (plan.workloads.length === 0 && plan.migrations.length === 0) {
      const repository = repositoryName(reference);
      const why = plan.warnings.length > 0 ? ` (${plan.warnings.join("; ")})` : "";
      throw new DomainError(
        "not-found",
        "NO_TARGETS",
        `no workload or migration opted in with classifier "${classifier}" uses repository ${repository}${why}`,
        { metadata: { classifier, repository } },
      );
    }
    const refused = notUpdatable[0];
    if (refused !== undefined) {
      throw new DomainError("failed-precondition", "TARGET_NOT_UPDATABLE", refused.reason, {
        metadata: { workload: workloadKey(refused.workload) },
      });
    }
    if (!overrideQuarantine) await refuseQuarantined(plan, image, reference.digest);

    if (plan.workloads.length > 0 && plan.workloads.every((workload) => workload.unchanged)) {
      // Nothing to change (a retry of an update that succeeded, say): done, with no lock and no write.
      record.state = "succeeded";
      record.phase = "finished";
      record.startTime = now;
      record.finishTime = now;
      return create(record, [
        { type: "planned", plan },
        { type: "finished", state: "succeeded", reason: "" },
      ]);
    }

    const targets = lockTargets(plan);
    try {
      await deps.locks.acquire(id, targets);
    } catch (error) {
      // A retry racing its own first attempt finds the targets locked by it: answer with that update.
      if (isDomainError(error, "aborted") && idempotencyKey !== undefined) {
        const existing = await deps.store.findByIdempotencyKey(requester, idempotencyKey);
        if (existing !== undefined) return sameRequestOrThrow(existing, hash, idempotencyKey);
      }
      throw error;
    }
    let created: UpdateRecord;
    try {
      created = await create(record, [{ type: "planned", plan }]);
    } catch (error) {
      await deps.locks.release(id, targets);
      throw error;
    }
    if (created.id !== id) {
      // Lost an idempotency race: the other request's update stands; ours never existed.
      await deps.locks.release(id, targets);
      return created;
    }
    executor.launch(created);
    return created;

    /** Records the update; on an idempotency race returns (or refuses) the winner instead. */
    async function create(toCreate: UpdateRecord, events: readonly UpdateEventBody[]): Promise<UpdateRecord> {
      try {
        await deps.store.create(toCreate, events);
        return structuredClone(toCreate);
      } catch (error) {
        if (!isDomainError(error, "already-exists") || idempotencyKey === undefined) throw error;
        const winner = await deps.store.findByIdempotencyKey(requester, idempotencyKey);
        if (winner === undefined) throw error;
        return sameRequestOrThrow(winner, hash, idempotencyKey);
      }
    }
  };

  async function refuseQuarantined(plan: UpdatePlan, image: string, digest: string | undefined): Promise<void> {
    for (const workload of plan.workloads) {
      if (workload.unchanged) continue;
      const record = await deps.quarantines.find(workload.workload, image, digest);
      if (record === undefined) continue;
      throw new DomainError(
        "failed-precondition",
        "IMAGE_QUARANTINED",
        `${image} is quarantined for ${describeWorkload(workload.workload)}: update ${record.updateId} failed with it ` +
          `(${record.reason}); clear the quarantine or set override_quarantine`,
        { metadata: { image: record.image, workload: workloadKey(workload.workload), update_id: record.updateId } },
      );
    }
  }

  async function quarantineWarnings(plan: UpdatePlan, image: string, digest: string | undefined): Promise<string[]> {
    const warnings: string[] = [];
    for (const workload of plan.workloads) {
      if (workload.unchanged) continue;
      const record = await deps.quarantines.find(workload.workload, image, digest);
      if (record !== undefined) {
        warnings.push(
          `${image} is quarantined for ${describeWorkload(workload.workload)} (update ${record.updateId}: ${record.reason})`,
        );
      }
    }
    return warnings;
  }
}

function sameRequestOrThrow(existing: UpdateRecord, hash: string, idempotencyKey: string): UpdateRecord {
  if (existing.requestHash === hash) return existing;
  throw new DomainError(
    "invalid-argument",
    "IDEMPOTENCY_KEY_REUSED",
    `idempotency key "${idempotencyKey}" was already used for update ${existing.id} with a different request`,
    { metadata: { update_id: existing.id, field: "idempotency_key" } },
  );
}
