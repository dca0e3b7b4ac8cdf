import { Counter, Histogram, type Registry } from "prom-client";
import type { InformerEvents, ObjectVersion } from "../cluster/kubernetes/informer-events.js";
import { type Clock, systemClock } from "../core/ports/clock.js";

export interface InformerMetricsOptions {
  /** Default: systemClock. */
  readonly clock?: Clock;
  /**
   * How long a written version may wait for its informer: then it is observed with the time waited (a stalled
   * watch shows in the top buckets without a later event) and forgotten. Default: 600 000 ms (10 minutes).
   */
  readonly maxWaitMs?: number;
  /** Written versions waiting at most; beyond it a version of the object written to first is forgotten unobserved. Default: 1000. */
  readonly maxPending?: number;
  /**
   * The last deliveries remembered, for a watch event that arrives before the write's own answer was read (the two
   * come over different connections): such a write is observed with 0 s. Default: 1000.
   */
  readonly maxRecent?: number;
}

interface Pending {
  readonly resourceVersion: string;
  readonly at: number;
}

/** Whether `delivered` is `written` or a later version of the object (resourceVersions are etcd revisions). */
function reaches(delivered: string, written: string): boolean {
  if (delivered === written) return true;
  return /^\d+$/.test(delivered) && /^\d+$/.test(written) && BigInt(delivered) > BigInt(written);
}

/**
 * Registers the informer series in `registry` (call once per registry) and returns the events that feed them:
 * - `update_manager_informer_lag_seconds{resource}`: from the API server's answer to one of the manager's writes
 *   until the informer of that resource delivered that version (or a later one) of the object;
 * - `update_manager_informer_relists_total{resource}`: informers that listed everything again after their first
 *   list (their watch history was gone).
 * `resource` is one of the resources informers are created for (a fixed set in the code); writes to other resources
 * (Leases, ConfigMaps, Events) are not timed. Each resource's series start at 0 when its first informer is created.
 */
export function createInformerMetrics(registry: Registry, options: InformerMetricsOptions = {}): InformerEvents {
  const clock = options.clock ?? systemClock;
  const maxWaitMs = options.maxWaitMs ?? 600_000;
  const maxPending = options.maxPending ?? 1000;
  const maxRecent = options.maxRecent ?? 1000;
  /** `resource namespace/name` -> written versions not delivered yet, oldest first. */
  const pending = new Map<string, Pending[]>();
  let pendingCount = 0;
  /** `resource namespace/name` -> the last version delivered, for the last `maxRecent` objects delivered. */
  const recent = new Map<string, string>();
  const informed = new Set<string>();

  const forgetExpired = (): void => {
    const now = clock.now().getTime();
    for (const [key, versions] of pending) {
      const resource = key.slice(0, key.indexOf(" "));
      const waiting = versions.filter((version) => {
        if (now - version.at < maxWaitMs) return true;
        lag.observe({ resource }, (now - version.at) / 1000);
        return false;
      });
      pendingCount -= versions.length - waiting.length;
      if (waiting.length === 0) pending.delete(key);
      else pending.set(key, waiting);
    }
  };

  const lag = new Histogram({
    name: "update_manager_informer_lag_seconds",
    help: "From the API server's answer to one of the manager's writes until the informer of that resource delivered that version of the object.",
    labelNames: ["resource"] as const,
    // A healthy watch delivers in milliseconds; seconds mean an overloaded API server or a watch that reconnects.
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
    collect: forgetExpired,
  });
  const relists = new Counter({
    name: "update_manager_informer_relists_total",
    help: "Informers that listed all their objects again after their first list (watch history gone: 410 Gone).",
    labelNames: ["resource"] as const,
    registers: [registry],
  });
  const keyOf = (version: ObjectVersion): string => `${version.resource} ${version.namespace}/${version.name}`;

  return {
    informerCreated(resource) {
      if (informed.has(resource)) return;
      informed.add(resource);
      lag.zero({ resource });
      relists.inc({ resource }, 0);
    },
    relisted(resource) {
      relists.inc({ resource });
    },
    written(version) {
      if (!informed.has(version.resource)) return;
      const key = keyOf(version);
      const seen = recent.get(key);
      if (seen !== undefined && reaches(seen, version.resourceVersion)) {
        lag.observe({ resource: version.resource }, 0);
        return;
      }
      forgetExpired();
      if (pendingCount >= maxPending) {
        // Bounded memory: the oldest waiting version of the first object makes room.
        const [oldestKey, versions] = pending.entries().next().value as [string, Pending[]];
        versions.shift();
        pendingCount--;
        if (versions.length === 0) pending.delete(oldestKey);
      }
      const versions = pending.get(key) ?? [];
      versions.push({ resourceVersion: version.resourceVersion, at: clock.now().getTime() });
      pending.set(key, versions);
      pendingCount++;
    },
    delivered(version) {
      const key = keyOf(version);
      recent.delete(key);
      recent.set(key, version.resourceVersion);
      if (recent.size > maxRecent) recent.delete(recent.keys().next().value as string);
      const versions = pending.get(key);
      if (versions === undefined) return;
      const now = clock.now().getTime();
      const waiting = versions.filter((written) => {
        if (!reaches(version.resourceVersion, written.resourceVersion)) return true;
        lag.observe({ resource: version.resource }, (now - written.at) / 1000);
        return false;
      });
      pendingCount -= versions.length - waiting.length;
      if (waiting.length === 0) pending.delete(key);
      else pending.set(key, waiting);
    },
  };
}
