import { Code, ConnectError } from "@connectrpc/connect";
import { type DomainErrorCode, isDomainError } from "../core/domain/domain-error.js";
import { ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";

/** A refusal the REST adapter decides itself (a malformed body, a wrong method), before the core is asked. */
export class RestProblem extends Error {
  override readonly name = "RestProblem";
  constructor(
    readonly status: number,
    /** Machine-readable, like the RPCs' ErrorInfo reasons. */
    readonly reason: string,
    message: string,
    /** Extra response headers (`Allow` for 405). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** An error answer: the status, the headers and the JSON body `{"error": message, "reason": REASON}`. */
export interface RestErrorResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

const statusByDomainCode: Record<DomainErrorCode, number> = {
  "invalid-argument": 400,
  unauthenticated: 401,
  "permission-denied": 403,
  "not-found": 404,
  // TARGET_BUSY, IMAGE_CONFLICT: another update holds the targets.
  aborted: 409,
  "already-exists": 409,
  // IMAGE_QUARANTINED, TARGET_NOT_UPDATABLE, UPDATE_FINISHED.
  "failed-precondition": 412,
  "resource-exhausted": 429,
  unavailable: 503,
  unimplemented: 501,
  // Never raised by the REST API's use cases (node plan watches only); 400 as Connect maps OUT_OF_RANGE.
  "out-of-range": 400,
  internal: 500,
};

const statusByConnectCode: Partial<Record<Code, number>> = {
  [Code.InvalidArgument]: 400,
  [Code.Unauthenticated]: 401,
  [Code.PermissionDenied]: 403,
  [Code.NotFound]: 404,
  [Code.Aborted]: 409,
  [Code.AlreadyExists]: 409,
  [Code.FailedPrecondition]: 412,
  [Code.ResourceExhausted]: 429,
  [Code.Unavailable]: 503,
  [Code.Unimplemented]: 501,
};

/**
 * The one place where errors become HTTP answers on the REST drop-in: a DomainError from the core,
 * a ConnectError from the access control (which authorises REST calls as the RPCs they stand for),
 * or a RestProblem. 429 and 503 carry `Retry-After` (whole seconds) when the error says when.
 * Anything else is a 500 whose details stay in the logs.
 */
export function toRestError(error: unknown): RestErrorResponse {
  if (error instanceof RestProblem) return respond(error.status, error.reason, error.message, undefined, error.headers);
  if (isDomainError(error)) {
    return respond(statusByDomainCode[error.code], error.reason, error.message, error.retryAfterMs);
  }
  if (error instanceof ConnectError) {
    const info = error.findDetails(ErrorInfoSchema)[0];
    const retry = error.findDetails(RetryInfoSchema)[0]?.retryDelay;
    const retryAfterMs = retry === undefined ? undefined : Number(retry.seconds) * 1000 + retry.nanos / 1e6;
    return respond(statusByConnectCode[error.code] ?? 500, info?.reason ?? Code[error.code], error.rawMessage, retryAfterMs);
  }
  return respond(500, "INTERNAL", "internal error", undefined);
}

function respond(
  status: number,
  reason: string,
  message: string,
  retryAfterMs: number | undefined,
  extra: Readonly<Record<string, string>> = {},
): RestErrorResponse {
  const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8", ...extra };
  if (retryAfterMs !== undefined && (status === 429 || status === 503)) {
    headers["retry-after"] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  }
  return { status, headers, body: JSON.stringify({ error: message, reason }) };
}
