import type { Notification, NotificationKind } from "../domain/notification.js";

/**
 * What a channel delivers: one notification, or the summary of those a channel's rate limit held back in a
 * minute (sent once, when the minute ends).
 */
export type NotificationMessage =
  | { readonly type: "notification"; readonly notification: Notification }
  | {
      readonly type: "summary";
      /** How many notifications were held back. */
      readonly count: number;
      /** Held back, by kind. */
      readonly kinds: Readonly<Partial<Record<NotificationKind, number>>>;
      /** The first few held back (at most 10), to show what they were. */
      readonly samples: readonly Notification[];
      readonly from: Date;
      readonly to: Date;
    };

/**
 * One notification channel (a webhook, Slack, e-mail, Telegram). `send` makes one attempt and rejects when the
 * message was not accepted; the dispatcher retries with backoff, so an adapter never retries itself.
 */
export interface Notifier {
  /** The channel's name in the configuration (the metrics' `channel` label). */
  readonly channel: string;
  send(message: NotificationMessage): Promise<void>;
}
