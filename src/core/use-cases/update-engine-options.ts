import type { AlertGatePolicy } from "../domain/alert-gate-policy.js";
import type { WindowPolicy } from "../domain/window-policy.js";
import type { ApprovalPolicy } from "../domain/approval-policy.js";
import type { FrozenNewUpdates } from "../domain/freeze.js";

/** Tunables of the update engine. Every option is optional; the defaults suit production. */
export interface UpdateEngineOptions {
  /**
   * Honour the original update manager's `xcnt.io/update-classifier` annotation as well as the
   * classifier label, so workloads annotated for the old manager keep working. Default: true.
   */
  legacyAnnotation?: boolean;
  /** Deadline of an update (migrations and rollout) when the request sets none. Default: 15 minutes. */
  defaultUpdateTimeoutMs?: number;
  /** The longest deadline a request may ask for. Default: 24 hours. */
  maxUpdateTimeoutMs?: number;
  /**
   * `activeDeadlineSeconds` of a migration Job copy, so Kubernetes stops a stuck migration. Never
   * more than what is left of the update's deadline. Default: 600.
   */
  migrationActiveDeadlineSeconds?: number;
  /**
   * Fail a rollout as soon as a new pod reports one of `podProblemReasons`, instead of waiting for
   * the progress deadline or the update timeout. Default: true.
   */
  failFastOnPodProblems?: boolean;
  /**
   * Pod waiting reasons that fail a rollout at once (with `failFastOnPodProblems`). Default:
   * ImagePullBackOff, ErrImagePull, CrashLoopBackOff, CreateContainerConfigError, InvalidImageName.
   */
  podProblemReasons?: readonly string[];
  /**
   * Rollout progress events are coalesced to at most one per workload per interval; the latest
   * state wins, and a pending one is sent before the workload's healthy or failed event. Default: 1000.
   */
  progressIntervalMs?: number;
  /** How long a rollback waits for one restored workload to become healthy again. Default: 5 minutes. */
  rollbackTimeoutMs?: number;
  /** A watch stream sends a heartbeat after this long without other messages. Default: 15000. */
  watchHeartbeatMs?: number;
  /**
   * Live events a watcher may leave unread before its stream ends with WATCHER_TOO_SLOW (it can
   * resume from the last sequence it got). Bounds the memory one slow client can hold. Default: 256.
   */
  watchBufferSize?: number;
  /**
   * Bytes of live events a watcher may leave unread before its stream ends with WATCHER_TOO_SLOW, whichever of
   * this and `watchBufferSize` comes first; an event counts as the UTF-8 length of its JSON form (more than its
   * protobuf encoding on the wire). Bounds a slow client's memory when events are large (long failure
   * messages). Default: 262144 (256 KiB).
   */
  watchBufferBytes?: number;
  /**
   * How long an update may wait in the queue of a busy target (`queueIfBusy`) before it ends FAILED
   * with QUEUE_TIMEOUT. Its own update timeout only starts when it leaves the queue. Default: 1 hour.
   */
  queueTimeoutMs?: number;
  /** Updates that may wait behind one target; one more is refused (QUEUE_FULL). Default: 20. */
  maxQueuedPerTarget?: number;
  /**
   * Attempts of an update's final write (its outcome) before giving up; the locks are held until it is
   * recorded, and a run whose outcome could not be recorded is resumed by the next leader. Default: 8.
   */
  outcomeWriteAttempts?: number;
  /** Wait before the second attempt of the final write; doubled after each failure, at most 30 s. Default: 500. */
  outcomeWriteBackoffMs?: number;
  /**
   * Policies that make updates wait for approval (UPDATE_MANAGER_POLICIES_FILE); the annotation
   * `<prefix>/approvals: N` on a target applies too. Default: none.
   */
  approvalPolicies?: readonly ApprovalPolicy[];
  /** How long an update an annotation asks approval for may wait for it. Default: 24 hours. */
  approvalDeadlineMs?: number;
  /**
   * How many distinct principals other than `requester` may approve updates (the access configuration's
   * approvers): an update needing more is refused (APPROVAL_IMPOSSIBLE) instead of waiting in vain. Default:
   * unlimited.
   */
  approverCapacity?: (requester: string) => number;
  /** New updates while frozen: "refuse" (FAILED_PRECONDITION, FROZEN) or "queue" (held until unfrozen). Default: "refuse". */
  frozenNewUpdates?: FrozenNewUpdates;
  /** Time windows updates may start in (UPDATE_MANAGER_POLICIES_FILE `windows`). Default: none (always open). */
  windowPolicies?: readonly WindowPolicy[];
  /**
   * Alert gates: queries that must return nothing before an update starts and between its workloads
   * (`alertGates`; the engine's `alerts` port runs them). Default: none.
   */
  alertGatePolicies?: readonly AlertGatePolicy[];
}

export type ResolvedUpdateEngineOptions = Required<UpdateEngineOptions>;

export const defaultPodProblemReasons: readonly string[] = [
  "ImagePullBackOff",
  "ErrImagePull",
  "CrashLoopBackOff",
  "CreateContainerConfigError",
  "InvalidImageName",
];

const minute = 60_000;

export const defaultUpdateEngineOptions: ResolvedUpdateEngineOptions = {
  legacyAnnotation: true,
  defaultUpdateTimeoutMs: 15 * minute,
  maxUpdateTimeoutMs: 24 * 60 * minute,
  migrationActiveDeadlineSeconds: 600,
  failFastOnPodProblems: true,
  podProblemReasons: defaultPodProblemReasons,
  progressIntervalMs: 1000,
  rollbackTimeoutMs: 5 * minute,
  watchHeartbeatMs: 15_000,
  watchBufferSize: 256,
  watchBufferBytes: 256 * 1024,
  queueTimeoutMs: 60 * minute,
  maxQueuedPerTarget: 20,
  outcomeWriteAttempts: 8,
  outcomeWriteBackoffMs: 500,
  approvalPolicies: [],
  approvalDeadlineMs: 24 * 60 * minute,
  approverCapacity: () => Number.POSITIVE_INFINITY,
  frozenNewUpdates: "refuse",
  windowPolicies: [],
  alertGatePolicies: [],
};

/** Fills in defaults and rejects values that would make the engine misbehave (a configuration bug). */
export function resolveUpdateEngineOptions(options: UpdateEngineOptions = {}): ResolvedUpdateEngineOptions {
  const resolved: ResolvedUpdateEngineOptions = { ...defaultUpdateEngineOptions };
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) (resolved as unknown as Record<string, unknown>)[key] = value;
  }
  const positive = [
    "defaultUpdateTimeoutMs",
    "maxUpdateTimeoutMs",
    "migrationActiveDeadlineSeconds",
    "progressIntervalMs",
    "rollbackTimeoutMs",
    "watchHeartbeatMs",
    "watchBufferSize",
    "watchBufferBytes",
    "queueTimeoutMs",
    "maxQueuedPerTarget",
    "outcomeWriteAttempts",
    "outcomeWriteBackoffMs",
    "approvalDeadlineMs",
  ] as const;
  for (const key of positive) {
    const value = resolved[key];
    if (!Number.isFinite(value) || value <= 0) {
      throw new RangeError(`update engine option ${key} must be a positive number, got ${value}`);
    }
  }
  if (resolved.defaultUpdateTimeoutMs > resolved.maxUpdateTimeoutMs) {
    throw new RangeError(
      `update engine option defaultUpdateTimeoutMs (${resolved.defaultUpdateTimeoutMs}) exceeds maxUpdateTimeoutMs (${resolved.maxUpdateTimeoutMs})`,
    );
  }
  return resolved;
}
