import { createHmac, timingSafeEqual } from "node:crypto";

/** The header carrying the body's signature. */
export const signatureHeader = "X-Update-Manager-Signature";

/** `sha256=<hex HMAC-SHA256 of the exact body bytes>`, as GitHub signs its webhooks. */
export function signBody(secret: string, body: string | Uint8Array): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** For receivers (and tests): whether `header` is the body's signature with `secret`, compared in constant time. */
export function verifySignature(secret: string, body: string | Uint8Array, header: string | undefined): boolean {
  if (header === undefined) return false;
  const expected = Buffer.from(signBody(secret, body));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
