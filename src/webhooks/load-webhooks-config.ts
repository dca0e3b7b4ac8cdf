import { isRecord, unknownFields } from "../auth/config-document.js";
import { ConfigError } from "../config/config-error.js";
import { loadConfigFile, type ReadText, readTextFile } from "../config/load-config-file.js";
import {
  defaultWebhookMaxBodyBytes,
  defaultWebhookRateLimitPerMinute,
  type WebhookEndpointConfig,
  type WebhooksConfig,
  type WebhookSourceType,
} from "./webhooks-config.js";

export const webhooksVariables = ["UPDATE_MANAGER_WEBHOOKS_FILE"] as const;

export type { ReadText } from "../config/load-config-file.js";

const endpointName = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const registryHost = /^[a-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9a-f:]+\](:[0-9]{1,5})?$/;
const sourceTypes: readonly WebhookSourceType[] = ["distribution", "harbor", "github", "dockerhub"];

/**
 * Loads `UPDATE_MANAGER_WEBHOOKS_FILE` (YAML or JSON; README "Registry webhooks"). Undefined when it is not set.
 * Every secret file must be readable and not empty at start-up; later changes are read at each request.
 *
 * @throws ConfigError listing every problem, each naming the file and the field, none quoting a secret.
 */
export function loadWebhooksConfig(
  env: Readonly<Record<string, string | undefined>>,
  readText: ReadText = readTextFile,
): WebhooksConfig | undefined {
  return loadConfigFile(
    env,
    "UPDATE_MANAGER_WEBHOOKS_FILE",
    (document, { source }) => parseWebhooksConfig(document, source, readText),
    { readText },
  );
}

/** Checks a parsed document (exported for tests). */
export function parseWebhooksConfig(raw: Record<string, unknown>, source: string, readText: ReadText): WebhooksConfig {
  const problems: string[] = [];
  const unknown = unknownFields(raw, ["endpoints", "rateLimitPerMinute", "maxBodyBytes"], source);
  if (unknown !== undefined) problems.push(unknown);
  const positiveInteger = (value: unknown, where: string, fallback: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
      problems.push(`${where} must be a positive integer`);
      return fallback;
    }
    return value;
  };
  const rateLimitPerMinute = positiveInteger(raw["rateLimitPerMinute"], `${source}: rateLimitPerMinute`, defaultWebhookRateLimitPerMinute);
  const maxBodyBytes = positiveInteger(raw["maxBodyBytes"], `${source}: maxBodyBytes`, defaultWebhookMaxBodyBytes);

  const endpoints: WebhookEndpointConfig[] = [];
  const names = new Set<string>();
  if (!Array.isArray(raw["endpoints"]) || raw["endpoints"].length === 0) {
    problems.push(`${source}: endpoints must be a non-empty list`);
  } else {
    for (const [index, entry] of (raw["endpoints"] as unknown[]).entries()) {
      const at = `${source}: endpoints[${index}]`;
      if (!isRecord(entry)) {
        problems.push(`${at} must be a mapping`);
        continue;
      }
      const extra = unknownFields(entry, ["name", "type", "secretFile", "registry"], at);
      if (extra !== undefined) problems.push(extra);
      const name = entry["name"];
      if (typeof name !== "string" || !endpointName.test(name) || name.length > 63) {
        problems.push(`${at}.name must be lower-case letters, digits and "-" (at most 63): it is the URL path /webhooks/<name>`);
        continue;
      }
      const where = `${source}: endpoint "${name}"`;
      if (names.has(name)) problems.push(`${where}: the name is used twice`);
      names.add(name);
      const type = entry["type"];
      if (typeof type !== "string" || !(sourceTypes as readonly string[]).includes(type)) {
        problems.push(`${where}: type must be ${sourceTypes.join(", ")}`);
        continue;
      }
      const secretFile = entry["secretFile"];
      if (typeof secretFile !== "string" || secretFile.trim() === "") {
        problems.push(`${where}: secretFile is required (a webhook without a secret would let anyone trigger registry checks)`);
        continue;
      }
      try {
        if (readText(secretFile.trim()).trim() === "") problems.push(`${where}: secretFile: ${secretFile.trim()} is empty`);
      } catch (error) {
        problems.push(`${where}: secretFile: cannot read ${secretFile.trim()}: ${(error as { code?: string }).code ?? (error as Error).message}`);
      }
      const registry = entry["registry"];
      if (registry !== undefined && (typeof registry !== "string" || !registryHost.test(registry.trim().toLowerCase()))) {
        problems.push(`${where}: registry must be a host[:port] such as "registry.internal:5000"`);
        continue;
      }
      endpoints.push({
        name,
        type: type as WebhookSourceType,
        secretFile: secretFile.trim(),
        ...(registry === undefined ? {} : { registry: (registry as string).trim().toLowerCase() }),
      });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { source, endpoints, rateLimitPerMinute, maxBodyBytes };
}
