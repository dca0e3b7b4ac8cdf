import { invalidArgument } from "../domain/domain-error.js";
import { formatImageReference, parseImageReference } from "../domain/image-reference.js";
import type { QuarantineRecord } from "../domain/quarantine.js";
import type { WorkloadRef } from "../domain/workload.js";
import type { QuarantineStore } from "../ports/quarantine-store.js";

export type ClearQuarantine = (image: string, workload?: WorkloadRef) => Promise<readonly QuarantineRecord[]>;

const bareDigest = /^sha(256|384|512):[0-9a-f]+$/;

/**
 * Removes the quarantine records of an image (any reference form, or a bare `sha256:` digest), for
 * one workload or all, and returns them. Clearing nothing is not an error: the image is usable.
 */
export function createClearQuarantine(deps: { readonly quarantines: QuarantineStore }): ClearQuarantine {
  return async (image, workload) => {
    const trimmed = typeof image === "string" ? image.trim() : "";
    if (trimmed === "") throw invalidArgument("image", "image is required: give the quarantined image reference or digest");
    const normalised = bareDigest.test(trimmed) ? trimmed : formatImageReference(parseImageReference(trimmed));
    return deps.quarantines.clear(normalised, workload);
  };
}
