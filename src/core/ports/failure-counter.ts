/**
 * Failures the process handles itself instead of returning them to a caller (it logs them, retries later, or
 * leaves the work to the next leader): counted, so that a dashboard shows what a log line alone would hide.
 * - `outcome-not-recorded`: an update's final write kept failing; the run stays unfinished with its locks held.
 * - `quarantine-full`: a quarantine record was refused because the store holds its maximum.
 * - `jwks-refresh`: refreshing an issuer's signing keys failed; the cached keys are still used.
 * - `run-cleanup`: deleting an UpdateRun (pruning, or a DELETE clean-up) failed.
 * - `event-not-recorded`: a step event (a Kubernetes Event on a workload or UpdateRun) was refused, failed, or
 *   dropped because its queue was full; the update goes on.
 * - `first-status-not-recorded`: an accepted update's first status write (after the answer) kept failing; the run
 *   reads as accepted from its spec until its executor writes a status.
 */
export type HandledFailure =
  | "outcome-not-recorded"
  | "quarantine-full"
  | "jwks-refresh"
  | "run-cleanup"
  | "event-not-recorded"
  | "first-status-not-recorded";

export type CountFailure = (failure: HandledFailure) => void;

/** Counts nothing (tests, and compositions without metrics). */
export const countNoFailure: CountFailure = () => {};
