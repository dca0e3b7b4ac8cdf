import type { StepEvent } from "../../core/domain/step-event.js";
import { sameWorkload, type WorkloadRef } from "../../core/domain/workload.js";
import { type Clock, systemClock } from "../../core/ports/clock.js";
import type { StepEventRecorder } from "../../core/ports/step-event-recorder.js";

export interface SimulatedStepEventsOptions {
  /** Stamps the events. Default: systemClock. */
  readonly clock?: Clock;
  /** Events kept, oldest dropped first (bounds the memory, as Kubernetes' event TTL does). Default: 1 000. */
  readonly maxEvents?: number;
}

/** A step event as Kubernetes would keep it: repeats folded into one with a count. */
export interface RecordedStepEvent extends StepEvent {
  readonly count: number;
  readonly firstTime: Date;
  readonly lastTime: Date;
}

/** The simulated cluster's Events: kept in memory, read back as `kubectl describe` would list them. */
export interface SimulatedStepEvents extends StepEventRecorder {
  /**
   * Oldest first. `workload`: the events on that object; `updateId`: that update's; `updateLevel`: only the
   * events on updates as a whole (those Kubernetes keeps on the UpdateRun). Default: every event.
   */
  list(filter?: { readonly workload?: WorkloadRef; readonly updateId?: string; readonly updateLevel?: boolean }): readonly RecordedStepEvent[];
}

/**
 * The in-memory step event recorder of the simulated cluster (and the fake of core tests). Like client-go's
 * recorder, a repeat of an event (same object, reason, type and note) raises the count of the one recorded
 * instead of adding another.
 */
export function createSimulatedStepEvents(options: SimulatedStepEventsOptions = {}): SimulatedStepEvents {
  const clock = options.clock ?? systemClock;
  const maxEvents = options.maxEvents ?? 1_000;
  if (!Number.isInteger(maxEvents) || maxEvents <= 0) throw new RangeError(`maxEvents must be a positive integer, got ${maxEvents}`);
  const events: RecordedStepEvent[] = [];

  const sameObject = (a: StepEvent, b: StepEvent) =>
    a.workload === undefined || b.workload === undefined
      ? a.workload === b.workload && a.updateId === b.updateId
      : sameWorkload(a.workload, b.workload);

  return {
    record(event) {
      const now = clock.now();
      const index = events.findIndex(
        (known) => sameObject(known, event) && known.reason === event.reason && known.type === event.type && known.note === event.note,
      );
      if (index >= 0) {
        const known = events[index]!;
        events.splice(index, 1);
        events.push({ ...known, count: known.count + 1, lastTime: now });
        return;
      }
      events.push({ ...event, count: 1, firstTime: now, lastTime: now });
      if (events.length > maxEvents) events.shift();
    },
    list(filter = {}) {
      return events.filter(
        (event) =>
          (filter.workload === undefined || (event.workload !== undefined && sameWorkload(event.workload, filter.workload))) &&
          (filter.updateId === undefined || event.updateId === filter.updateId) &&
          (filter.updateLevel !== true || event.workload === undefined),
      );
    },
  };
}
