import { isRecord } from "../auth/config-document.js";
import { manifestMediaTypes } from "../registry/manifest-media-types.js";
import { type ReadWebhookPayload, record, text, WebhookPayloadError } from "./webhook-payload.js";

/** The envelope's media type (distribution's notifications, `application/vnd.docker.distribution.events.v1+json`). */
export const distributionEventsMediaType = "application/vnd.docker.distribution.events.v1+json";

/** OCI artifacts and older schema 1 manifests also name a tag's content; layers (blobs) do not. */
const extraManifestTypes = [
  "application/vnd.docker.distribution.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v1+prettyjws",
  "application/vnd.oci.artifact.manifest.v1+json",
];

/**
 * The distribution registry's notification envelope: `{events: [{action, target: {mediaType, repository, tag?},
 * request: {host}}]}`. A manifest push names a repository (the host is the one the pusher used, unless the
 * endpoint says the workloads' name for it); blob pushes, pulls, mounts and deletions are ignored.
 */
export const readDistributionNotification: ReadWebhookPayload = (body, context) => {
  const envelope = record(body, "the envelope");
  if (!Array.isArray(envelope["events"])) throw new WebhookPayloadError("the envelope must hold an events list");
  const repositories: string[] = [];
  for (const [index, item] of (envelope["events"] as unknown[]).entries()) {
    const event = record(item, `events[${index}]`);
    if (event["action"] !== "push") continue;
    const target = record(event["target"], `events[${index}].target`);
    const mediaType = typeof target["mediaType"] === "string" ? target["mediaType"] : "";
    const isManifest = (manifestMediaTypes as readonly string[]).includes(mediaType) || extraManifestTypes.includes(mediaType);
    if (!isManifest && target["tag"] === undefined) continue;
    const repository = text(target["repository"], `events[${index}].target.repository`);
    const host = context.registry ?? (isRecord(event["request"]) && typeof event["request"]["host"] === "string" ? event["request"]["host"] : "");
    if (host === "") throw new WebhookPayloadError(`events[${index}].request.host is missing: set the endpoint's registry`);
    repositories.push(`${host}/${repository}`);
  }
  return repositories;
};
