import type { StepEvent } from "../domain/step-event.js";

/**
 * Tells the operator of an update's milestones beside the objects they concern (Kubernetes Events on the
 * workloads and the UpdateRun; kept in memory by the simulated cluster). A courtesy, never part of the update:
 * `record` returns at once and never throws; an adapter queues the event (bounded), and logs and counts what
 * it could not record. Adapters: the Kubernetes Events recorder and the simulated cluster's in-memory one.
 */
export interface StepEventRecorder {
  record(event: StepEvent): void;
}

/** Records nothing (compositions without events). */
export const noStepEvents: StepEventRecorder = { record: () => undefined };
