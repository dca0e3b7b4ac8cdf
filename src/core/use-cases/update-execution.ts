import type { UpdateRecord, UpdateState } from "../domain/update.js";
import type { UpdateEventBody } from "../domain/update-event.js";
import type { CoreLogger } from "../ports/logger.js";
import type { SaveOptions } from "../ports/update-store.js";
import type { CoreSpan, SpanAttributes, UpdateTracer } from "../ports/update-tracer.js";
import { announceSteps } from "./announce-steps.js";
import { ExecutionHalted } from "./execution-halted.js";
import { OutcomeNotRecorded } from "./outcome-not-recorded.js";
import { lockTargets } from "./lock-targets.js";
import type { UpdateEngineDeps } from "./update-engine-deps.js";
import type { ResolvedUpdateEngineOptions } from "./update-engine-options.js";
import { acceptSpanOf, inSpan, tracerOf, updateAttributes, updateLogFields } from "./update-spans.js";

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
  /** Lines carry `update_id` and `trace_id`. */
  readonly log: CoreLogger;
  /**
   * This execution attempt's span (`update.attempt`): a child of the update's accept span, linked to the previous
   * attempt's span. Ended by `endAttempt`.
   */
  readonly attempt: CoreSpan;
  readonly tracer: UpdateTracer;
  /** Runs one step in a child span of `parent` (default: the attempt), with the update's attributes and `attributes`. */
  step<T>(name: string, attributes: SpanAttributes, run: (span: CoreSpan) => Promise<T>, parent?: CoreSpan): Promise<T>;
  /** Ends the attempt's span with the update's state (failed for a failed outcome, halted when it stopped unfinished). */
  endAttempt(): void;
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
   * Ends the update: sets the terminal state, records the one `finished` event (after `events`),
   * retrying the write with backoff, and only then releases its locks. A second call is ignored, so
   * there is exactly one `finished` event. Throws OutcomeNotRecorded when the write kept failing
   * (the locks stay held), ExecutionHalted after shutdown.
   */
  finish(state: UpdateState, reason: string, events?: readonly UpdateEventBody[]): Promise<void>;
  /** True once the terminal state was recorded. */
  readonly finished: boolean;
  /** The recorded reason of a cancel requested in this process (a resumed update reads its events). */
  cancelReason: string | undefined;
}

/** The longest wait between two attempts of the final write. */
const maxOutcomeBackoffMs = 30_000;

export function createUpdateExecution(
  record: UpdateRecord,
  deps: UpdateEngineDeps,
  options: ResolvedUpdateEngineOptions,
  signals: { readonly cancel: AbortSignal; readonly halt: AbortSignal },
): UpdateExecution {
  let chain: Promise<unknown> = Promise.resolve();
  let finishing = false;
  let finished = false;
  const tracer = tracerOf(deps);
  const attempt = startAttempt(record, tracer);
  const log = deps.logger.child(updateLogFields(record));

  const save = (events: readonly UpdateEventBody[] = [], saveOptions?: SaveOptions): Promise<void> => {
    const run = chain.then(async () => {
      if (signals.halt.aborted) throw new ExecutionHalted();
      await deps.store.save(record, events, saveOptions);
      announceSteps(deps, record, events, log);
    });
    chain = run.catch(() => undefined);
    return run;
  };

  /**
   * Saves the final write, retried with exponential backoff (the store may be briefly unreachable). When every
   * attempt fails the update stays unfinished in the store with its locks held, so nothing else takes its targets,
   * and the next leader (or the next start) resumes it and records the outcome: logged, counted, OutcomeNotRecorded.
   */
  async function saveOutcome(events: readonly UpdateEventBody[]): Promise<void> {
    let delayMs = options.outcomeWriteBackoffMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await save(events);
        return;
      } catch (error) {
        if (error instanceof ExecutionHalted || signals.halt.aborted) throw new ExecutionHalted();
        if (attempt >= options.outcomeWriteAttempts) {
          log.error(
            { err: error, state: record.state, attempts: attempt },
            "recording the update's outcome failed; it stays unfinished with its locks held until the next leader resumes it",
          );
          deps.countFailure?.("outcome-not-recorded");
          throw new OutcomeNotRecorded(record.id, error);
        }
        log.warn({ err: error, attempt, retry_in_ms: delayMs }, "recording the update's outcome failed; retrying");
        await sleep(delayMs);
        delayMs = Math.min(delayMs * 2, maxOutcomeBackoffMs);
      }
    }
  }

  /** Waits on the engine's clock; a halt ends the wait at once. */
  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const onHalt = () => {
        cancel();
        resolve();
      };
      const cancel = deps.clock.setTimer(ms, () => {
        signals.halt.removeEventListener("abort", onHalt);
        resolve();
      });
      signals.halt.addEventListener("abort", onHalt, { once: true });
    });
  }

  return {
    record,
    deps,
    options,
    log,
    attempt,
    tracer,
    step(name, attributes, run, parent = attempt) {
      return inSpan(tracer, name, parent.ref, { ...updateAttributes(record), ...attributes }, run);
    },
    endAttempt() {
      attempt.setAttributes({ "update.state": record.state, "update.phase": record.phase });
      if (!finished) attempt.setAttributes({ "update.halted": true });
      else if (record.state === "failed" || record.state === "rolled-back" || record.state === "rollback-failed") {
        attempt.fail(record.reason || record.state);
      }
      attempt.end();
    },
    cancelSignal: signals.cancel,
    haltSignal: signals.halt,
    deadline: () => (record.startTime?.getTime() ?? deps.clock.now().getTime()) + record.updateTimeoutMs,
    save,
    async finish(state, reason, events = []) {
      if (finishing) return;
      finishing = true;
      if (signals.halt.aborted) throw new ExecutionHalted();
      record.state = state;
      record.phase = "finished";
      record.finishTime = deps.clock.now();
      record.reason = reason;
      // The outcome is recorded before the locks go: while the record reads RUNNING no other update may take
      // the targets. Pipelines that react to `finished` by starting the next update do not meet TARGET_BUSY
      // either: a lock whose update finished is stale and taken over.
      await saveOutcome([...events, { type: "finished", state, reason }]);
      finished = true;
      log.info({ state, reason }, "update finished");
      try {
        await deps.locks.release(record.id, lockTargets(record.plan));
      } catch (error) {
        log.error({ err: error }, "releasing the update's locks failed; they are stale now and taken over by the next update");
      }
    },
    get finished() {
      return finished;
    },
    cancelReason: undefined,
  };
}

/**
 * Starts the span of an execution attempt and records it in `record.trace` (saved with the attempt's first write):
 * a child of the update's accept span, linked to the previous attempt's span. An update recorded before tracing
 * existed starts a trace of its own here.
 */
function startAttempt(record: UpdateRecord, tracer: UpdateTracer): CoreSpan {
  const { trace } = record;
  const attempts = (trace?.attempts ?? 0) + 1;
  const parent = acceptSpanOf(record);
  const previous =
    trace?.attemptSpanId === undefined
      ? []
      : [{ span: { traceId: trace.traceId, spanId: trace.attemptSpanId, sampled: trace.sampled }, attributes: { "update.link": "previous-attempt" } }];
  const span = tracer.startSpan("update.attempt", {
    ...(parent === undefined ? { root: true } : { parent }),
    links: previous,
    attributes: { ...updateAttributes(record), "update.attempt": attempts, "update.start_phase": record.phase },
  });
  const { ref } = span;
  record.trace =
    trace === undefined
      ? { traceId: ref.traceId, spanId: ref.spanId, sampled: ref.sampled, attemptSpanId: ref.spanId, attempts }
      : { ...trace, attemptSpanId: ref.spanId, attempts };
  return span;
}
