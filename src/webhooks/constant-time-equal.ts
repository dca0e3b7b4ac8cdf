import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Whether two secrets are equal, in time that depends on neither's content nor length: both are hashed first,
 * so the comparison is always of 32 bytes.
 */
export function constantTimeEqual(given: string | Uint8Array, expected: string | Uint8Array): boolean {
  const left = createHash("sha256").update(given).digest();
  const right = createHash("sha256").update(expected).digest();
  return timingSafeEqual(left, right);
}
