import { invalidArgument } from "../domain/domain-error.js";
import { type WorkloadRef, rolloutKinds } from "../domain/workload.js";

/**
 * Opaque ListTargets page tokens: base64url of `t1` and the last target's namespace, kind and name.
 * Keyset paging, so targets appearing or vanishing between calls neither repeat nor skip others.
 */
export function encodeTargetPageToken(last: WorkloadRef): string {
  return Buffer.from(JSON.stringify(["t1", last.namespace, last.kind, last.name]), "utf8").toString("base64url");
}

/** The target a token continues after; throws invalid-argument (field `page_token`) when malformed. */
export function decodeTargetPageToken(token: string): WorkloadRef {
  const malformed = () => invalidArgument("page_token", "page_token is malformed; pass a next_page_token unchanged");
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw malformed();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw malformed();
  }
  if (!Array.isArray(decoded) || decoded.length !== 4 || decoded[0] !== "t1") throw malformed();
  const [, namespace, kind, name] = decoded as unknown[];
  if (typeof namespace !== "string" || typeof kind !== "string" || typeof name !== "string") throw malformed();
  if (!rolloutKinds.has(kind as WorkloadRef["kind"]) && kind !== "CronJob" && kind !== "Job") throw malformed();
  return { kind: kind as WorkloadRef["kind"], namespace, name };
}
