import type { Notifier } from "../core/ports/notifier.js";
import { messagePayload } from "./format-message.js";
import { postJson } from "./post-json.js";
import type { SecretFile } from "./secret-file.js";
import { signatureHeader, signBody } from "./webhook-signature.js";

export interface WebhookNotifierOptions {
  readonly channel: string;
  readonly url: string;
  /** The HMAC key; the body is signed when it is set. Default: not signed. */
  readonly secret?: SecretFile;
  /** Default: 10 000 ms. */
  readonly timeoutMs?: number;
}

/**
 * A generic webhook: POSTs the message as JSON (messagePayload) with `X-Update-Manager-Signature: sha256=<hex>`, the
 * HMAC-SHA256 of the body with the secret read from its file at each send (a rotated Secret is used at once).
 */
export function createWebhookNotifier(options: WebhookNotifierOptions): Notifier {
  return {
    channel: options.channel,
    async send(message) {
      const body = JSON.stringify(messagePayload(message));
      const headers: Record<string, string> = {
        "X-Update-Manager-Event": message.type === "summary" ? "summary" : message.notification.kind,
      };
      if (options.secret !== undefined) headers[signatureHeader] = signBody(options.secret.read(), body);
      await postJson(options.url, { body, headers, ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) });
    },
  };
}
