import type { Interceptor } from "@connectrpc/connect";
import type { Registry } from "prom-client";
import type { Clock } from "./core/ports/clock.js";
import type { CoreLogger } from "./core/ports/logger.js";
import type { RemoveUpdateResult } from "./core/ports/update-store.js";
import type { UpdateManager } from "./core/use-cases/update-manager.js";
import type { RegistryWatcher } from "./core/use-cases/watch-registries.js";
import { createLegacyRestHandler } from "./rest/legacy-rest-handler.js";
import type { Http1Handler } from "./server/http1-router.js";
import { createRegistryWebhookMetrics } from "./telemetry/registry-webhook-metrics.js";
import { createRegistryWebhookHandler } from "./webhooks/registry-webhook-handler.js";
import type { WebhooksConfig } from "./webhooks/webhooks-config.js";

export interface Http1HandlersOptions {
  readonly manager: Pick<UpdateManager, "startUpdate" | "getUpdate" | "recordRefusedUpdate">;
  /** The API port's access-control interceptor: the REST API is authorised like the RPCs. */
  readonly accessControl: Interceptor;
  /** `UpdateStore.remove`, for the REST API's DELETE. */
  readonly removeUpdate: (id: string) => Promise<RemoveUpdateResult>;
  /** UPDATE_MANAGER_REST_STRICT_NO_TARGETS: 404 for an image no target uses, instead of the original's 201. */
  readonly strictNoTargets: boolean;
  /** The dashboard's handler (the application also reads its status for readiness). */
  readonly dashboard: Http1Handler;
  /** Registry webhook endpoints (UPDATE_MANAGER_WEBHOOKS_FILE). Default: none. */
  readonly webhooks?: WebhooksConfig;
  /** The registry watcher the webhooks make re-check; without it (registry watching off) no webhook is served. */
  readonly registryWatcher: Pick<RegistryWatcher, "recheck"> | undefined;
  readonly clock: Clock;
  /** The application's logger: each handler logs as its own component ("rest", "webhooks"). */
  readonly logger: CoreLogger;
  /** Where the webhook request counts go. Default: none. */
  readonly metrics?: Registry;
}

/**
 * The plain HTTP/1.1 handlers on the API port, in the order they are tried: the original's REST API (`/updates`,
 * `/health`), the dashboard (`/` and `/dashboard/…`) and the registry webhooks (`/webhooks/…`).
 */
export function createHttp1Handlers(options: Http1HandlersOptions): Http1Handler[] {
  const { logger, registryWatcher } = options;
  return [
    createLegacyRestHandler({
      manager: options.manager,
      accessControl: options.accessControl,
      removeUpdate: options.removeUpdate,
      logger: logger.child({ component: "rest" }),
      strictNoTargets: options.strictNoTargets,
    }),
    options.dashboard,
    // Registry pushes make the watcher check those repositories now.
    ...(options.webhooks === undefined || registryWatcher === undefined
      ? []
      : [
          createRegistryWebhookHandler({
            config: options.webhooks,
            recheck: (repository) => registryWatcher.recheck(repository),
            clock: options.clock,
            logger: logger.child({ component: "webhooks" }),
            ...(options.metrics === undefined ? {} : { onRequest: createRegistryWebhookMetrics(options.metrics) }),
          }),
        ]),
  ];
}
