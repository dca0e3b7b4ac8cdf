import { createHash } from "node:crypto";

export interface HashedRequest {
  /** Normalised image reference. */
  readonly image: string;
  readonly classifier: string;
  /** After defaults, so an explicit default and an omitted timeout hash alike. */
  readonly updateTimeoutMs: number;
  readonly overrideQuarantine: boolean;
}

/**
 * Identifies what an Update request asks for, to tell a retry (same key, same request: return the
 * first update) from a reused idempotency key (same key, another request: refuse).
 */
export function requestHash(request: HashedRequest): string {
  const canonical = JSON.stringify([
    "v1",
    request.image,
    request.classifier,
    request.updateTimeoutMs,
    request.overrideQuarantine,
  ]);
  return createHash("sha256").update(canonical).digest("hex");
}
