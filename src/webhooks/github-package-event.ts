import { type ReadWebhookPayload, record, text, WebhookPayloadError } from "./webhook-payload.js";

/** GitHub's container registry, where a package event without a registry host lives. */
export const githubContainerRegistry = "ghcr.io";

/**
 * GitHub's `package` and `registry_package` events (X-GitHub-Event): a container package `published` or `updated`
 * names `<registry host>/<owner>/<package>`, lower-cased as ghcr.io serves it. Other packages (npm, Maven), other
 * actions and other events (`ping` included) are ignored.
 */
export const readGithubPackageEvent: ReadWebhookPayload = (body, context) => {
  if (context.event !== "package" && context.event !== "registry_package") return [];
  const event = record(body, "the event");
  const action = text(event["action"], "action");
  if (action !== "published" && action !== "updated") return [];
  const pkg = record(event[context.event], context.event);
  const type = typeof pkg["package_type"] === "string" ? pkg["package_type"].toLowerCase() : "";
  if (type !== "container" && type !== "docker") return [];
  const name = text(pkg["name"], `${context.event}.name`);
  const owner =
    typeof pkg["namespace"] === "string" && pkg["namespace"] !== ""
      ? pkg["namespace"]
      : text(record(pkg["owner"], `${context.event}.owner`)["login"], `${context.event}.owner.login`);
  const host = context.registry ?? registryHost(pkg["registry"]) ?? githubContainerRegistry;
  if (name.includes("..")) throw new WebhookPayloadError(`${context.event}.name is not a package name`);
  return [`${host}/${owner}/${name}`.toLowerCase()];
};

/** The package's registry host: its `host`, else its `url`'s ("https://ghcr.io/acme"). */
function registryHost(registry: unknown): string | undefined {
  if (registry === null || typeof registry !== "object") return undefined;
  const { host, url } = registry as Record<string, unknown>;
  if (typeof host === "string" && host !== "") return host;
  if (typeof url !== "string") return undefined;
  try {
    return new URL(url).host || undefined;
  } catch {
    return undefined;
  }
}
