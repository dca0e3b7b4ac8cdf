/**
 * Thrown by an execution's finish() when the final write kept failing: the outcome was decided but is not in the
 * store. The execution ends without another attempt (it was logged and counted); the run stays unfinished with
 * its locks held, and the next leader (or the next start) resumes it and records the outcome.
 */
export class OutcomeNotRecorded extends Error {
  override readonly name = "OutcomeNotRecorded";
  constructor(
    readonly updateId: string,
    cause: unknown,
  ) {
    super(`the outcome of update ${updateId} could not be recorded; the next leader resumes it`, { cause });
  }
}
