import type { Notifier } from "../core/ports/notifier.js";
import { formatMessage } from "./format-message.js";
import { DeliveryError, postJson } from "./post-json.js";
import type { SecretFile } from "./secret-file.js";

export const defaultTelegramBaseUrl = "https://api.telegram.org";

export interface TelegramNotifierOptions {
  readonly channel: string;
  /** The bot token, from a file. Required. */
  readonly token: SecretFile;
  /** The chat: a numeric id or `@channelname`. Required. */
  readonly chatId: string;
  /** The Bot API's base URL (a local Bot API server, a proxy). Default: https://api.telegram.org. */
  readonly baseUrl?: string;
  /** Default: 10 000 ms. */
  readonly timeoutMs?: number;
}

/**
 * The Telegram Bot API's `sendMessage` (plain text, no link previews). Telegram's answer must say `ok: true`.
 * Errors never show the URL: it holds the bot token.
 */
export function createTelegramNotifier(options: TelegramNotifierOptions): Notifier {
  const baseUrl = (options.baseUrl ?? defaultTelegramBaseUrl).replace(/\/+$/, "");
  const describe = `Telegram Bot API at ${new URL(baseUrl).host}`;
  return {
    channel: options.channel,
    async send(message) {
      const { text } = formatMessage(message);
      const answer = await postJson(`${baseUrl}/bot${options.token.read()}/sendMessage`, {
        body: JSON.stringify({ chat_id: options.chatId, text: text.slice(0, 4096), disable_web_page_preview: true }),
        describe,
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      });
      let ok = false;
      try {
        ok = (JSON.parse(answer) as { ok?: unknown }).ok === true;
      } catch {
        ok = false;
      }
      if (!ok) throw new DeliveryError(`${describe} did not accept the message: ${answer.slice(0, 200)}`);
    },
  };
}
