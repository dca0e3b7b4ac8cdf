import { Counter, type Registry } from "prom-client";
import type { WebhookOutcome } from "../webhooks/registry-webhook-handler.js";

/**
 * Registers `update_manager_registry_webhooks_total{endpoint, outcome}` in `registry` (call once per registry) and
 * returns the handler's `onRequest`. `endpoint` is bounded by the webhooks file's endpoints (unknown paths are not
 * counted), `outcome` by WebhookOutcome.
 */
export function createRegistryWebhookMetrics(registry: Registry): (endpoint: string, outcome: WebhookOutcome) => void {
  const requests = new Counter({
    name: "update_manager_registry_webhooks_total",
    help: "Requests to the registry webhook endpoints, by endpoint and outcome (accepted, unauthorized, malformed, rate-limited, too-large, unavailable).",
    labelNames: ["endpoint", "outcome"] as const,
    registers: [registry],
  });
  return (endpoint, outcome) => requests.inc({ endpoint, outcome });
}
