import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { describeDecisionError } from "../../../src/dashboard/browser/approval-controls.js";

describe("approval decisions refused, in words", () => {
  it("keeps the server's reason for PERMISSION_DENIED and says who may decide", () => {
    const own = new ConnectError("api-key requested update 7 and may not approve it; another principal must", Code.PermissionDenied);
    expect(describeDecisionError(own, "approve")).toBe(
      "PERMISSION_DENIED: api-key requested update 7 and may not approve it; another principal must. " +
        "Approving and rejecting need a key with the approve scope, held by someone other than the requester.",
    );
  });

  it("names an update that no longer waits, and any other failure with the verb", () => {
    expect(describeDecisionError(new ConnectError("update 7 does not wait for approval: it SUCCEEDED", Code.FailedPrecondition), "reject")).toBe(
      "FAILED_PRECONDITION: update 7 does not wait for approval: it SUCCEEDED.",
    );
    expect(describeDecisionError(new ConnectError("caches not synced", Code.Unavailable), "reject")).toBe(
      "Could not reject this update: UNAVAILABLE: caches not synced",
    );
  });
});
