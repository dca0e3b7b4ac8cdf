import { createHash } from "node:crypto";

/**
 * How stored keys are kept: the SHA-256 of the key's UTF-8 bytes, as 64 lowercase hex characters
 * (`printf %s "$KEY" | sha256sum`). An unsalted fast hash is the industry practice for API keys
 * because they are random with at least 128 bits of entropy: no dictionary or brute force
 * reaches them, whereas a slow salted hash (scrypt) would cost every request tens of
 * milliseconds per configured key for no gain. Passwords chosen by people would need scrypt.
 */
export function hashApiKey(key: string): Buffer {
  return createHash("sha256").update(key, "utf8").digest();
}

export function hashApiKeyHex(key: string): string {
  return hashApiKey(key).toString("hex");
}

/** 64 lowercase hex characters. */
export const sha256HexPattern = /^[0-9a-f]{64}$/;
