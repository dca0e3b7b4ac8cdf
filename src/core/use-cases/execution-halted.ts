/**
 * Thrown inside an update's execution once the engine shuts down: the execution unwinds without
 * another write, leaving the record as it was for the next process to resume. A store throws it
 * too when this process may no longer write the update (it lost the leadership, or another replica
 * now executes the update): the execution then stops the same way, and the executing replica goes on.
 */
export class ExecutionHalted extends Error {
  override readonly name = "ExecutionHalted";
  constructor(message = "the update engine shut down; the update resumes when the manager starts again") {
    super(message);
  }
}
