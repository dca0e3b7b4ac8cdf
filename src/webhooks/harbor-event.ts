import { type ReadWebhookPayload, record, text, WebhookPayloadError } from "./webhook-payload.js";

/**
 * Harbor's (2.x) webhook event: `{type, event_data: {resources: [{resource_url}], repository: {repo_full_name}}}`.
 * A `PUSH_ARTIFACT` names a repository; its host is the resource URL's ("harbor.example.com/library/nginx:1.25")
 * unless the endpoint says the workloads' name for it. Other event types (pulls, deletions, scans) are ignored.
 */
export const readHarborEvent: ReadWebhookPayload = (body, context) => {
  const event = record(body, "the event");
  const type = text(event["type"], "type");
  if (type !== "PUSH_ARTIFACT") return [];
  const data = record(event["event_data"], "event_data");
  const repository = text(record(data["repository"], "event_data.repository")["repo_full_name"], "event_data.repository.repo_full_name");
  let host = context.registry;
  if (host === undefined) {
    const resources = data["resources"];
    const first = Array.isArray(resources) && resources.length > 0 ? record(resources[0], "event_data.resources[0]") : undefined;
    const url = first === undefined ? "" : text(first["resource_url"], "event_data.resources[0].resource_url");
    host = url.includes("/") ? url.slice(0, url.indexOf("/")) : "";
    if (host === "") throw new WebhookPayloadError("event_data.resources[0].resource_url names no registry host: set the endpoint's registry");
  }
  return [`${host}/${repository}`];
};
