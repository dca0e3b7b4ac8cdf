import type { UpdateRecord, UpdateState } from "../domain/update.js";
import type { UpdateEventBody } from "../domain/update-event.js";
import type { CoreLogger } from "../ports/logger.js";
import type { SaveOptions } from "../ports/update-store.js";
import { ExecutionHalted } from "./execution-halted.js";
import { lockTargets } from "./lock-targets.js";
import type { UpdateEngineDeps } from "./update-engine-deps.js";
import type { ResolvedUpdateEngineOptions } from "./update-engine-options.js";

/**
 * One update being executed in this process: the working copy of its record, and how to persist
 * it. Every step saves the record (with its events) before moving on, so a restarted manager can
 * resume from the last recorded step.
 */
export interface UpdateExecution {
  /** The working copy; only this execution (and a cancel routed through it) mutates it. */
  readonly record: UpdateRecord;
  readonly deps: UpdateEngineDeps;
  readonly options: ResolvedUpdateEngineOptions;
  readonly log: CoreLogger;
  /** Aborted when a cancel is requested: checked at every safe point. */
  readonly cancelSignal: AbortSignal;
  /** Aborted when the engine shuts down: unwind without writing anything more. */
  readonly haltSignal: AbortSignal;
  /** The update's deadline in epoch milliseconds (start time + timeout). */
  deadline(): number;
  /**
   * Saves the record with `events`. Saves are serialised in call order (progress events are
   * saved from timers while the main flow also saves). Throws ExecutionHalted after shutdown.
   * `{ batch: true }`: see SaveOptions (a step a restart can redo from the previous recorded one).
   */
  save(events?: readonly UpdateEventBody[], options?: SaveOptions): Promise<void>;
  /**
   * Ends the update: releases its locks, sets the terminal state, and records the one `finished`
   * event (after `events`). A second call is ignored, so there is exactly one `finished` event.
   */
  finish(state: UpdateState, reason: string, events?: readonly UpdateEventBody[]): Promise<void>;
  /** True once the terminal state was recorded. */
  readonly finished: boolean;
  /** The recorded reason of a cancel requested in this process (a resumed update reads its events). */
  cancelReason: string | undefined;
}

export function createUpdateExecution(
  record: UpdateRecord,
  deps: UpdateEngineDeps,
  options: ResolvedUpdateEngineOptions,
  signals: { readonly cancel: AbortSignal; readonly halt: AbortSignal },
): UpdateExecution {
  let chain: Promise<unknown> = Promise.resolve();
  let finishing = false;
  let finished = false;
  const log = deps.logger.child({ update_id: record.id });

  const save = (events: readonly UpdateEventBody[] = [], saveOptions?: SaveOptions): Promise<void> => {
    const run = chain.then(async () => {
      if (signals.halt.aborted) throw new ExecutionHalted();
      await deps.store.save(record, events, saveOptions);
    });
    chain = run.catch(() => undefined);
    return run;
  };

  return {
    record,
    deps,
    options,
    log,
    cancelSignal: signals.cancel,
    haltSignal: signals.halt,
    deadline: () => (record.startTime?.getTime() ?? deps.clock.now().getTime()) + record.updateTimeoutMs,
    save,
    async finish(state, reason, events = []) {
      if (finishing) return;
      finishing = true;
      if (signals.halt.aborted) throw new ExecutionHalted();
      // Locks go first: the outcome is decided and nothing more will be written to the cluster, so
      // a pipeline that reacts to `finished` by starting the next update never meets TARGET_BUSY.
      try {
        await deps.locks.release(record.id, lockTargets(record.plan));
      } catch (error) {
        log.error({ err: error }, "releasing the update's locks failed");
      }
      record.state = state;
      record.phase = "finished";
      record.finishTime = deps.clock.now();
      record.reason = reason;
      try {
        await save([...events, { type: "finished", state, reason }]);
      } catch (error) {
        // Not recorded: let the caller's error handling try again.
        finishing = false;
        throw error;
      }
      finished = true;
      log.info({ state, reason }, "update finished");
    },
    get finished() {
      return finished;
    },
    cancelReason: undefined,
  };
}
