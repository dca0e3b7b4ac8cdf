/**
 * Where an update's spans go, kept with its record so that every execution attempt (after a wait in the queue, a
 * restart, or on another replica) continues the same trace.
 */
export interface UpdateTrace {
  /** The W3C trace id (32 lowercase hex digits): the caller's trace when the request carried one. */
  readonly traceId: string;
  /** The span the update's execution attempts are children of: its `update.accept` span (16 hex digits). */
  readonly spanId: string;
  /** Whether the trace is sampled (the W3C `sampled` flag), as decided when the update was accepted. */
  readonly sampled: boolean;
  /** The span of the latest execution attempt, which the next attempt links to. Undefined before the first. */
  attemptSpanId?: string;
  /** Execution attempts started so far. */
  attempts: number;
}
