import { Counter, Gauge, type Registry } from "prom-client";
import type { ApiRequestEvent } from "../cluster/kubernetes/api-request-event.js";

/** What the process knows about itself, read at scrape time. */
export interface RuntimeState {
  /** The package version, e.g. "0.1.0". */
  readonly version: string;
  /** The source revision the image was built from. Default: "unknown". */
  readonly revision?: string;
  /** Whether the cluster caches (and the update store's, with UpdateRuns) have synced. */
  readonly cachesSynced: () => boolean;
  /** Whether this replica is the one executing updates (always true with a single in-memory replica). */
  readonly leading: () => boolean;
  /** Informer restarts after errors so far (each one relists). Default: none (no series). */
  readonly informerRestarts?: () => number;
}

/** Hooks that feed the runtime metrics. */
export interface RuntimeMetrics {
  /** The Kubernetes REST client's `onRequest`. */
  readonly onApiRequest: (event: ApiRequestEvent) => void;
}

/**
 * Registers the process's state in `registry` (call once per registry):
 * - `update_manager_build_info{version, revision, node_version}` 1;
 * - `update_manager_caches_synced` 1 once the caches synced, 0 before;
 * - `update_manager_leader` 1 on the replica that executes updates, 0 on the others;
 * - `update_manager_informer_restarts_total`: informers restarted (and relisted) after errors;
 * - `update_manager_kubernetes_api_requests_total{verb, resource, code}`: API requests (not watches).
 */
export function createRuntimeMetrics(registry: Registry, state: RuntimeState): RuntimeMetrics {
  const buildInfo = new Gauge({
    name: "update_manager_build_info",
    help: "Always 1: the version and source revision running, and the Node.js version.",
    labelNames: ["version", "revision", "node_version"] as const,
    registers: [registry],
  });
  buildInfo.set({ version: state.version, revision: state.revision ?? "unknown", node_version: process.version }, 1);
  new Gauge({
    name: "update_manager_caches_synced",
    help: "1 once the cluster caches (and the UpdateRun store's) have synced, 0 before: the API answers UNAVAILABLE.",
    registers: [registry],
    collect() {
      this.set(state.cachesSynced() ? 1 : 0);
    },
  });
  new Gauge({
    name: "update_manager_leader",
    help: "1 on the replica that executes updates (holds the Lease), 0 on the others.",
    registers: [registry],
    collect() {
      this.set(state.leading() ? 1 : 0);
    },
  });
  const { informerRestarts } = state;
  if (informerRestarts !== undefined) {
    new Counter({
      name: "update_manager_informer_restarts_total",
      help: "Informers restarted after a watch or list error; each restart relists its objects.",
      registers: [registry],
      collect() {
        this.reset();
        this.inc(informerRestarts());
      },
    });
  }
  const apiRequests = new Counter({
    name: "update_manager_kubernetes_api_requests_total",
    help: "Requests to the Kubernetes API server (lists, reads and writes; not watches), by verb, resource and HTTP status (0: no response).",
    labelNames: ["verb", "resource", "code"] as const,
    registers: [registry],
  });
  return { onApiRequest: (event) => apiRequests.inc({ verb: event.verb, resource: event.resource, code: event.code }) };
}
