import { Counter, type Registry } from "prom-client";
import { type NotificationResult, notificationResults } from "../core/use-cases/notification-dispatcher.js";

/** Feeds the notification metrics; the core only calls these callbacks. */
export interface NotificationMetrics {
  onResult(channel: string, result: NotificationResult): void;
  onEvicted(channel: string, count: number): void;
}

/**
 * Registers the notification metrics (call once per registry). `channel` is bounded by the configured channels (their
 * names), each with every result at 0 from the start:
 * - `update_manager_notifications_total{channel, result}`: notifications and summaries by what became of them;
 * - `update_manager_notification_findings_evicted_total{channel}`: sent findings forgotten to stay within the bound.
 */
export function createNotificationMetrics(registry: Registry, channels: readonly string[]): NotificationMetrics {
  const results = new Counter({
    name: "update_manager_notifications_total",
    help: "Notifications per channel by result: sent, retried (an attempt failed), failed (gave up), duplicate, summarised (over the rate limit), dropped (queue full).",
    labelNames: ["channel", "result"] as const,
    registers: [registry],
  });
  const evicted = new Counter({
    name: "update_manager_notification_findings_evicted_total",
    help: "Sent findings forgotten per channel (the oldest first) to stay within the bound; a forgotten one may be sent again.",
    labelNames: ["channel"] as const,
    registers: [registry],
  });
  for (const channel of channels) {
    evicted.inc({ channel }, 0);
    for (const result of notificationResults) results.inc({ channel, result }, 0);
  }
  return {
    onResult: (channel, result) => results.inc({ channel, result }),
    onEvicted: (channel, count) => evicted.inc({ channel }, count),
  };
}
