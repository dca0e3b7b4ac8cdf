import type { Notifier } from "../core/ports/notifier.js";
import { formatMessage } from "./format-message.js";
import { postJson } from "./post-json.js";
import type { SecretFile } from "./secret-file.js";

export interface SlackNotifierOptions {
  readonly channel: string;
  /** The incoming webhook's URL, a secret (whoever has it can post), from a file. Required. */
  readonly url: SecretFile;
  /** Default: 10 000 ms. */
  readonly timeoutMs?: number;
}

/**
 * A Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat, Teams' Slack-compatible connectors): POSTs
 * `{"text": ...}`. Errors name the host only: the URL's path is the credential.
 */
export function createSlackNotifier(options: SlackNotifierOptions): Notifier {
  return {
    channel: options.channel,
    async send(message) {
      const url = options.url.read();
      const { text } = formatMessage(message);
      await postJson(url, {
        body: JSON.stringify({ text }),
        describe: `Slack webhook at ${new URL(url).host}`,
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      });
    },
  };
}
