import { randomBytes } from "node:crypto";
import type { AvailableUpdate } from "../../core/domain/available-update.js";
import { type WorkloadKind, type WorkloadRef, workloadKey } from "../../core/domain/workload.js";
import type { Clock } from "../../core/ports/clock.js";
import type { CoreLogger } from "../../core/ports/logger.js";
import { describeOperation } from "./kubernetes-errors.js";
import type { RestClient } from "./rest-client.js";

export interface AvailableUpdateEventsOptions {
  readonly rest: RestClient;
  readonly clock: Clock;
  readonly logger: CoreLogger;
  /**
   * The workload's uid, so that `kubectl describe` (which selects events by uid) shows the Event. Default: none
   * (the Event names the workload by kind, namespace and name only).
   */
  readonly uidOf?: (ref: WorkloadRef) => string | undefined;
  /** `source.component` and `reportingComponent` of the Events. Default: "update-manager". */
  readonly component?: string;
  /** Findings remembered as announced, oldest forgotten first (bounds the memory). Default: 10 000. */
  readonly maxRemembered?: number;
}

/** Announces the registry watcher's findings as Kubernetes Events (the watcher's `onAvailable`). */
export interface AvailableUpdateEvents {
  /**
   * Creates one `UpdateAvailable` Event on the workload, unless this (workload, container, available image) was
   * announced before. Never rejects: an Event is a courtesy, a failed one is logged and does not stop the watcher.
   * Resolves to whether an Event was created.
   */
  announce(update: AvailableUpdate): Promise<boolean>;
}

export const updateAvailableReason = "UpdateAvailable";

// Events of the core group and Kubernetes' own limit for their messages (longer ones are cut, as client-go does).
const maxMessageLength = 1024;
const apiVersions: Record<WorkloadKind, string> = {
  Deployment: "apps/v1",
  StatefulSet: "apps/v1",
  DaemonSet: "apps/v1",
  CronJob: "batch/v1",
  Job: "batch/v1",
};

/**
 * The registry watcher's findings as `core/v1` Events (reason `UpdateAvailable`, type Normal) on the workload, so
 * that `kubectl describe` and event exporters show them beside the workload. The watcher calls `onAvailable` for
 * every new finding and every change of its status; a finding is announced once per (workload, container,
 * available image), not again when it goes from soaking to applying or after every cycle. Remembered in memory
 * (bounded): after a restart, the durable watch state keeps the watcher from reporting old findings again.
 */
export function createAvailableUpdateEvents(options: AvailableUpdateEventsOptions): AvailableUpdateEvents {
  const { rest, clock, logger } = options;
  const component = options.component ?? "update-manager";
  const maxRemembered = options.maxRemembered ?? 10_000;
  if (!Number.isInteger(maxRemembered) || maxRemembered <= 0) {
    throw new RangeError(`maxRemembered must be a positive integer, got ${maxRemembered}`);
  }
  // Insertion-ordered: the first key is the oldest, dropped when full.
  const announced = new Set<string>();

  const remember = (key: string): void => {
    announced.add(key);
    while (announced.size > maxRemembered) {
      const oldest = announced.values().next().value;
      if (oldest === undefined) break;
      announced.delete(oldest);
    }
  };

  return {
    async announce(update) {
      const key = `${workloadKey(update.workload)}|${update.container}|${update.availableImage}`;
      if (announced.has(key)) return false;
      remember(key); // Before the request: a second call during it is a repeat, not a new finding.
      const { kind, namespace, name } = update.workload;
      const uid = options.uidOf?.(update.workload);
      const now = clock.now();
      const timestamp = `${now.toISOString().slice(0, 19)}Z`;
      const event = {
        apiVersion: "v1",
        kind: "Event",
        metadata: { name: eventName(name, now), namespace },
        involvedObject: { apiVersion: apiVersions[kind], kind, namespace, name, ...(uid === undefined ? {} : { uid }) },
        reason: updateAvailableReason,
        message: truncate(availableUpdateEventMessage(update)),
        type: "Normal",
        source: { component },
        reportingComponent: component,
        firstTimestamp: timestamp,
        lastTimestamp: timestamp,
        count: 1,
      };
      try {
        await rest.request({ method: "POST", path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, body: event });
        return true;
      } catch (error) {
        // Forgotten again, so that a later change of the finding's status tries once more.
        announced.delete(key);
        const target = describeOperation({ verb: "create", resource: "events", namespace });
        logger.warn(
          { workload: workloadKey(update.workload), container: update.container, err: error },
          `could not announce ${update.availableImage} for ${workloadKey(update.workload)} as an Event (${target}): ${
            error instanceof Error ? error.message : String(error)
          }`,
        );
        return false;
      }
    },
  };
}

/** "Container app: repo:1.2.4 is available (running repo:1.2.3, policy semver:patch); not applied: ..." */
export function availableUpdateEventMessage(update: AvailableUpdate): string {
  const details = update.message === "" ? "" : `: ${update.message}`;
  return (
    `Container ${update.container}: ${update.availableImage} is available ` +
    `(running ${update.currentImage}, policy ${update.policy}, mode ${update.mode}); ${whyNotApplied(update)}${details}`
  );
}

function whyNotApplied(update: AvailableUpdate): string {
  switch (update.status) {
    case "applying":
      return `being applied by update ${update.updateId ?? "(unknown)"}`;
    case "notify":
      return "not applied: the mode is notify, which only reports newer versions";
    case "beyond-policy":
      return `not applied: beyond what policy ${update.policy} applies by itself (update through the pipeline or widen the policy)`;
    case "soaking":
      return `not applied yet: soaking (min-age)${update.soakingUntil === undefined ? "" : ` until ${update.soakingUntil.toISOString()}`}`;
    case "quarantined":
      return `not applied: quarantined for this workload${update.updateId === undefined ? "" : ` by update ${update.updateId}`}`;
    case "failed-before":
      return "not applied: an earlier update of the watcher with it did not succeed";
    case "busy":
      return "not applied yet: another update holds the workload; retried on the next check";
    case "refused":
      return "not applied: the update engine refused it";
  }
}

/** `<workload>.<time><random>`, as client-go names events; the workload part is cut to keep within 253. */
function eventName(workload: string, now: Date): string {
  return `${workload.slice(0, 220)}.${now.getTime().toString(16)}${randomBytes(4).toString("hex")}`;
}

function truncate(message: string): string {
  return message.length <= maxMessageLength ? message : `${message.slice(0, maxMessageLength - 3)}...`;
}
