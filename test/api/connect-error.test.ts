import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { toConnectError } from "../../src/api/connect-error.js";
import { DomainError, type DomainErrorCode } from "../../src/core/domain/domain-error.js";
import { ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";

describe("toConnectError", () => {
  it.each<[DomainErrorCode, Code]>([
    ["invalid-argument", Code.InvalidArgument],
    ["not-found", Code.NotFound],
    ["aborted", Code.Aborted],
    ["failed-precondition", Code.FailedPrecondition],
    ["resource-exhausted", Code.ResourceExhausted],
    ["unavailable", Code.Unavailable],
    ["permission-denied", Code.PermissionDenied],
    ["unauthenticated", Code.Unauthenticated],
  ])("maps %s to gRPC code %s", (domainCode, code) => {
    expect(toConnectError(new DomainError(domainCode, "INTERNAL", "x")).code).toBe(code);
  });

  it("carries the reason and metadata as google.rpc.ErrorInfo so clients can switch on them", () => {
    const error = toConnectError(
      new DomainError("aborted", "TARGET_BUSY", "busy", { metadata: { update_id: "u1", workload: "Deployment/shop/web" } }),
    );
    const [info] = error.findDetails(ErrorInfoSchema);
    expect(info?.reason).toBe("TARGET_BUSY");
    expect(info?.domain).toBe("update-manager");
    expect(info?.metadata).toEqual({ update_id: "u1", workload: "Deployment/shop/web" });
    expect(error.rawMessage).toBe("busy");
  });

  it("adds RetryInfo with the delay when the caller may retry", () => {
    const error = toConnectError(new DomainError("resource-exhausted", "RATE_LIMITED", "slow down", { retryAfterMs: 2500 }));
    const [retry] = error.findDetails(RetryInfoSchema);
    expect(retry?.retryDelay?.seconds).toBe(2n);
    expect(retry?.retryDelay?.nanos).toBe(500_000_000);
  });

  it("hides the message of unexpected errors behind INTERNAL", () => {
    const error = toConnectError(new Error("secret connection string leaked"));
    expect(error.code).toBe(Code.Internal);
    expect(error.message).not.toContain("secret");
  });

  it("passes ConnectErrors through unchanged", () => {
    const original = new ConnectError("x", Code.Canceled);
    expect(toConnectError(original)).toBe(original);
  });
});
