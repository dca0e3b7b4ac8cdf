/**
 * Thrown inside an update's execution once the engine shuts down: the execution unwinds without
 * another write, leaving the record as it was for the next process to resume.
 */
export class ExecutionHalted extends Error {
  override readonly name = "ExecutionHalted";
  constructor() {
    super("the update engine shut down; the update resumes when the manager starts again");
  }
}
