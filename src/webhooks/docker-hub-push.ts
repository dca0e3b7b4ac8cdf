import { dockerHubRegistry } from "../core/domain/image-reference.js";
import { type ReadWebhookPayload, record, text } from "./webhook-payload.js";

/**
 * Docker Hub's push webhook: `{push_data: {tag}, repository: {repo_name: "team/web"}}`. It signs nothing; the
 * endpoint's token in the URL path is its only proof.
 */
export const readDockerHubPush: ReadWebhookPayload = (body, context) => {
  const event = record(body, "the event");
  record(event["push_data"], "push_data");
  const repository = text(record(event["repository"], "repository")["repo_name"], "repository.repo_name");
  return [`${context.registry ?? dockerHubRegistry}/${repository}`];
};
