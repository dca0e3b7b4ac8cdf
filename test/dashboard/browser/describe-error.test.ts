import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { codeName, describeError } from "../../../src/dashboard/browser/describe-error.js";

describe("RPC failures in words", () => {
  it("spells codes as the API docs do", () => {
    expect(codeName(Code.PermissionDenied)).toBe("PERMISSION_DENIED");
    expect(codeName(Code.Unauthenticated)).toBe("UNAUTHENTICATED");
    expect(codeName(Code.ResourceExhausted)).toBe("RESOURCE_EXHAUSTED");
  });

  it("blames the key for UNAUTHENTICATED and says what to do", () => {
    const description = describeError(new ConnectError("invalid credential", Code.Unauthenticated), "list targets");
    expect(description.auth).toBe(true);
    expect(description.code).toBe("UNAUTHENTICATED");
    expect(description.message).toMatch(/^UNAUTHENTICATED: the server did not accept the API key \(invalid credential\)\. Enter a valid key/);
  });

  it("names what a valid key may not do for PERMISSION_DENIED, with the server's reason", () => {
    const description = describeError(new ConnectError("key dashboard may not call ListQuarantines", Code.PermissionDenied), "list quarantines");
    expect(description.auth).toBe(true);
    expect(description.message).toBe(
      "PERMISSION_DENIED: this key may not list quarantines (key dashboard may not call ListQuarantines). Use a key whose scope includes the read RPCs.",
    );
  });

  it("keeps other failures beside the list that failed", () => {
    const description = describeError(new ConnectError("caches not synced", Code.Unavailable), "list updates");
    expect(description.auth).toBe(false);
    expect(description.message).toMatch(/^UNAVAILABLE: /);
    expect(describeError(new TypeError("Failed to fetch"), "list updates").message).toBe("Could not list updates: UNKNOWN: Failed to fetch");
  });
});
