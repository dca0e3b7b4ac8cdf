import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { AvailableUpdate } from "../core/domain/available-update.js";
import type { WatchCycleReport } from "../core/use-cases/watch-registries.js";
import type { RegistryRequestEvent } from "../registry/registry-request-event.js";
import type { RegistryErrorKind } from "../registry/registry-error.js";

/** Hooks that feed the registry watcher's metrics; pass them to the client, the adapter and the watcher. */
export interface RegistryWatchMetrics {
  /** The registry client's `onRequest`. */
  readonly onRequest: (event: RegistryRequestEvent) => void;
  /** The adapter's `onError`. */
  readonly onError: (registry: string, kind: RegistryErrorKind) => void;
  /** After each cycle that ran. */
  readonly onCycle: (report: WatchCycleReport) => void;
  /** The watcher's `onAvailable`. */
  readonly onAvailable: (update: AvailableUpdate) => void;
}

/**
 * Registers the registry watcher's metrics in `registry` (call once per registry):
 * - `update_manager_registry_requests_total{registry, kind, code}`: HTTP requests to registries by kind
 *   (head-manifest, get-manifest, list-tags, token) and status ("200", "429", "0" without a response);
 * - `update_manager_registry_errors_total{registry, kind}`: failed registry checks by error kind
 *   (unauthorized, not-found, rate-limited, unavailable, invalid);
 * - `update_manager_registry_watch_cycle_seconds`: how long a watch cycle took;
 * - `update_manager_available_updates{status}`: newer versions known after the last cycle, by status;
 * - `update_manager_registry_watch_updates_started_total` and `update_manager_available_updates_found_total{status}`.
 */
export function createRegistryWatchMetrics(registry: Registry): RegistryWatchMetrics {
  const requests = new Counter({
    name: "update_manager_registry_requests_total",
    help: "HTTP requests the registry watcher made, by registry host, request kind and HTTP status (0: no response).",
    labelNames: ["registry", "kind", "code"] as const,
    registers: [registry],
  });
  const errors = new Counter({
    name: "update_manager_registry_errors_total",
    help: "Registry checks of the watcher that failed, by registry host and error kind.",
    labelNames: ["registry", "kind"] as const,
    registers: [registry],
  });
  const cycles = new Histogram({
    name: "update_manager_registry_watch_cycle_seconds",
    help: "How long one registry watch cycle took (checks, choices and starting updates).",
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const available = new Gauge({
    name: "update_manager_available_updates",
    help: "Newer versions the registry watcher knows of after its last cycle, by status (notify, beyond-policy, soaking, ...).",
    labelNames: ["status"] as const,
    registers: [registry],
  });
  const started = new Counter({
    name: "update_manager_registry_watch_updates_started_total",
    help: "Updates the registry watcher started.",
    registers: [registry],
  });
  const found = new Counter({
    name: "update_manager_available_updates_found_total",
    help: "Newer versions the registry watcher reported (each new finding or change of status once), by status.",
    labelNames: ["status"] as const,
    registers: [registry],
  });
  return {
    onRequest: (event) => requests.inc({ registry: event.registry, kind: event.kind, code: String(event.status) }),
    onError: (host, kind) => errors.inc({ registry: host, kind }),
    onCycle(report) {
      if (report.skipped !== undefined) return;
      cycles.observe(report.durationMs / 1000);
      started.inc(report.started.length);
      available.reset();
      for (const entry of report.available) available.inc({ status: entry.status });
    },
    onAvailable: (update) => found.inc({ status: update.status }),
  };
}
