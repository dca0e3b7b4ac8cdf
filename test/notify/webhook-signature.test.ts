import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signBody, verifySignature } from "../../src/notify/webhook-signature.js";

describe("webhook signatures", () => {
  it("are sha256= and the hex HMAC-SHA256 of the exact body with the secret", () => {
    const body = '{"event":"update-failed"}';
    expect(signBody("s3cret", body)).toBe(`sha256=${createHmac("sha256", "s3cret").update(body).digest("hex")}`);
    expect(signBody("s3cret", body)).toMatch(/^sha256=[0-9a-f]{64}$/);
  });

  it("verify only the same body with the same secret", () => {
    const body = '{"event":"update-failed"}';
    const header = signBody("s3cret", body);
    expect(verifySignature("s3cret", body, header)).toBe(true);
    expect(verifySignature("other", body, header)).toBe(false);
    expect(verifySignature("s3cret", `${body} `, header)).toBe(false);
    expect(verifySignature("s3cret", body, undefined)).toBe(false);
    expect(verifySignature("s3cret", body, "sha256=00")).toBe(false);
  });
});
