import { formatImageReference, tryParseImageReference } from "./image-reference.js";
import type { WorkloadRef } from "./workload.js";

/** An image whose rollout failed on a workload because of its new pods. */
export interface QuarantineRecord {
  readonly workload: WorkloadRef;
  /** Normalised image reference. */
  readonly image: string;
  /** `sha256:...` when known; matching prefers it. */
  readonly digest?: string;
  readonly updateId: string;
  readonly reason: string;
  readonly createTime: Date;
}

/**
 * Whether a quarantine record blocks `image`. The digest is the image's identity when both sides
 * know it (a tag can be pushed again with other content); otherwise the normalised references must
 * be equal, so "nginx:1" finds "docker.io/library/nginx:1".
 */
export function quarantineMatches(
  record: { readonly image: string; readonly digest?: string | undefined },
  image: string,
  digest: string | undefined,
): boolean {
  if (record.digest && digest) return record.digest === digest;
  return sameNormalisedReference(record.image, image);
}

/** Equal as written, or equal once normalised (a string that does not parse compares as written). */
export function sameNormalisedReference(a: string, b: string): boolean {
  return a === b || normaliseReference(a) === normaliseReference(b);
}

/** `sha256:…` for a bare digest or a reference pinned by digest; undefined otherwise. */
export function quarantineDigestOf(image: string): string | undefined {
  if (/^sha(256|384|512):/.test(image)) return image;
  return tryParseImageReference(image)?.digest;
}

function normaliseReference(image: string): string {
  const ref = tryParseImageReference(image);
  return ref === undefined ? image : formatImageReference(ref);
}
