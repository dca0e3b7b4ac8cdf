import { isRecord, unknownFields } from "../auth/config-document.js";
import { ConfigError } from "../config/config-error.js";
import { parseDuration } from "../config/duration.js";
import { loadConfigFile, type ReadText, readTextFile } from "../config/load-config-file.js";
import { isNotificationKind, type NotificationKind, notificationKinds } from "../core/domain/notification.js";
import type { NotificationRoute } from "../core/domain/notification-route.js";
import type { ChannelConfig, NotificationsConfig } from "./notifications-config.js";
import { defaultTelegramBaseUrl } from "./telegram-notifier.js";

export const notificationsVariables = ["UPDATE_MANAGER_NOTIFICATIONS_FILE"] as const;

export type { ReadText } from "../config/load-config-file.js";

const channelName = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** What one remembered finding takes in the ConfigMap (11 characters and a newline), and what a ConfigMap holds. */
const findingBytes = 12;
const configMapBytes = 1_000_000;

const commonChannelFields = ["name", "type", "timeout", "rateLimitPerMinute"];
const channelFields: Record<ChannelConfig["type"], readonly string[]> = {
  webhook: [...commonChannelFields, "url", "secretFile"],
  slack: [...commonChannelFields, "urlFile"],
  smtp: [...commonChannelFields, "host", "port", "security", "username", "passwordFile", "from", "to", "caFile"],
  telegram: [...commonChannelFields, "tokenFile", "chatId", "baseUrl"],
};

/**
 * Loads `UPDATE_MANAGER_NOTIFICATIONS_FILE` (YAML or JSON; README "Notifications"). Undefined when it is not set.
 * Every credential file must be readable and not empty at start-up (a typo in a path should stop the process, not
 * the first message); later changes are read at each send.
 *
 * @throws ConfigError listing every problem, each naming the file and the field, none quoting a credential.
 */
export function loadNotificationsConfig(
  env: Readonly<Record<string, string | undefined>>,
  readText: ReadText = readTextFile,
): NotificationsConfig | undefined {
  return loadConfigFile(
    env,
    "UPDATE_MANAGER_NOTIFICATIONS_FILE",
    (document, { source }) => parseNotificationsConfig(document, source, readText),
    { readText },
  );
}

/** Checks a parsed document (exported for tests). */
export function parseNotificationsConfig(raw: Record<string, unknown>, source: string, readText: ReadText): NotificationsConfig {
  const problems: string[] = [];
  const unknown = unknownFields(raw, ["channels", "routes", "rateLimitPerMinute", "dedupe", "delivery"], source);
  if (unknown !== undefined) problems.push(unknown);

  const positiveInteger = (value: unknown, where: string, fallback: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
      problems.push(`${where} must be a positive integer`);
      return fallback;
    }
    return value;
  };
  const duration = (value: unknown, where: string, fallback: number): number => {
    if (value === undefined) return fallback;
    const ms = typeof value === "string" ? parseDuration(value) : undefined;
    if (ms === undefined || ms <= 0) {
      problems.push(`${where} must be a positive duration such as "10s"`);
      return fallback;
    }
    return ms;
  };
  const string = (value: unknown, where: string): string | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== "string" || value.trim() === "") {
      problems.push(`${where} must be a non-empty string`);
      return undefined;
    }
    return value.trim();
  };
  const required = (value: unknown, where: string): string => {
    if (value === undefined) problems.push(`${where} is required`);
    return string(value, where) ?? "";
  };
  const url = (value: unknown, where: string, fallback?: string): string => {
    const text = value === undefined && fallback !== undefined ? fallback : required(value, where);
    if (text === "") return text;
    try {
      const parsed = new URL(text);
      if (parsed.protocol !== "https:" && parsed.protocol !== "http:") problems.push(`${where} must be an http or https URL`);
    } catch {
      problems.push(`${where} is not a URL`);
    }
    return text;
  };
  /** A credential file: readable and not empty now. */
  const secretFile = (value: unknown, where: string, needed: boolean): string | undefined => {
    const file = needed ? required(value, where) : string(value, where);
    if (file === undefined || file === "") return undefined;
    try {
      if (readText(file).trim() === "") problems.push(`${where}: ${file} is empty`);
    } catch (error) {
      problems.push(`${where}: cannot read ${file}: ${(error as { code?: string }).code ?? (error as Error).message}`);
    }
    return file;
  };
  const requiredList = (value: unknown, where: string): string[] => {
    if (value === undefined) {
      problems.push(`${where} is required`);
      return [];
    }
    return stringList(value, where) ?? [];
  };
  const stringList = (value: unknown, where: string): string[] | undefined => {
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.length === 0 || value.some((item) => typeof item !== "string" || item.trim() === "")) {
      problems.push(`${where} must be a non-empty list of strings`);
      return undefined;
    }
    return value.map((item: string) => item.trim());
  };

  const rateLimitPerMinute = positiveInteger(raw["rateLimitPerMinute"], `${source}: rateLimitPerMinute`, 20);
  let maxFindingsPerChannel = 10_000;
  let stateFile: string | undefined;
  if (raw["dedupe"] !== undefined) {
    const dedupe = raw["dedupe"];
    if (!isRecord(dedupe)) problems.push(`${source}: dedupe must be a mapping`);
    else {
      const extra = unknownFields(dedupe, ["maxPerChannel", "stateFile"], `${source}: dedupe`);
      if (extra !== undefined) problems.push(extra);
      maxFindingsPerChannel = positiveInteger(dedupe["maxPerChannel"], `${source}: dedupe.maxPerChannel`, 10_000);
      stateFile = string(dedupe["stateFile"], `${source}: dedupe.stateFile`);
    }
  }
  let attempts = 5;
  let backoffMs = 1000;
  if (raw["delivery"] !== undefined) {
    const delivery = raw["delivery"];
    if (!isRecord(delivery)) problems.push(`${source}: delivery must be a mapping`);
    else {
      const extra = unknownFields(delivery, ["attempts", "backoff"], `${source}: delivery`);
      if (extra !== undefined) problems.push(extra);
      attempts = positiveInteger(delivery["attempts"], `${source}: delivery.attempts`, 5);
      backoffMs = duration(delivery["backoff"], `${source}: delivery.backoff`, 1000);
    }
  }

  const channels: ChannelConfig[] = [];
  const names = new Set<string>();
  if (!Array.isArray(raw["channels"]) || raw["channels"].length === 0) {
    problems.push(`${source}: channels must be a non-empty list`);
  } else {
    for (const [index, entry] of (raw["channels"] as unknown[]).entries()) {
      const at = `${source}: channels[${index}]`;
      if (!isRecord(entry)) {
        problems.push(`${at} must be a mapping`);
        continue;
      }
      const name = required(entry["name"], `${at}.name`);
      const where = name === "" ? at : `${source}: channel "${name}"`;
      if (name !== "" && (!channelName.test(name) || name.length > 63)) {
        problems.push(`${where}: the name must be lower-case letters, digits and "-" (at most 63), as it is a metric label and a ConfigMap key`);
      }
      if (names.has(name)) problems.push(`${where}: the name is used twice`);
      names.add(name);
      const type = entry["type"];
      if (type !== "webhook" && type !== "slack" && type !== "smtp" && type !== "telegram") {
        problems.push(`${where}: type must be webhook, slack, smtp or telegram`);
        continue;
      }
      const extra = unknownFields(entry, channelFields[type], where);
      if (extra !== undefined) problems.push(extra);
      const common = {
        name,
        timeoutMs: duration(entry["timeout"], `${where}: timeout`, 10_000),
        ...(entry["rateLimitPerMinute"] === undefined
          ? {}
          : { rateLimitPerMinute: positiveInteger(entry["rateLimitPerMinute"], `${where}: rateLimitPerMinute`, rateLimitPerMinute) }),
      };
      switch (type) {
        case "webhook": {
          const secret = secretFile(entry["secretFile"], `${where}: secretFile`, false);
          channels.push({ type, ...common, url: url(entry["url"], `${where}: url`), ...(secret === undefined ? {} : { secretFile: secret }) });
          break;
        }
        case "slack":
          channels.push({ type, ...common, urlFile: secretFile(entry["urlFile"], `${where}: urlFile`, true) ?? "" });
          break;
        case "telegram": {
          const chatId = entry["chatId"];
          if (typeof chatId !== "string" && !(typeof chatId === "number" && Number.isInteger(chatId))) {
            problems.push(`${where}: chatId is required (a chat id, or "@channelname")`);
          }
          channels.push({
            type,
            ...common,
            tokenFile: secretFile(entry["tokenFile"], `${where}: tokenFile`, true) ?? "",
            chatId: String(chatId ?? ""),
            baseUrl: url(entry["baseUrl"], `${where}: baseUrl`, defaultTelegramBaseUrl),
          });
          break;
        }
        case "smtp": {
          const security = entry["security"] ?? "starttls";
          if (security !== "starttls" && security !== "tls" && security !== "none") {
            problems.push(`${where}: security must be starttls, tls or none`);
          }
          const port = entry["port"] ?? (security === "tls" ? 465 : 587);
          if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) problems.push(`${where}: port must be 1..65535`);
          const username = string(entry["username"], `${where}: username`);
          const passwordFile = secretFile(entry["passwordFile"], `${where}: passwordFile`, false);
          if ((username === undefined) !== (passwordFile === undefined)) problems.push(`${where}: username and passwordFile go together`);
          const caFile = string(entry["caFile"], `${where}: caFile`);
          if (caFile !== undefined) {
            try {
              readText(caFile);
            } catch (error) {
              problems.push(`${where}: caFile: cannot read ${caFile}: ${(error as { code?: string }).code ?? (error as Error).message}`);
            }
          }
          const to = requiredList(entry["to"], `${where}: to`);
          channels.push({
            type,
            ...common,
            host: required(entry["host"], `${where}: host`),
            port: port as number,
            security: security as "starttls",
            ...(username === undefined ? {} : { username }),
            ...(passwordFile === undefined ? {} : { passwordFile }),
            from: required(entry["from"], `${where}: from`),
            to,
            ...(caFile === undefined ? {} : { caFile }),
          });
          break;
        }
      }
    }
  }

  const routes: NotificationRoute[] = [];
  if (!Array.isArray(raw["routes"]) || raw["routes"].length === 0) {
    problems.push(`${source}: routes must be a non-empty list (which events go to which channels)`);
  } else {
    for (const [index, entry] of (raw["routes"] as unknown[]).entries()) {
      const where = `${source}: routes[${index}]`;
      if (!isRecord(entry)) {
        problems.push(`${where} must be a mapping`);
        continue;
      }
      const extra = unknownFields(entry, ["events", "classifiers", "namespaces", "channels"], where);
      if (extra !== undefined) problems.push(extra);
      const events = stringList(entry["events"], `${where}.events`);
      const unknownKinds = events?.filter((event) => !isNotificationKind(event)) ?? [];
      if (unknownKinds.length > 0) {
        problems.push(`${where}.events: unknown ${unknownKinds.map((kind) => JSON.stringify(kind)).join(", ")} (known: ${notificationKinds.join(", ")})`);
      }
      const classifiers = stringList(entry["classifiers"], `${where}.classifiers`);
      const namespaces = stringList(entry["namespaces"], `${where}.namespaces`);
      const routed = requiredList(entry["channels"], `${where}.channels`);
      for (const channel of routed) if (!names.has(channel)) problems.push(`${where}.channels: no channel is named "${channel}"`);
      routes.push({
        ...(events === undefined ? {} : { events: events as NotificationKind[] }),
        ...(classifiers === undefined ? {} : { classifiers }),
        ...(namespaces === undefined ? {} : { namespaces }),
        channels: routed,
      });
    }
  }

  const needed = channels.length * maxFindingsPerChannel * findingBytes;
  if (needed > configMapBytes) {
    problems.push(
      `${source}: dedupe.maxPerChannel ${maxFindingsPerChannel} for ${channels.length} channels needs about ${Math.ceil(needed / 1000)} kB, ` +
        `more than the ConfigMap that keeps them holds (1 MB): lower dedupe.maxPerChannel to ${Math.floor(configMapBytes / findingBytes / Math.max(1, channels.length))}`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    source,
    channels,
    routes,
    rateLimitPerMinute,
    maxFindingsPerChannel,
    ...(stateFile === undefined ? {} : { stateFile }),
    attempts,
    backoffMs,
  };
}
