/**
 * The one error type the core throws. Adapters translate it at the border: the API adapter
 * into a ConnectError (code + google.rpc.ErrorInfo), the REST drop-in into an HTTP status.
 */
export type DomainErrorCode =
  | "invalid-argument"
  | "not-found"
  | "already-exists"
  | "aborted"
  | "failed-precondition"
  | "resource-exhausted"
  | "unavailable"
  | "permission-denied"
  | "unauthenticated"
  | "unimplemented"
  | "out-of-range"
  | "internal";

/** Stable, machine-readable reasons (the ErrorInfo `reason`), documented in update_service.proto. */
export type DomainErrorReason =
  | "INVALID_ARGUMENT"
  | "IDEMPOTENCY_KEY_REUSED"
  | "NO_TARGETS"
  | "UPDATE_NOT_FOUND"
  | "UPDATE_EXISTS"
  | "TARGET_BUSY"
  | "QUEUE_FULL"
  | "IMAGE_QUARANTINED"
  | "TARGET_NOT_UPDATABLE"
  | "UPDATE_FINISHED"
  // Approvals: ApproveUpdate/RejectUpdate of an update that does not wait for approval (any more).
  | "NOT_WAITING_FOR_APPROVAL"
  // Approvals: the requester may not approve (or reject) its own update.
  | "OWN_UPDATE"
  // Approvals: fewer principals may approve the update than it needs (the policy cannot be met).
  | "APPROVAL_IMPOSSIBLE"
  // The global freeze is on: the update is refused.
  | "FROZEN"
  // Gates: the update is outside a time window whose policy refuses it.
  | "OUTSIDE_WINDOW"
  // Gates: an alert gate's query returned firing alerts (or failed, which counts as firing) and its policy refuses.
  | "ALERT_FIRING"
  | "RATE_LIMITED"
  | "WATCHER_TOO_SLOW"
  | "TOO_MANY_WATCHES"
  | "CACHE_NOT_SYNCED"
  | "IMAGE_CONFLICT"
  | "PERMISSION_DENIED"
  | "UNAUTHENTICATED"
  | "ISSUER_UNAVAILABLE"
  | "UNIMPLEMENTED"
  | "CLUSTER_ERROR"
  | "INTERNAL"
  // Registry watching: a registry call of the watcher failed; never sent to API clients.
  | "REGISTRY_ERROR"
  // Node plans (NodePlanService): no plan of that name; plans not run by this server; the plan's version not
  // resolved yet, or its spec invalid (PreviewNodePlan); a watch resumed before the oldest kept event; the plan was
  // deleted (or replaced) while watched.
  | "PLAN_NOT_FOUND"
  | "NODE_PLANS_DISABLED"
  | "PLAN_NOT_RESOLVED"
  | "PLAN_INVALID"
  | "EVENTS_EXPIRED"
  | "PLAN_REPLACED"
  // The quarantine store holds its maximum of records and refused a new one (the engine logs it); never sent to API clients.
  | "QUARANTINE_FULL";

export interface DomainErrorOptions {
  /** Structured details a client can act on (ErrorInfo metadata). Default: none. */
  metadata?: Record<string, string>;
  /** When the caller may retry (RetryInfo). Default: not set. */
  retryAfterMs?: number;
  /** The underlying error, kept for logs; never sent to clients. */
  cause?: unknown;
}

export class DomainError extends Error {
  override readonly name = "DomainError";
  readonly metadata: Readonly<Record<string, string>>;
  readonly retryAfterMs: number | undefined;

  constructor(
    readonly code: DomainErrorCode,
    readonly reason: DomainErrorReason,
    message: string,
    options: DomainErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.metadata = options.metadata ?? {};
    this.retryAfterMs = options.retryAfterMs;
  }
}

export function invalidArgument(field: string, message: string): DomainError {
  return new DomainError("invalid-argument", "INVALID_ARGUMENT", message, { metadata: { field } });
}

export function isDomainError(error: unknown, code?: DomainErrorCode): error is DomainError {
  return error instanceof DomainError && (code === undefined || error.code === code);
}
