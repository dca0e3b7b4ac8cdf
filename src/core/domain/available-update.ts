import type { UpdateMode } from "./version-policy-spec.js";
import type { WorkloadRef } from "./workload.js";

/**
 * Why the registry watcher did not (or not yet) apply a newer version it found:
 * - `applying`: it started an update with it (`updateId`); listed until the workload runs it;
 * - `notify`: the container's mode is `notify`: reported only;
 * - `beyond-policy`: newer than what the policy applies by itself (a new major under `semver:minor`, outside a range);
 * - `soaking`: younger than the container's `min-age`; applied at `soakingUntil` at the earliest;
 * - `quarantined`: an update with it failed on this workload's new pods; never applied by the watcher
 *   (clear the quarantine, or update through the pipeline);
 * - `failed-before`: the watcher's own update with it (`updateId`) did not succeed; not retried;
 * - `busy`: another update holds the workload; retried on the next check;
 * - `refused`: the update engine refused it (`message` says why); retried on the next check.
 */
export type AvailabilityStatus =
  | "applying"
  | "notify"
  | "beyond-policy"
  | "soaking"
  | "quarantined"
  | "failed-before"
  | "busy"
  | "refused";

/** A newer version the watcher found for one container of a workload. */
export interface AvailableUpdate {
  readonly workload: WorkloadRef;
  readonly classifier: string;
  readonly container: string;
  /** The image the container's spec names now. */
  readonly currentImage: string;
  /** The newer image: `repo:newTag`, or `repo:tag@sha256:...` for a digest policy. */
  readonly availableImage: string;
  /** The policy as written ("semver:minor", "digest", ...). */
  readonly policy: string;
  readonly mode: UpdateMode;
  readonly status: AvailabilityStatus;
  /** Details for people (the engine's refusal, the quarantine's reason); "" when the status says it all. */
  readonly message: string;
  /** When the manager first saw this version (soak times count from it). */
  readonly firstSeen?: Date;
  /** `soaking`: the earliest time it is applied. */
  readonly soakingUntil?: Date;
  /** `applying`, `failed-before`, `quarantined`: the update concerned. */
  readonly updateId?: string;
  /** When the registry was last checked for this container. */
  readonly checkTime: Date;
}

/** One line for logs and events: "Deployment shop/web container web: 1.2.4 available (notify)". */
export function describeAvailableUpdate(update: AvailableUpdate): string {
  const { kind, namespace, name } = update.workload;
  const why =
    update.status === "soaking" && update.soakingUntil !== undefined
      ? `soaking until ${update.soakingUntil.toISOString()}`
      : update.status === "applying"
        ? `applying in update ${update.updateId ?? ""}`
        : update.status;
  return (
    `${kind} ${namespace}/${name} container ${update.container}: ${update.availableImage} is available ` +
    `(running ${update.currentImage}; policy ${update.policy}, mode ${update.mode}; ${why})` +
    (update.message === "" ? "" : `: ${update.message}`)
  );
}
