import { create } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { DomainError, type DomainErrorCode } from "../core/domain/domain-error.js";
import { ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";

/** The ErrorInfo domain every error of this service carries. */
export const errorDomain = "update-manager";

const codes: Record<DomainErrorCode, Code> = {
  "invalid-argument": Code.InvalidArgument,
  "not-found": Code.NotFound,
  "already-exists": Code.AlreadyExists,
  aborted: Code.Aborted,
  "failed-precondition": Code.FailedPrecondition,
  "resource-exhausted": Code.ResourceExhausted,
  unavailable: Code.Unavailable,
  "permission-denied": Code.PermissionDenied,
  unauthenticated: Code.Unauthenticated,
  unimplemented: Code.Unimplemented,
  "out-of-range": Code.OutOfRange,
  internal: Code.Internal,
};

/**
 * The single place where domain errors become wire errors: the code, the message, and a
 * google.rpc.ErrorInfo (plus RetryInfo when the caller may retry). Anything that is not a
 * DomainError is an internal error whose details stay in the logs.
 */
export function toConnectError(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof DomainError) {
    const details: ConstructorParameters<typeof ConnectError>[3] = [
      { desc: ErrorInfoSchema, value: { reason: error.reason, domain: errorDomain, metadata: { ...error.metadata } } },
    ];
    if (error.retryAfterMs !== undefined) {
      const ms = Math.max(0, Math.ceil(error.retryAfterMs));
      details.push({
        desc: RetryInfoSchema,
        value: {
          retryDelay: create(DurationSchema, {
            seconds: BigInt(Math.floor(ms / 1000)),
            nanos: (ms % 1000) * 1_000_000,
          }),
        },
      });
    }
    return new ConnectError(error.message, codes[error.code], undefined, details, error);
  }
  return new ConnectError("internal error", Code.Internal, undefined, undefined, error);
}

/** Runs a handler body and translates whatever it throws. */
export async function translateErrors<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    throw toConnectError(error);
  }
}
