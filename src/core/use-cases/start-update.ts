import { type AccessScope, authorizeAccess, planNamespaces } from "../domain/access-scope.js";
import { type ApprovalRequirement, approvalRequirement } from "../domain/approval-policy.js";
import { validateClassifier } from "../domain/classifier.js";
import { DomainError, isDomainError } from "../domain/domain-error.js";
import { type FreezeState, notFrozen } from "../domain/freeze.js";
import { formatImageReference, parseUpdateImage, repositoryName } from "../domain/image-reference.js";
import type { UpdateEventBody } from "../domain/update-event.js";
import type { UpdatePlan, UpdateRecord } from "../domain/update.js";
import { type WorkloadRef, workloadKey } from "../domain/workload.js";
import type { CoreSpan } from "../ports/update-tracer.js";
import type { ClosedGate } from "../domain/gate-wait.js";
import { createGateChecker, gateClosedEvent, gateRefusal, gateWaitOf } from "./check-gates.js";
import { describeWorkload } from "./describe-workload.js";
import type { UpdateExecutor } from "./execute-update.js";
import { findQuarantined } from "./find-quarantined.js";
import { initialProgress } from "./initial-progress.js";
import { lockTargets } from "./lock-targets.js";
import { planUpdate } from "./plan-update.js";
import { requestHash } from "./request-hash.js";
import type { UpdateEngineDeps } from "./update-engine-deps.js";
import type { ResolvedUpdateEngineOptions } from "./update-engine-options.js";
import { queueFull, type UpdateQueue } from "./update-queue.js";
import { inSpan, planAttributes, tracerOf, updateAttributes, updateLogFields } from "./update-spans.js";
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
   * When another update holds a target (or queued updates wait for one), record this one as
   * `queued` behind them instead of refusing it (TARGET_BUSY); see update-queue.ts. QUEUE_FULL when
   * `maxQueuedPerTarget` already wait for a target. Default: false.
   */
  readonly queueIfBusy?: boolean;
  /**
   * An image no target uses with the classifier is recorded as an update that succeeded at once,
   * with an empty plan and a warning (the original manager's answer), instead of NO_TARGETS.
   * Default: false.
   */
  readonly succeedWithoutTargets?: boolean;
  /**
   * Registry watching: change only these workloads of the classifier (migration templates still run),
   * so a policy of one workload never updates another. Internal only, not in the API; not part of the
   * idempotency hash. Default: every workload of the classifier that uses the repository.
   */
  readonly onlyWorkloads?: readonly WorkloadRef[];
  /**
   * While updates are frozen, refuse this update (FROZEN) even where the freeze policy queues new updates: the
   * registry watcher asks again on its next check instead of piling up queued updates. Internal only. Default: false.
   */
  readonly refuseWhenFrozen?: boolean;
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
  queue: UpdateQueue,
): StartUpdate {
  const tracer = tracerOf(deps);
  const gates = createGateChecker(deps, options);
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
    // One trace per update: the accept span (a child of the RPC's span when the caller sent a traceparent, else the
    // root of a new trace) is where every later span of the update hangs, on any replica.
    const acceptSpan = dryRun
      ? undefined
      : tracer.startSpan("update.accept", {
          attributes: { ...updateAttributes({ id, classifier, image }), "update.requester": requester },
        });
    try {
      return await accept(acceptSpan);
    } catch (error) {
      acceptSpan?.fail(error instanceof Error ? error.message : String(error));
      throw error;
    } finally {
      acceptSpan?.end();
    }

    async function accept(span: CoreSpan | undefined): Promise<UpdateRecord> {
      /** A step of the acceptance in a child span of the accept span (none for a dry run). */
      const step = <T>(name: string, run: (stepSpan: CoreSpan | undefined) => Promise<T>): Promise<T> =>
        span === undefined ? run(undefined) : inSpan(tracer, name, span.ref, updateAttributes({ id, classifier, image }), run);
      const { plan, notUpdatable } = await step("update.plan", async (planSpan) => {
        const planned = planUpdate({
          image: imageInput,
          reference,
          classifier,
          updateId: id,
          workloads: deps.cluster.listWorkloadsUsing(repositoryName(reference)),
          keys: deps.keys,
          legacyAnnotation: options.legacyAnnotation,
          ...(request.onlyWorkloads === undefined ? {} : { onlyWorkloads: request.onlyWorkloads }),
        });
        planSpan?.setAttributes(planAttributes(planned.plan));
        if (context.scope !== undefined) {
          const repository = repositoryName(reference);
          authorizeAccess(
            context.scope,
            { classifier, repositories: [repository], namespaces: planNamespaces(planned.plan) },
            `update ${repository} (classifier ${JSON.stringify(classifier)})`,
          );
        }
        return planned;
      });
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
        ...initialProgress(plan),
        lastSequence: 0,
        ...(span === undefined
          ? {}
          : { trace: { traceId: span.ref.traceId, spanId: span.ref.spanId, sampled: span.ref.sampled, attempts: 0 } }),
      };

      if (dryRun) {
        const warnings = await quarantineWarnings(plan, image, reference.digest);
        const approval = requirementOf(plan, classifier);
        if (approval !== undefined) warnings.push(`needs ${approval.required} approvals (${approval.policy}) before it runs`);
        const closed = gates.configured ? await gates.beforeStart(record) : undefined;
        if (closed !== undefined) warnings.push(`${closed.action === "refuse" ? "would be refused" : "would wait"}: ${closed.reason}`);
        return warnings.length === 0 ? record : { ...record, plan: { ...plan, warnings: [...plan.warnings, ...warnings] } };
      }

      if (plan.workloads.length === 0 && plan.migrations.length === 0) {
        const repository = repositoryName(reference);
        const why = plan.warnings.length > 0 ? ` (${plan.warnings.join("; ")})` : "";
        if (request.succeedWithoutTargets === true) {
          // The original's answer: an empty update that succeeded. The warning says why nothing changed.
          const warning = `nothing matched: no workload or migration opted in with classifier "${classifier}" uses repository ${repository}${why}`;
          const empty = { ...plan, warnings: [...plan.warnings, warning] };
          deps.logger.warn({ ...updateLogFields(record), image, classifier, requester }, warning);
          return create({ ...record, plan: empty, state: "succeeded", phase: "finished", startTime: now, finishTime: now }, [
            { type: "planned", plan: empty },
            { type: "finished", state: "succeeded", reason: "" },
          ]);
        }
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
      if (!overrideQuarantine) {
        const quarantined = await findQuarantined(deps.quarantines, plan, image, reference.digest);
        if (quarantined !== undefined) throw quarantined;
      }

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

      const freeze = deps.freeze === undefined ? notFrozen : await deps.freeze.get();
      if (freeze.frozen && (request.refuseWhenFrozen === true || options.frozenNewUpdates === "refuse")) throw frozen(freeze);
      const approval = requirementOf(plan, classifier);
      if (approval !== undefined) return awaitApproval(approval);
      // The gates (windows, alerts): an approved update passes them when it leaves the wait for approval.
      const closed = gates.configured ? await gates.beforeStart(record) : undefined;
      if (closed !== undefined) {
        if (closed.action === "refuse") throw gateRefusal(closed);
        return awaitGate(closed);
      }

      const targets = lockTargets(plan);
      if (freeze.frozen) {
        // The freeze policy queues new updates: held (no lock) until unfrozen, then in their queue order.
        const ahead = await queue.ahead(targets);
        if (ahead.fullTarget !== undefined) throw queueFull(ahead.fullTarget, options.maxQueuedPerTarget);
        const held = await create({ ...record, state: "queued", queuedTime: queue.queueTime() }, [
          { type: "planned", plan },
          { type: "held", reason: describeFreeze(freeze) },
        ]);
        if (held.id === id) deps.logger.info({ ...updateLogFields(record), image, classifier }, "update held: updates are frozen");
        return held;
      }
      // Queued updates hold no lock, yet a newcomer that shares a target must wait behind them.
      const waiting = await queue.ahead(targets);
      if (waiting.queued.length > 0) {
        if (request.queueIfBusy !== true) throw queuedAhead(waiting.queued[0] ?? "", targets);
        return enqueue(waiting.behind, waiting.fullTarget);
      }
      try {
        await step("update.lock", async (lockSpan) => {
          lockSpan?.setAttributes({ "update.lock.targets": targets.length });
          await deps.locks.acquire(id, targets);
        });
      } catch (error) {
        // A retry racing its own first attempt finds the targets locked by it: answer with that update.
        if (isDomainError(error, "aborted") && idempotencyKey !== undefined) {
          const existing = await deps.store.findByIdempotencyKey(requester, idempotencyKey);
          if (existing !== undefined) return sameRequestOrThrow(existing, hash, idempotencyKey);
        }
        if (isDomainError(error, "aborted") && error.reason === "TARGET_BUSY" && request.queueIfBusy === true) {
          const ahead = await queue.ahead(targets);
          const holder = error.metadata["update_id"];
          const behind = holder === undefined || ahead.behind.includes(holder) ? ahead.behind : [holder, ...ahead.behind];
          return enqueue(behind, ahead.fullTarget);
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

      /**
       * Records the update as waiting for approval: no lock, no place in a queue; the queue moves it once it is
       * approved (or ends it when rejected or past its deadline).
       */
      async function awaitApproval(requirement: ApprovalRequirement): Promise<UpdateRecord> {
        const capacity = options.approverCapacity(requester);
        if (capacity < requirement.required) {
          throw new DomainError(
            "failed-precondition",
            "APPROVAL_IMPOSSIBLE",
            `this update needs ${requirement.required} approvals (${requirement.policy}), but only ${capacity} principals other than ` +
              `${requester} may approve updates; grant ApproveUpdate to more principals or lower the requirement`,
            { metadata: { required: String(requirement.required), available: String(capacity) } },
          );
        }
        const deadline = new Date(now.getTime() + requirement.deadlineMs);
        const waiting = await create(
          {
            ...record,
            state: "waiting-for-approval",
            approval: { required: requirement.required, deadline, policy: requirement.policy, approvals: [] },
          },
          [
            { type: "planned", plan },
            { type: "approval-required", required: requirement.required, deadline, policy: requirement.policy },
          ],
        );
        if (waiting.id === id) {
          deps.logger.info(
            { ...updateLogFields(record), image, classifier, required: requirement.required, policy: requirement.policy, deadline },
            "update waits for approval",
          );
          // Its deadline must be watched (a timer of the queue's).
          void queue.pump();
        }
        return waiting;
      }

      /**
       * Records the update as waiting for a gate: no lock, no place in a queue; the queue looks at the gate again
       * when the window opens (or at the alert gate's next check) and moves it once the gate is open.
       */
      async function awaitGate(closed: ClosedGate): Promise<UpdateRecord> {
        const waiting = await create({ ...record, state: "waiting-for-gate", gateWait: gateWaitOf(closed, now) }, [
          { type: "planned", plan },
          gateClosedEvent(closed),
        ]);
        if (waiting.id === id) {
          deps.logger.info({ ...updateLogFields(record), image, classifier, gate: closed.gate, policy: closed.policy, reason: closed.reason }, "update waits for a gate");
          // Its gate must be looked at again (a timer of the queue's).
          void queue.pump();
        }
        return waiting;
      }

      /** Records the update as queued behind `behind` (no lock taken), and lets the queue move. */
      async function enqueue(behind: readonly string[], fullTarget: WorkloadRef | undefined): Promise<UpdateRecord> {
        if (fullTarget !== undefined) throw queueFull(fullTarget, options.maxQueuedPerTarget);
        const queued = await create({ ...record, state: "queued", queuedTime: queue.queueTime() }, [
          { type: "planned", plan },
          { type: "queued", behind: [...behind] },
        ]);
        if (queued.id === id) {
          deps.logger.info({ ...updateLogFields(record), behind, image, classifier }, "update queued behind busy targets");
          // The holder may have finished between the check and the record.
          void queue.pump();
        }
        return queued;
      }

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
    }
  };

  function requirementOf(plan: UpdatePlan, classifier: string): ApprovalRequirement | undefined {
    return approvalRequirement({
      classifier,
      plan,
      policies: options.approvalPolicies,
      getWorkload: (ref) => deps.cluster.getWorkload(ref),
      keys: deps.keys,
      defaultDeadlineMs: options.approvalDeadlineMs,
    });
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

/** FAILED_PRECONDITION FROZEN: updates are frozen and the policy refuses new ones. */
export function frozen(freeze: FreezeState): DomainError {
  return new DomainError("failed-precondition", "FROZEN", `${describeFreeze(freeze)}; no update starts until they are unfrozen`, {
    metadata: { frozen_by: freeze.principal },
  });
}

/** "updates are frozen by alice since …: reason". */
export function describeFreeze(freeze: FreezeState): string {
  const by = freeze.principal === "" ? "" : ` by ${freeze.principal}`;
  const since = freeze.time === undefined ? "" : ` since ${freeze.time.toISOString()}`;
  return `updates are frozen${by}${since}${freeze.reason === "" ? "" : `: ${freeze.reason}`}`;
}

/** TARGET_BUSY for a caller that did not ask to queue, while queued updates wait for a target. */
function queuedAhead(queuedId: string, targets: readonly WorkloadRef[]): DomainError {
  return new DomainError(
    "aborted",
    "TARGET_BUSY",
    `update ${queuedId} is queued for a target of this update (${targets.map(describeWorkload).join(", ")}); set queue_if_busy to queue behind it`,
    { metadata: { update_id: queuedId, workload: targets[0] === undefined ? "" : workloadKey(targets[0]) } },
  );
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
