import { isApproved } from "../domain/approval.js";
import { DomainError, isDomainError } from "../domain/domain-error.js";
import { type FreezeState, notFrozen } from "../domain/freeze.js";
import { parseUpdateImage, repositoryName } from "../domain/image-reference.js";
import type { UpdateRecord, UpdateState } from "../domain/update.js";
import { isTerminal, isWaitingToStart } from "../domain/update.js";
import type { ClosedGate } from "../domain/gate-wait.js";
import { type AlertAnswers, createGateChecker, gateClosedEvent, gateFailure, gateWaitOf } from "./check-gates.js";
import type { UpdateEventBody } from "../domain/update-event.js";
import { type WorkloadRef, workloadKey } from "../domain/workload.js";
import type { UpdateStore } from "../ports/update-store.js";
import type { CoreSpan } from "../ports/update-tracer.js";
import { type UpdateExecutor, cancelReason } from "./execute-update.js";
import { findQuarantined } from "./find-quarantined.js";
import { updateNotFound } from "./get-update.js";
import { initialProgress } from "./initial-progress.js";
import { announceSteps } from "./announce-steps.js";
import { lockTargets } from "./lock-targets.js";
import { planUpdate } from "./plan-update.js";
import type { UpdateEngineDeps } from "./update-engine-deps.js";
import { acceptSpanOf, inSpan, planAttributes, tracerOf, updateAttributes, updateLogFields } from "./update-spans.js";
import type { ResolvedUpdateEngineOptions } from "./update-engine-options.js";

/** What waits for a set of targets, as `UpdateQueue.ahead` sees it. */
export interface QueueView {
  /** Unfinished updates that share a target with the set, oldest first (running ones, then queued ones). */
  readonly behind: readonly string[];
  /** The queued updates among them (they hold no lock, yet a newcomer must not overtake them). */
  readonly queued: readonly string[];
  /** A target that already has `maxQueuedPerTarget` queued updates, if any. */
  readonly fullTarget: WorkloadRef | undefined;
}

/**
 * Updates that wait for busy targets (state `queued`): first in first out per target, and never
 * overtaken by a later update that shares a target. The queue is the store itself (queued records,
 * ordered by `queuedTime`), so it survives restarts and leader changes; only the leader moves it.
 * A queued update holds no lock; when its turn comes it is planned again from the cache (the images
 * it would replace may have changed), checked again (quarantine, updatable), locked and launched.
 * A wait longer than `queueTimeoutMs` ends it FAILED (QUEUE_TIMEOUT).
 */
export interface UpdateQueue {
  /**
   * The queue time of an update joining now: the clock's time, but always later than the previous
   * one this process gave, so updates queued within one millisecond keep their arrival order (also
   * after a restart: the order is read back from the recorded times).
   */
  queueTime(): Date;
  /** What is ahead of an update with these targets (read from the store). */
  ahead(targets: readonly WorkloadRef[]): Promise<QueueView>;
  /** Lets the queue move: after an enqueue, an execution's end, a resume. Resolves when done. */
  pump(): Promise<void>;
  /**
   * Ends a queued (or waiting-for-approval) update as cancelled (serialised with the queue's own moves).
   * Undefined when the update is not queued any more (it runs, or another replica must do it).
   */
  cancel(id: string, reason: string, requester: string): Promise<UpdateRecord | undefined>;
  /**
   * Records a decision on an update that waits for approval, serialised with the queue's own moves, then lets
   * the queue move (an approved update leaves the wait, a rejected one ends). `decide` reads the stored record,
   * changes it and returns the events to save with it (none: nothing to save), or throws to refuse. Resolves
   * with the record after the queue moved; undefined when this process does not move the queue (a follower).
   */
  decide(id: string, decide: (stored: UpdateRecord) => readonly UpdateEventBody[]): Promise<UpdateRecord | undefined>;
  /** Resolves when nothing is being moved. */
  whenIdle(): Promise<void>;
  /** Stops moving the queue and its timers (shutdown; or step-down with `resumable`). */
  stop(resumable: boolean): void;
}

const activeStates: readonly UpdateState[] = ["queued", "waiting-for-approval", "waiting-for-gate", "pending", "running", "rolling-back"];
/** What a newcomer waits behind: the queue and the holders, not the updates waiting for an approval or a gate. */
const aheadStates: readonly UpdateState[] = ["queued", "pending", "running", "rolling-back"];
/** What a pass of the queue moves. */
const waitingStates: readonly UpdateState[] = ["queued", "waiting-for-approval", "waiting-for-gate"];

/** Queued and waiting updates hold no lock: they take their targets when they leave. */
function holdsTargets(record: UpdateRecord): boolean {
  return !isWaitingToStart(record.state);
}

export function createUpdateQueue(
  deps: UpdateEngineDeps,
  options: ResolvedUpdateEngineOptions,
  executor: UpdateExecutor,
): UpdateQueue {
  const timers = new Map<string, () => void>();
  let lastQueueTime = Number.NEGATIVE_INFINITY;
  let chain: Promise<unknown> = Promise.resolve();
  let pumpWaiting: Promise<void> | undefined;
  let closed = false;
  const log = deps.logger.child({ component: "update-queue" });
  const tracer = tracerOf(deps);
  const gates = createGateChecker(deps, options);
  /** When an update waiting for the alert gate is looked at again (its policy's recheck interval), by id. */
  const recheckAt = new Map<string, number>();

  const canMove = () => !closed && (deps.canExecute === undefined || deps.canExecute());

  function serialised<T>(task: () => Promise<T>): Promise<T> {
    const run = chain.then(task);
    chain = run.catch(() => undefined);
    return run;
  }

  function order(a: UpdateRecord, b: UpdateRecord): number {
    const at = (record: UpdateRecord) => (record.queuedTime ?? record.createTime).getTime();
    return at(a) - at(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  }

  const readFreeze = async (): Promise<FreezeState> => (deps.freeze === undefined ? notFrozen : deps.freeze.get());

  /**
   * Where a queued update's queue timeout counts from: when it joined the queue, or when updates were unfrozen
   * if that was later (a freeze holds the queue; its length is not the update's wait for busy targets).
   */
  function queueClockStart(record: UpdateRecord, freeze: FreezeState): number {
    const joined = (record.queuedTime ?? record.createTime).getTime();
    return freeze.frozen || freeze.time === undefined ? joined : Math.max(joined, freeze.time.getTime());
  }

  async function moveOnce(): Promise<void> {
    if (!canMove()) return;
    // Called after every execution ends: with nothing waiting, there is nothing to move, and the updates running
    // (hundreds, in a burst) are not copied to find that out.
    if ((await deps.store.list({ pageSize: 1, states: waitingStates })).items.length === 0) {
      for (const cancelTimer of timers.values()) cancelTimer();
      timers.clear();
      recheckAt.clear();
      return;
    }
    const active = await listActive(deps.store);
    const freeze = await readFreeze();
    const blocked = new Set<string>();
    for (const record of active) {
      if (holdsTargets(record)) for (const target of lockTargets(record.plan)) blocked.add(workloadKey(target));
    }
    // Queued updates first: an update approved now joins the queue behind those already in it.
    const queued = active.filter((record) => record.state === "queued").sort(order);
    const waiting = active.filter((record) => record.state === "waiting-for-approval").sort(order);
    const gated = active.filter((record) => record.state === "waiting-for-gate").sort(order);
    const stillQueued = new Set<string>();
    // One query per alert gate expression in a pass, however many updates wait for it.
    const answers: AlertAnswers = new Map();
    for (const record of [...queued, ...waiting, ...gated]) {
      if (!canMove()) return;
      const keys = lockTargets(record.plan).map(workloadKey);
      // A waiting update keeps no place in the queue until it is approved.
      let holdsPlace = record.state === "queued";
      try {
        if (record.cancelRequested) {
          await end(record, "cancelled", await recordedCancelReason(record));
          continue;
        }
        if (record.state === "waiting-for-approval" || record.state === "waiting-for-gate") {
          const outcome =
            record.state === "waiting-for-approval" ? await moveWaiting(record, freeze, blocked, answers) : await moveGated(record, freeze, blocked, answers);
          holdsPlace = outcome !== "ended" && outcome !== "waiting";
          if (outcome === "waiting" || outcome === "queued") {
            stillQueued.add(record.id);
            arm(record, freeze);
          }
          continue;
        }
        if (freeze.frozen) {
          // Held until unfrozen (the unfreeze moves the queue); its queue timeout does not run meanwhile.
          stillQueued.add(record.id);
          continue;
        }
        const waitedMs = deps.clock.now().getTime() - queueClockStart(record, freeze);
        if (waitedMs >= options.queueTimeoutMs) {
          await end(
            record,
            "failed",
            `QUEUE_TIMEOUT: waited ${Math.round(waitedMs / 1000)} s for busy targets, longer than the queue timeout ` +
              `(${Math.round(options.queueTimeoutMs / 1000)} s); nothing was changed`,
          );
          continue;
        }
        if (keys.some((key) => blocked.has(key))) {
          stillQueued.add(record.id);
          arm(record, freeze);
          continue;
        }
        // Its turn: the gates first (a closed one makes it wait for the gate, giving up its place).
        const closed = gates.configured ? await gates.beforeStart(record, answers) : undefined;
        if (closed !== undefined) {
          holdsPlace = false;
          if ((await waitForGate(record, closed)) === "waiting") {
            stillQueued.add(record.id);
            arm(record, freeze);
          }
          continue;
        }
        if (!(await leave(record, blocked))) {
          stillQueued.add(record.id);
          arm(record, freeze);
        }
      } catch (error) {
        if (!canMove()) return;
        log.error({ err: error, ...updateLogFields(record) }, "moving a queued update failed; it stays queued");
        stillQueued.add(record.id);
        arm(record, freeze);
      } finally {
        if (holdsPlace) for (const key of keys) blocked.add(key);
      }
    }
    for (const [id, cancelTimer] of timers) {
      if (stillQueued.has(id)) continue;
      cancelTimer();
      timers.delete(id);
    }
    for (const id of recheckAt.keys()) if (!stillQueued.has(id)) recheckAt.delete(id);
  }

  /**
   * An update waiting for approval: ends it when rejected or past its deadline; once approved (and not frozen)
   * it leaves the wait like a queued update leaves the queue, or joins the queue when its targets are busy.
   */
  async function moveWaiting(
    record: UpdateRecord,
    freeze: FreezeState,
    blocked: Set<string>,
    answers: AlertAnswers,
  ): Promise<"ended" | "waiting" | "queued" | "left"> {
    const approval = record.approval;
    if (approval?.rejection !== undefined) {
      const { principal, reason } = approval.rejection;
      await end(record, "failed", `APPROVAL_REJECTED: rejected by ${principal}${reason === "" ? "" : `: ${reason}`}; nothing was changed`);
      return "ended";
    }
    if (approval !== undefined && !isApproved(approval)) {
      if (deps.clock.now().getTime() < approval.deadline.getTime()) return "waiting";
      await end(
        record,
        "failed",
        `APPROVAL_EXPIRED: ${approval.approvals.length} of ${approval.required} approvals by the deadline ` +
          `${approval.deadline.toISOString()} (${approval.policy}); nothing was changed`,
      );
      return "ended";
    }
    // Approved: held while frozen, then the gates, then its turn.
    if (freeze.frozen) return "waiting";
    const closed = gates.configured ? await gates.beforeStart(record, answers) : undefined;
    if (closed !== undefined) return waitForGate(record, closed);
    return leaveOrQueue(record, blocked, []);
  }

  /**
   * An update waiting for a gate: held while frozen; while the gate is closed it waits on (a refusing policy ends
   * it); once open it leaves the wait like a queued update leaves the queue, or joins the queue when its targets are
   * busy.
   */
  async function moveGated(
    record: UpdateRecord,
    freeze: FreezeState,
    blocked: Set<string>,
    answers: AlertAnswers,
  ): Promise<"ended" | "waiting" | "queued" | "left"> {
    if (freeze.frozen) return "waiting";
    const closed = await gates.beforeStart(record, answers);
    if (closed !== undefined) return waitForGate(record, closed);
    const wait = record.gateWait;
    const opened: UpdateEventBody[] =
      wait === undefined
        ? []
        : [{ type: "gate-opened", gate: wait.gate, policy: wait.policy, waitedMs: deps.clock.now().getTime() - wait.since.getTime() }];
    return leaveOrQueue(record, blocked, opened);
  }

  /**
   * A closed gate: a refusing policy ends the update FAILED; else it waits for the gate (state waiting-for-gate),
   * written only when it starts waiting or waits for another gate than before (a re-check that finds the same gate
   * closed writes nothing).
   */
  async function waitForGate(record: UpdateRecord, closed: ClosedGate): Promise<"ended" | "waiting"> {
    if (closed.action === "refuse") {
      await end(record, "failed", gateFailure(closed));
      return "ended";
    }
    if (closed.recheckMs !== undefined) recheckAt.set(record.id, deps.clock.now().getTime() + closed.recheckMs);
    else recheckAt.delete(record.id);
    const same =
      record.state === "waiting-for-gate" &&
      record.gateWait?.gate === closed.gate &&
      record.gateWait.policy === closed.policy &&
      record.gateWait.notBefore?.getTime() === closed.notBefore?.getTime();
    if (same) return "waiting";
    const now = deps.clock.now();
    const wasWaiting = record.state === "waiting-for-gate" ? record.gateWait : undefined;
    record.state = "waiting-for-gate";
    record.gateWait = wasWaiting?.gate === closed.gate && wasWaiting.policy === closed.policy ? { ...gateWaitOf(closed, wasWaiting.since) } : gateWaitOf(closed, now);
    await deps.store.save(record, [gateClosedEvent(closed)]);
    log.info({ ...updateLogFields(record), gate: closed.gate, policy: closed.policy, reason: closed.reason }, "update waits for a gate");
    return "waiting";
  }

  /** Leaves the wait (planned again, locked, launched), or joins the queue behind busy targets. */
  async function leaveOrQueue(record: UpdateRecord, blocked: Set<string>, events: readonly UpdateEventBody[]): Promise<"queued" | "left" | "ended"> {
    const keys = lockTargets(record.plan).map(workloadKey);
    if (!keys.some((key) => blocked.has(key)) && (await leave(record, blocked, events))) return "left";
    const ahead = await queue.ahead(lockTargets(record.plan));
    const from = record.state;
    record.state = "queued";
    record.queuedTime = queue.queueTime();
    await deps.store.save(record, [...events, { type: "queued", behind: ahead.behind.filter((id) => id !== record.id) }]);
    log.info({ ...updateLogFields(record), behind: ahead.behind, from }, "update leaves its wait and queues behind busy targets");
    return "queued";
  }

  /** Its turn: plans again, checks, locks and launches it. False when it must wait on (its targets changed and are busy). */
  async function leave(queued: UpdateRecord, blocked: Set<string>, events: readonly UpdateEventBody[] = []): Promise<boolean> {
    const reference = parseUpdateImage(queued.image);
    // Spans of the update's trace, under its accept span: planned again, locked.
    const step = <T>(name: string, run: (span: CoreSpan) => Promise<T>) =>
      inSpan(tracer, name, acceptSpanOf(queued), { ...updateAttributes(queued), "update.queued": true }, run);
    const { plan, notUpdatable } = await step("update.plan", async (span) => {
      const planned = planUpdate({
        image: queued.image,
        reference,
        classifier: queued.classifier,
        updateId: queued.id,
        workloads: deps.cluster.listWorkloadsUsing(repositoryName(reference)),
        keys: deps.keys,
        legacyAnnotation: options.legacyAnnotation,
      });
      span.setAttributes(planAttributes(planned.plan));
      return planned;
    });
    const targets = lockTargets(plan);
    if (targets.some((target) => blocked.has(workloadKey(target)))) {
      for (const target of targets) blocked.add(workloadKey(target));
      return false;
    }
    if (plan.workloads.length === 0 && plan.migrations.length === 0) {
      await end(queued, "failed", `NO_TARGETS: no workload or migration uses ${queued.image} with classifier "${queued.classifier}" any more`);
      return true;
    }
    const refused = notUpdatable[0];
    if (refused !== undefined) {
      await end(queued, "failed", `TARGET_NOT_UPDATABLE: ${refused.reason}`);
      return true;
    }
    if (!queued.overrideQuarantine) {
      const quarantined = await findQuarantined(deps.quarantines, plan, queued.image, reference.digest);
      if (quarantined !== undefined) {
        await end(queued, "failed", `IMAGE_QUARANTINED: ${quarantined.message}`);
        return true;
      }
    }
    const next: UpdateRecord = { ...structuredClone(queued), plan, ...initialProgress(plan) };
    if (targets.length === 0) {
      // Every target already runs the image: done, without a lock.
      const now = deps.clock.now();
      next.startTime = now;
      await end(next, "succeeded", "", [...events, { type: "planned", plan }]);
      return true;
    }
    try {
      await step("update.lock", async (span) => {
        span.setAttributes({ "update.lock.targets": targets.length });
        await deps.locks.acquire(queued.id, targets);
      });
    } catch (error) {
      if (!isDomainError(error, "aborted")) throw error;
      // Held by an update this replica does not know of yet (another replica's, a resume): wait on.
      for (const target of targets) blocked.add(workloadKey(target));
      return false;
    }
    recordWait(queued, "left");
    next.state = "pending";
    next.phase = "planning";
    try {
      await deps.store.save(next, [...events, { type: "planned", plan }]);
    } catch (error) {
      await deps.locks.release(queued.id, targets).catch(() => undefined);
      throw error;
    }
    log.info(
      { ...updateLogFields(queued), waited_ms: deps.clock.now().getTime() - (queued.queuedTime ?? queued.createTime).getTime() },
      queued.state === "waiting-for-approval"
        ? "approved update leaves the wait"
        : queued.state === "waiting-for-gate"
          ? "update leaves the wait for its gate"
          : "queued update leaves the queue",
    );
    executor.launch(next);
    return true;
  }

  async function end(record: UpdateRecord, state: UpdateState, reason: string, events: readonly UpdateEventBody[] = []) {
    const now = deps.clock.now();
    record.state = state;
    record.phase = "finished";
    record.finishTime = now;
    record.reason = reason;
    const recorded: UpdateEventBody[] = [...events, { type: "finished", state, reason }];
    await deps.store.save(record, recorded);
    announceSteps(deps, record, recorded, log);
    timers.get(record.id)?.();
    timers.delete(record.id);
    recordWait(record, state, state === "failed" ? reason : undefined);
    log.info({ ...updateLogFields(record), state, reason }, "queued update finished without running");
  }

  /**
   * The wait in the queue as a span of the update's trace (`update.queue_wait`, from its queue time to now), recorded
   * when the wait ends: the update leaves the queue, or ends in it. `outcome`: "left", or the state it ended in.
   */
  function recordWait(record: UpdateRecord, outcome: string, failure?: string): void {
    const parent = acceptSpanOf(record);
    const span = tracer.startSpan("update.queue_wait", {
      ...(parent === undefined ? { root: true } : { parent }),
      startTime: record.queuedTime ?? record.createTime,
      attributes: { ...updateAttributes(record), "update.queue.outcome": outcome },
    });
    if (failure !== undefined) span.fail(failure);
    // On the engine's clock, like the queue time.
    span.end(deps.clock.now());
  }

  async function recordedCancelReason(record: UpdateRecord): Promise<string> {
    const events = await deps.store.readEvents(record.id, 0);
    const request = events.findLast((event) => event.type === "cancel-requested");
    return request?.type === "cancel-requested" ? cancelReason(request.requester, request.reason) : cancelReason("", "");
  }

  /** A timer that moves the queue when the update's wait may end: its queue timeout, or its approval deadline. */
  function arm(record: UpdateRecord, freeze: FreezeState): void {
    if (timers.has(record.id)) return;
    let dueAt: number;
    if (record.state === "waiting-for-gate") {
      // Held by a freeze: the unfreeze moves the queue.
      if (freeze.frozen) return;
      const next = record.gateWait?.gate === "window" ? record.gateWait.notBefore?.getTime() : recheckAt.get(record.id);
      // A window that never opens: it waits for a change of the policies (a restart) or a cancel.
      if (next === undefined) return;
      dueAt = next;
    } else if (record.state === "waiting-for-approval") {
      // An approved update waits only for the unfreeze, which moves the queue itself.
      if (record.approval === undefined || isApproved(record.approval)) return;
      dueAt = record.approval.deadline.getTime();
    } else {
      if (freeze.frozen) return;
      dueAt = queueClockStart(record, freeze) + options.queueTimeoutMs;
    }
    const due = dueAt - deps.clock.now().getTime();
    timers.set(
      record.id,
      deps.clock.setTimer(Math.max(0, due), () => {
        timers.delete(record.id);
        void queue.pump();
      }),
    );
  }

  const queue: UpdateQueue = {
    queueTime() {
      lastQueueTime = Math.max(deps.clock.now().getTime(), lastQueueTime + 1);
      return new Date(lastQueueTime);
    },

    async ahead(targets) {
      // Only the updates sharing a target, asked of the store: an accept must not copy every unfinished update.
      const sharing = (await listActive(deps.store, aheadStates, targets))
        .sort((a, b) => (a.state === "queued" ? 1 : 0) - (b.state === "queued" ? 1 : 0) || order(a, b));
      const queued = sharing.filter((record) => record.state === "queued");
      let fullTarget: WorkloadRef | undefined;
      for (const target of targets) {
        const key = workloadKey(target);
        const waiting = queued.filter((record) => lockTargets(record.plan).some((other) => workloadKey(other) === key));
        if (waiting.length >= options.maxQueuedPerTarget) {
          fullTarget = target;
          break;
        }
      }
      // Holders this store does not list yet (a lock taken by an update being recorded right now).
      const behind = sharing.map((record) => record.id);
      for (const target of targets) {
        const holder = deps.locks.holder(target);
        if (holder !== undefined && !behind.includes(holder)) behind.unshift(holder);
      }
      return { behind, queued: queued.map((record) => record.id), fullTarget };
    },

    pump() {
      if (!canMove()) return Promise.resolve();
      // One waiting pass covers every request made before it starts.
      if (pumpWaiting !== undefined) return pumpWaiting;
      const pass = serialised(async () => {
        pumpWaiting = undefined;
        await moveOnce();
      }).catch((error: unknown) => {
        if (canMove()) log.error({ err: error }, "moving the update queue failed");
      });
      pumpWaiting = pass;
      return pass;
    },

    cancel(id, reason, requester) {
      if (!canMove()) return Promise.resolve(undefined);
      return serialised(async () => {
        const stored = await deps.store.get(id);
        if (stored === undefined || !isWaitingToStart(stored.state)) return undefined;
        stored.cancelRequested = true;
        const finished = { ...stored };
        await end(finished, "cancelled", cancelReason(requester, reason), [{ type: "cancel-requested", reason, requester }]);
        void queue.pump();
        return structuredClone(finished);
      });
    },

    async decide(id, decide) {
      if (!canMove()) return undefined;
      const decided = await serialised(async () => {
        const stored = await deps.store.get(id);
        if (stored === undefined) throw updateNotFound(id);
        const events = decide(stored);
        if (events.length > 0) await deps.store.save(stored, events);
        return stored;
      });
      await queue.pump();
      return (await deps.store.get(id)) ?? decided;
    },

    async whenIdle() {
      for (;;) {
        const current = chain;
        await current;
        if (current === chain) return;
      }
    },

    stop(resumable) {
      if (!resumable) closed = true;
      for (const cancelTimer of timers.values()) cancelTimer();
      timers.clear();
    },
  };
  return queue;
}

/**
 * The unfinished updates in `states` (default: every unfinished one) that lock one of `targets` (default: any), from the
 * store's listing (the cache on Kubernetes).
 */
async function listActive(
  store: UpdateStore,
  states: readonly UpdateState[] = activeStates,
  targets?: readonly WorkloadRef[],
): Promise<UpdateRecord[]> {
  const all: UpdateRecord[] = [];
  let pageToken: string | undefined;
  do {
    const page = await store.list({
      pageSize: 500,
      states,
      ...(targets === undefined ? {} : { targets }),
      ...(pageToken === undefined ? {} : { pageToken }),
    });
    all.push(...page.items.filter((record) => !isTerminal(record.state)));
    pageToken = page.nextPageToken || undefined;
  } while (pageToken !== undefined);
  return all;
}

/** QUEUE_FULL: too many updates already wait for `target`. */
export function queueFull(target: WorkloadRef, max: number): DomainError {
  return new DomainError(
    "resource-exhausted",
    "QUEUE_FULL",
    `${max} updates already wait for ${workloadKey(target)}; retry when one of them has run`,
    { metadata: { workload: workloadKey(target) } },
  );
}
