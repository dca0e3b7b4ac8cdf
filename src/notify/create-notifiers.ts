import { readFileSync } from "node:fs";
import type { Notifier } from "../core/ports/notifier.js";
import type { ChannelConfig } from "./notifications-config.js";
import { createSecretFile } from "./secret-file.js";
import { createSlackNotifier } from "./slack-notifier.js";
import { createSmtpNotifier } from "./smtp-notifier.js";
import { createTelegramNotifier } from "./telegram-notifier.js";
import { createWebhookNotifier } from "./webhook-notifier.js";

/** The adapter of each configured channel. */
export function createNotifier(channel: ChannelConfig): Notifier {
  switch (channel.type) {
    case "webhook":
      return createWebhookNotifier({
        channel: channel.name,
        url: channel.url,
        timeoutMs: channel.timeoutMs,
        ...(channel.secretFile === undefined ? {} : { secret: createSecretFile(channel.secretFile) }),
      });
    case "slack":
      return createSlackNotifier({ channel: channel.name, url: createSecretFile(channel.urlFile), timeoutMs: channel.timeoutMs });
    case "telegram":
      return createTelegramNotifier({
        channel: channel.name,
        token: createSecretFile(channel.tokenFile),
        chatId: channel.chatId,
        baseUrl: channel.baseUrl,
        timeoutMs: channel.timeoutMs,
      });
    case "smtp":
      return createSmtpNotifier({
        channel: channel.name,
        host: channel.host,
        port: channel.port,
        security: channel.security,
        from: channel.from,
        to: channel.to,
        timeoutMs: channel.timeoutMs,
        ...(channel.username === undefined || channel.passwordFile === undefined
          ? {}
          : { username: channel.username, password: createSecretFile(channel.passwordFile) }),
        ...(channel.caFile === undefined ? {} : { ca: readFileSync(channel.caFile, "utf8") }),
      });
  }
}
