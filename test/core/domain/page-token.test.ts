import { describe, expect, it } from "vitest";
import { decodePageToken, encodePageToken } from "../../../src/core/domain/page-token.js";
import { decodeTargetPageToken, encodeTargetPageToken } from "../../../src/core/use-cases/target-page-token.js";
import { decodeRunPageToken, encodeRunPageToken } from "../../../src/store/kubernetes/run-page-token.js";
import { decodePositionPageToken, encodePositionPageToken } from "../../../src/store/memory/page-token.js";

describe("page tokens", () => {
  it("round-trip the position of every listing in one opaque, URL-safe format", () => {
    const target = { kind: "Deployment" as const, namespace: "shop", name: "web:1" };
    const run = { time: 1_735_689_600_123, id: "00000000-0000-4000-8000-000000000001" };
    const tokens = [encodePositionPageToken(42), encodeRunPageToken(run), encodeTargetPageToken(target), encodePageToken("a1", [7])];
    for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodePositionPageToken(tokens[0]!)).toBe(42);
    expect(decodeRunPageToken(tokens[1]!)).toEqual(run);
    expect(decodeTargetPageToken(tokens[2]!)).toEqual(target);
    expect(decodePageToken(tokens[3]!, "a1")).toEqual([7]);
  });

  it("refuses a token of another listing, a tampered one and garbage as invalid-argument on page_token", () => {
    const refusals = [
      () => decodeRunPageToken(encodePositionPageToken(3)),
      () => decodePositionPageToken(encodeTargetPageToken({ kind: "Deployment", namespace: "a", name: "b" })),
      () => decodePositionPageToken(encodePageToken("v1", [-1])),
      () => decodeRunPageToken(encodePageToken("r1", [1, ""])),
      () => decodeTargetPageToken(encodePageToken("t1", ["shop", "Pod", "web"])),
      () => decodePositionPageToken("garbage!"),
      () => decodePositionPageToken(Buffer.from("v1:3").toString("base64url")),
    ];
    for (const refusal of refusals) expect(refusal).toThrow(expect.objectContaining({ code: "invalid-argument", metadata: { field: "page_token" } }));
  });
});
