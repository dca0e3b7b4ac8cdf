import type { Registry } from "prom-client";
import type { Clock } from "./core/ports/clock.js";
import type { CoreLogger } from "./core/ports/logger.js";
import type { NotificationDedupeStore } from "./core/ports/notification-dedupe-store.js";
import { createNotificationDispatcher, type NotificationDispatcher } from "./core/use-cases/notification-dispatcher.js";
import type { KubernetesClients, KubernetesComposition } from "./kubernetes-composition.js";
import { createNotifier } from "./notify/create-notifiers.js";
import type { NotificationsConfig } from "./notify/notifications-config.js";
import { createFileNotificationDedupeStore } from "./store/file/file-notification-dedupe-store.js";
import { createMemoryNotificationDedupeStore } from "./store/memory/memory-notification-dedupe-store.js";
import { createNotificationMetrics } from "./telemetry/notification-metrics.js";

export interface NotificationsCompositionOptions {
  readonly config: NotificationsConfig;
  /**
   * With UpdateRuns (UPDATE_MANAGER_STORE=kubernetes): sent findings go to a ConfigMap in this namespace, through the
   * Kubernetes adapters and the process's API server connection. Undefined: a state file or memory.
   */
  readonly durable:
    | { readonly kubernetes: KubernetesComposition; readonly namespace: string; readonly clients: KubernetesClients }
    | undefined;
  readonly clock: Clock;
  readonly logger: CoreLogger;
  /** Default: no metrics. */
  readonly metrics?: Registry;
}

/**
 * Wires notifications for src/app.ts: one adapter per configured channel, the routes, the sent-findings store (the
 * `update-manager-notifications` ConfigMap with the Kubernetes store; else `dedupe.stateFile`, else memory) and the
 * metrics.
 */
export function createNotifications(options: NotificationsCompositionOptions): NotificationDispatcher {
  const { config, clock, logger } = options;
  const metrics = options.metrics === undefined ? undefined : createNotificationMetrics(options.metrics, config.channels.map((channel) => channel.name));
  const bound = {
    maxPerChannel: config.maxFindingsPerChannel,
    ...(metrics === undefined ? {} : { onEvicted: metrics.onEvicted }),
  };
  let dedupe: NotificationDedupeStore;
  if (options.durable !== undefined) {
    const { kubernetes, namespace, clients } = options.durable;
    if (config.stateFile !== undefined) logger.info({}, "notifications: dedupe.stateFile is not used: sent findings are kept in a ConfigMap with the Kubernetes store");
    dedupe = kubernetes.createConfigMapNotificationDedupeStore({
      rest: clients.rest(),
      namespace,
      clock,
      logger,
      ...bound,
    });
  } else if (config.stateFile !== undefined) {
    dedupe = createFileNotificationDedupeStore({ path: config.stateFile, logger, ...bound });
  } else {
    dedupe = createMemoryNotificationDedupeStore(bound);
  }
  const channelRateLimits = Object.fromEntries(
    config.channels.flatMap((channel) => (channel.rateLimitPerMinute === undefined ? [] : [[channel.name, channel.rateLimitPerMinute]])),
  );
  logger.info(
    { channels: config.channels.map((channel) => `${channel.name} (${channel.type})`), routes: config.routes.length },
    `notifications: ${config.channels.length} channels from ${config.source}`,
  );
  return createNotificationDispatcher(
    {
      notifiers: config.channels.map(createNotifier),
      routes: config.routes,
      dedupe,
      clock,
      logger,
      ...(metrics === undefined ? {} : { onResult: metrics.onResult }),
    },
    { rateLimitPerMinute: config.rateLimitPerMinute, channelRateLimits, attempts: config.attempts, backoffMs: config.backoffMs },
  );
}
