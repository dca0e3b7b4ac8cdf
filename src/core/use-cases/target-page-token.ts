import { decodePageToken, encodePageToken, malformedPageToken } from "../domain/page-token.js";
import { type WorkloadRef, rolloutKinds } from "../domain/workload.js";

/**
 * ListTargets page tokens: the last target's namespace, kind and name as a "t1" page token. Keyset paging, so
 * targets appearing or vanishing between calls neither repeat nor skip others.
 */
export function encodeTargetPageToken(last: WorkloadRef): string {
  return encodePageToken("t1", [last.namespace, last.kind, last.name]);
}

/** The target a token continues after; throws invalid-argument (field `page_token`) when malformed. */
export function decodeTargetPageToken(token: string): WorkloadRef {
  const fields = decodePageToken(token, "t1");
  if (fields.length !== 3) throw malformedPageToken();
  const [namespace, kind, name] = fields;
  if (typeof namespace !== "string" || typeof kind !== "string" || typeof name !== "string") throw malformedPageToken();
  if (!rolloutKinds.has(kind as WorkloadRef["kind"]) && kind !== "CronJob" && kind !== "Job") throw malformedPageToken();
  return { kind: kind as WorkloadRef["kind"], namespace, name };
}
