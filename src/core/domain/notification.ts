import { createHash } from "node:crypto";
import { type WorkloadRef, workloadKey } from "./workload.js";

/**
 * What people are told about. Update events come from the engine, `version-available` from the registry watcher in
 * notify mode; `approval-needed` when an update is recorded waiting for approvers; the node plan kinds from the node
 * plan controller (a plan starts a new hash; a plan fails).
 */
export const notificationKinds = [
  "update-started",
  "update-succeeded",
  "update-failed",
  "update-rolled-back",
  "version-available",
  "approval-needed",
  "node-plan-started",
  "node-plan-failed",
] as const;

export type NotificationKind = (typeof notificationKinds)[number];

export function isNotificationKind(value: string): value is NotificationKind {
  return (notificationKinds as readonly string[]).includes(value);
}

/** One thing to tell people: the event's kind and the facts of the update, workloads and version it is about. */
export interface Notification {
  readonly kind: NotificationKind;
  readonly time: Date;
  /** The workloads' classifier; undefined for what has none (node plans). */
  readonly classifier?: string;
  /** The workloads concerned (the update's changed workloads, the watched workload); empty for node plans. */
  readonly workloads: readonly WorkloadRef[];
  /** The version: the image an update sets, or the newer image the watcher found (`repo:tag` or with `@sha256:`). */
  readonly image: string;
  /** The image a workload runs now (registry findings). Default: unknown. */
  readonly currentImage?: string;
  /** The container, for registry findings. */
  readonly container?: string;
  readonly updateId?: string;
  /** The update's trace id, for the log lines about delivering this notification (not sent). Default: none. */
  readonly traceId?: string;
  /** A node plan's name (node plan kinds). */
  readonly nodePlan?: string;
  /**
   * The node plan's hash (of its spec and version) the news is about; part of the finding, so a changed spec
   * applying the same version is news again. Default: none.
   */
  readonly hash?: string;
  /** The state the event reports, e.g. `succeeded`, `rolled-back`, `cancelled`, `notify`. */
  readonly state: string;
  /** Why, for people (a failure's reason); "" when the kind says it all. */
  readonly reason: string;
  readonly requester?: string;
}

/** The namespaces a notification is about (its workloads'), for routing. */
export function notificationNamespaces(notification: Notification): readonly string[] {
  return [...new Set(notification.workloads.map((workload) => workload.namespace))].sort();
}

/**
 * The finding a notification reports: (workloads or node plan, version or digest, node plan hash, state). The same
 * finding is sent once per channel: a resumed update announcing its start again, or the watcher reporting a version
 * again after a restart, is not news. The update id is not part of it: the same workloads reaching the same version
 * and state again is the same news.
 */
export function findingOf(notification: Notification): string {
  const workloads = notification.workloads.map(workloadKey).sort().join(",");
  const subject = notification.nodePlan === undefined ? workloads : `node-plan/${notification.nodePlan}`;
  const container = notification.container === undefined ? "" : `#${notification.container}`;
  // Written as before the hash had a field of its own (its first 12 characters after the version), so the findings
  // channels remember from then still match after an upgrade.
  const version = notification.hash === undefined ? notification.image : `${notification.image} (hash ${notification.hash.slice(0, 12)})`;
  return `${subject}${container}|${version}|${notification.kind}:${notification.state}`;
}

/**
 * A finding as remembered: 11 base64url characters of its SHA-256 (66 bits), so 10,000 findings of a channel take
 * about 120 KB of a ConfigMap whatever the image names' lengths.
 */
export function findingHash(finding: string): string {
  return createHash("sha256").update(finding).digest("base64url").slice(0, 11);
}

/** One line for people: "update-failed: Deployment shop/web to registry/web:1.2.4 (update 7f..): reason". */
export function describeNotification(notification: Notification): string {
  const subject =
    notification.nodePlan !== undefined
      ? `node plan ${notification.nodePlan}`
      : notification.workloads.length === 0
        ? "no workload"
        : notification.workloads.map((workload) => `${workload.kind} ${workload.namespace}/${workload.name}`).join(", ");
  const headline: Record<NotificationKind, string> = {
    "update-started": `update started: ${subject} to ${notification.image}`,
    "update-succeeded": `update succeeded: ${subject} runs ${notification.image}`,
    "update-failed": `update ${notification.state === "failed" ? "failed" : `ended ${notification.state}`}: ${subject} to ${notification.image}`,
    "update-rolled-back": `update rolled back: ${subject} was not moved to ${notification.image}`,
    "version-available": `new version: ${notification.image} for ${subject}${notification.container === undefined ? "" : ` container ${notification.container}`}${
      notification.currentImage === undefined ? "" : ` (running ${notification.currentImage})`
    }`,
    "approval-needed": `approval needed: ${subject} to ${notification.image}`,
    "node-plan-started": `node plan started: ${subject}`,
    "node-plan-failed": `node plan failed: ${subject}`,
  };
  const update = notification.updateId === undefined ? "" : ` (update ${notification.updateId})`;
  return `${headline[notification.kind]}${update}${notification.reason === "" ? "" : `: ${notification.reason}`}`;
}
