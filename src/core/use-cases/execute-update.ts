import { DomainError } from "../domain/domain-error.js";
import { updateResumedEvent, updateStartedEvent } from "../domain/step-event.js";
import { isTerminal, isWaitingToStart, type UpdateRecord } from "../domain/update.js";
import { announce } from "./announce-steps.js";
import { describeWorkload } from "./describe-workload.js";
import { ExecutionHalted } from "./execution-halted.js";
import { OutcomeNotRecorded } from "./outcome-not-recorded.js";
import { cancelReasonPrefix, rollBack } from "./roll-back-workloads.js";
import { rollOutWorkloads } from "./roll-out-workloads.js";
import { runMigrations } from "./run-migrations.js";
import type { UpdateEngineDeps } from "./update-engine-deps.js";
import type { ResolvedUpdateEngineOptions } from "./update-engine-options.js";
import { createUpdateExecution, type UpdateExecution } from "./update-execution.js";

/** Runs recorded updates in the background of this process. */
export interface UpdateExecutor {
  /**
   * Executes (or resumes, from its recorded step) an update whose locks are held. Returns at once:
   * the execution does not belong to any caller. Ignored after shutdown (the update stays recorded
   * and is resumed by the next start) and for an update already executing here.
   */
  launch(record: UpdateRecord): void;
  /**
   * True while the update executes in this process. An execution that was halted (stepDown, shutdown) and is still
   * unwinding does not count: launching the update again then runs it once that execution ended.
   */
  isRunning(id: string): boolean;
  /**
   * Routes a cancel through the running execution (which owns the record), so the flag and event
   * are saved in order with its own writes. Undefined when the update does not execute here.
   * Throws FAILED_PRECONDITION UPDATE_FINISHED when it has already reached its outcome.
   */
  requestCancel(id: string, reason: string, requester: string): Promise<UpdateRecord | undefined>;
  /** Resolves once no update executes (tests, graceful drain). */
  whenIdle(): Promise<void>;
  /** Stops every execution at its next step without another write; the updates stay resumable. */
  shutdown(): Promise<void>;
  /**
   * Like shutdown, but later launches are accepted again: this process lost the leadership and
   * another replica resumes the updates; it may lead again later.
   */
  haltAll(): Promise<void>;
}

interface Running {
  readonly execution: UpdateExecution;
  readonly cancel: AbortController;
  readonly halt: AbortController;
  done: Promise<void>;
  /** Launched again while halted: resumed from its recorded state once this execution ended. */
  relaunch: boolean;
}

/** The pause before an execution the store refused (ExecutionHalted) is looked at again. */
const refusedRelaunchMs = 1_000;

export function createUpdateExecutor(
  deps: UpdateEngineDeps,
  options: ResolvedUpdateEngineOptions,
  /** Called after an execution ended (its targets may be free): the queue moves. Default: nothing. */
  onEnded: () => void = () => undefined,
): UpdateExecutor {
  const running = new Map<string, Running>();
  let closed = false;

  const isRunning = (id: string): boolean => {
    const entry = running.get(id);
    return entry !== undefined && !entry.halt.signal.aborted;
  };

  /** Launches an update again, as recorded, after its halted execution ended (its locks are still held). */
  const relaunch = (id: string, halted: UpdateExecution): void => {
    deps.store
      .get(id)
      .then((record) => {
        if (record !== undefined) executor.launch(record);
      })
      .catch((error: unknown) => halted.log.error({ err: error }, "reading the update to resume it failed; the next leader resumes it"));
  };

  const executor: UpdateExecutor = {
    launch(record) {
      // A queued (or waiting) update is launched by the queue once it left it (pending), never directly.
      if (closed || isTerminal(record.state) || isWaitingToStart(record.state)) return;
      // Not the leader: the update stays recorded (pending) and the leader picks it up from the store.
      if (deps.canExecute !== undefined && !deps.canExecute()) return;
      const current = running.get(record.id);
      if (current !== undefined) {
        // Halted when this process stepped down, and led again before that execution ended (a write in flight, a
        // rollout being watched): it runs again from what was recorded once the halted one is done. Not waiting
        // here would leave it unfinished for good (the lead was taken, nothing else resumes it).
        if (current.halt.signal.aborted) current.relaunch = true;
        return;
      }
      const cancel = new AbortController();
      const halt = new AbortController();
      if (record.cancelRequested) cancel.abort();
      const execution = createUpdateExecution(structuredClone(record), deps, options, {
        cancel: cancel.signal,
        halt: halt.signal,
      });
      const entry: Running = { execution, cancel, halt, done: Promise.resolve(), relaunch: false };
      running.set(record.id, entry);
      // A cancel recorded by another replica (which does not execute the update) reaches the execution here.
      const unsubscribe = deps.store.subscribe(record.id, (event) => {
        if (event.type !== "cancel-requested" || execution.record.cancelRequested) return;
        execution.record.cancelRequested = true;
        execution.cancelReason = cancelReason(event.requester, event.reason);
        cancel.abort();
      });
      let refused = false;
      const deferStart = deps.deferStart ?? ((start: () => void) => start());
      entry.done = new Promise<void>((resolve) => deferStart(resolve))
        .then(() => execute(execution))
        .then((ended) => {
          refused = ended === "refused";
        })
        .catch((error) => execution.log.error({ err: error }, "update execution ended with an error"))
        .finally(() => {
          execution.endAttempt();
          unsubscribe();
          running.delete(record.id);
          if (entry.relaunch) relaunch(record.id, execution);
          // The store refused a write without this process stepping down: its lead lapsed for a moment (the renewal
          // came back before the step-down), or the update finished elsewhere. Nothing else would resume it while
          // this process leads: looked at again after a pause (launched if it leads then, and the update is unfinished).
          else if (refused && !halt.signal.aborted) {
            deps.clock.setTimer(refusedRelaunchMs, () => relaunch(record.id, execution));
          }
          onEnded();
        });
    },

    isRunning: (id) => isRunning(id),

    async requestCancel(id, reason, requester) {
      const entry = running.get(id);
      // A halted execution writes nothing more: the cancel is recorded in the store for whoever resumes it.
      if (entry === undefined || entry.halt.signal.aborted) return undefined;
      const { record } = entry.execution;
      if (isTerminal(record.state) || entry.execution.finished) throw updateFinished(record);
      if (!record.cancelRequested) {
        record.cancelRequested = true;
        entry.execution.cancelReason = cancelReason(requester, reason);
        const saved = entry.execution.save([{ type: "cancel-requested", reason, requester }]);
        entry.cancel.abort();
        await saved;
      }
      return structuredClone(record);
    },

    async whenIdle() {
      while (running.size > 0) await Promise.all([...running.values()].map((entry) => entry.done));
    },

    async shutdown() {
      closed = true;
      for (const entry of running.values()) entry.halt.abort();
      await this.whenIdle();
    },

    async haltAll() {
      const halted = [...running.values()];
      for (const entry of halted) entry.halt.abort();
      // Only these: an update launched again meanwhile (this process leads again) is not waited for.
      await Promise.all(halted.map((entry) => entry.done));
    },
  };
  return executor;
}

export function updateFinished(record: UpdateRecord): DomainError {
  return new DomainError(
    "failed-precondition",
    "UPDATE_FINISHED",
    `update ${record.id} has already finished (${record.state}); there is nothing to cancel`,
    { metadata: { update_id: record.id, state: record.state } },
  );
}

/** The cancel reason as recorded: names who asked, and starts with `cancelReasonPrefix`. */
export function cancelReason(requester: string, reason: string): string {
  return `${cancelReasonPrefix}${requester || "an unknown caller"}${reason ? `: ${reason}` : ""}`;
}

/**
 * The pipeline: migrations, then workloads, then (on failure or cancel) the rollback. Resolves `"refused"` when the
 * store refused a write with ExecutionHalted while this process did not halt the execution (it may not write the
 * update for a moment, or the update finished elsewhere).
 */
async function execute(execution: UpdateExecution): Promise<"refused" | undefined> {
  try {
    await pipeline(execution);
  } catch (error) {
    if (execution.haltSignal.aborted) return undefined;
    if (error instanceof ExecutionHalted) return "refused";
    // Not recorded: already logged and counted, and retrying here would only repeat what just failed.
    if (error instanceof OutcomeNotRecorded) return undefined;
    await endAfterUnexpectedError(execution, error);
  }
  return undefined;
}

/** The steps, from where the record says the update is. */
async function pipeline(execution: UpdateExecution): Promise<void> {
  const { record, deps } = execution;
  if (record.state === "pending") {
    record.state = "running";
    record.phase = record.migrations.length > 0 ? "migrating" : "rolling-out";
    record.startTime = deps.clock.now();
    // Recorded with the first step's own save (a restart before it starts the update again).
    await execution.save([], { batch: true });
    announce(deps, [updateStartedEvent(record)], execution.log);
    execution.log.info({ image: record.image, classifier: record.classifier }, "update started");
  } else {
    announce(deps, [updateResumedEvent(record)], execution.log);
  }
  if (record.phase === "planning" || record.phase === "migrating") {
    if (record.phase === "planning") record.phase = "migrating";
    const migrations = await runMigrations(execution);
    if (migrations.kind === "failed") return await execution.finish("failed", migrations.reason);
    if (migrations.kind === "cancelled") return await execution.finish("cancelled", await recordedCancelReason(execution));
    record.phase = "rolling-out";
    await execution.save([], { batch: true });
  }
  if (record.phase === "rolling-out") {
    const rollout = await rollOutWorkloads(execution);
    if (rollout.kind === "succeeded") return await execution.finish("succeeded", "");
    const cause =
      rollout.kind === "cancelled"
        ? { cancelled: true, reason: await recordedCancelReason(execution) }
        : { cancelled: false, reason: rollout.reason };
    return await rollBack(execution, cause);
  }
  if (record.phase === "rolling-back") {
    // Resumed mid-rollback: the cause was recorded as the reason when the rollback started.
    const cancelled = record.cancelRequested && record.reason.startsWith(cancelReasonPrefix);
    return await rollBack(execution, { cancelled, reason: record.reason });
  }
  if (record.phase === "finished") {
    // Resumed between recording "finished" as the phase and the state: finish once more.
    return await execution.finish("failed", record.reason || "the update was interrupted while finishing");
  }
}

/**
 * An unexpected error must not leave the update running forever or its changes unreported: roll
 * back what this update changed (once), else end it FAILED / ROLLBACK_FAILED with the message.
 */
async function endAfterUnexpectedError(execution: UpdateExecution, error: unknown): Promise<void> {
  const { record } = execution;
  const message = `internal error: ${error instanceof Error ? error.message : String(error)}`;
  execution.log.error({ err: error, phase: record.phase }, "update execution failed unexpectedly");
  if (execution.finished) return;
  const unrestored = () =>
    record.workloads.filter((status) => status.patched && status.phase !== "rolled-back").map((s) => s.workload);
  try {
    if (record.phase === "rolling-out" && unrestored().length > 0) {
      await rollBack(execution, { cancelled: false, reason: message });
      return;
    }
  } catch (rollbackError) {
    if (rollbackError instanceof ExecutionHalted || rollbackError instanceof OutcomeNotRecorded) return;
    execution.log.error({ err: rollbackError }, "rollback after an unexpected error failed");
  }
  if (execution.finished) return;
  const left = record.workloads.filter((status) => status.patched && status.phase !== "rolled-back");
  try {
    if (left.length === 0) await execution.finish("failed", message);
    else {
      // Each workload left changed says so itself, as a rollback that failed would have recorded it.
      const reason = `not restored after ${message}`;
      const unmarked = left.filter((status) => status.phase !== "rollback-failed");
      for (const status of unmarked) {
        status.phase = "rollback-failed";
        status.message = reason;
      }
      await execution.finish(
        "rollback-failed",
        `${message}; not restored: ${left.map((status) => describeWorkload(status.workload)).join(", ")}`,
        unmarked.map((status) => ({ type: "workload-rollback-failed", workload: status.workload, reason })),
      );
    }
  } catch (finishError) {
    if (finishError instanceof ExecutionHalted || finishError instanceof OutcomeNotRecorded) return;
    // The store itself fails: the record stays unfinished and is resumed at the next start.
    execution.log.error({ err: finishError }, "recording the update's end failed");
  }
}

/** The cancel reason from the recorded cancel-requested event. */
async function recordedCancelReason(execution: UpdateExecution): Promise<string> {
  if (execution.cancelReason !== undefined) return execution.cancelReason;
  const events = await execution.deps.store.readEvents(execution.record.id, 0);
  const request = events.findLast((event) => event.type === "cancel-requested");
  return request?.type === "cancel-requested" ? cancelReason(request.requester, request.reason) : cancelReason("", "");
}
