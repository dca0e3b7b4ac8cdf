import { type StepEvent, stepEventsOf } from "../domain/step-event.js";
import type { UpdateRecord } from "../domain/update.js";
import type { UpdateEventBody } from "../domain/update-event.js";
import type { CoreLogger } from "../ports/logger.js";
import type { UpdateEngineDeps } from "./update-engine-deps.js";

/**
 * Tells the step event recorder of the milestones among `events`, which were just recorded for `record`.
 * Called after the store accepted them, so an event never announces a step the record does not hold. A recorder
 * that throws (it must not) is logged: announcing never fails an update.
 */
export function announceSteps(
  deps: Pick<UpdateEngineDeps, "stepEvents">,
  record: Pick<UpdateRecord, "id" | "image" | "classifier" | "plan" | "trace">,
  events: readonly UpdateEventBody[],
  log: CoreLogger,
): void {
  if (deps.stepEvents === undefined) return;
  announce(deps, events.flatMap((event) => stepEventsOf(record, event)), log);
}

/** Tells the recorder of `steps`, whatever it throws. */
export function announce(deps: Pick<UpdateEngineDeps, "stepEvents">, steps: readonly StepEvent[], log: CoreLogger): void {
  const recorder = deps.stepEvents;
  if (recorder === undefined) return;
  for (const step of steps) {
    try {
      recorder.record(step);
    } catch (error) {
      log.warn({ err: error, update_id: step.updateId, trace_id: step.traceId, reason: step.reason }, "the step event recorder failed; the update goes on");
    }
  }
}
