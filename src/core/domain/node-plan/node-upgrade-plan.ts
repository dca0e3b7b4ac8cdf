/**
 * A NodeUpgradePlan: the system-upgrade-controller's Plan v1 (upgrade.cattle.io/v1), with the same field names and
 * meaning, as the core sees it once parsed (`parseNodePlanSpec`): every default applied, every field checked.
 * Plain data, so the Kubernetes adapter, the API and the tests share it.
 */

/** `matchLabels`/`matchExpressions`, as in a Kubernetes LabelSelector. */
export interface LabelSelector {
  readonly matchLabels: Readonly<Record<string, string>>;
  readonly matchExpressions: readonly LabelSelectorRequirement[];
}

export type LabelSelectorOperator = "In" | "NotIn" | "Exists" | "DoesNotExist";

export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: LabelSelectorOperator;
  /** Required (non-empty) for In and NotIn, empty for Exists and DoesNotExist. */
  readonly values: readonly string[];
}

/** A Kubernetes object the Job passes through untouched (env entries, envFrom sources, tolerations). */
export type PassThrough = Readonly<Record<string, unknown>>;

/** A host path mounted into the container (the Plan's `volumes`). */
export interface HostVolume {
  readonly name: string;
  /** Path on the host. */
  readonly source: string;
  /** Path in the container. */
  readonly destination: string;
}

/** The `prepare` and `upgrade` containers. */
export interface PlanContainer {
  /** Tagged with the resolved version when it names neither tag nor digest. */
  readonly image: string;
  readonly command: readonly string[];
  readonly args: readonly string[];
  /** `envs` in Plan v1 (`env` is accepted too). */
  readonly env: readonly PassThrough[];
  readonly envFrom: readonly PassThrough[];
  readonly volumes: readonly HostVolume[];
}

export interface PlanSecret {
  readonly name: string;
  /** Where it is mounted: `/run/system-upgrade/secrets/<name>` unless `path` says otherwise (relative: below it). */
  readonly path: string;
  /** Changes to the Secret do not change the plan's hash. */
  readonly ignoreUpdates: boolean;
}

export interface DrainOptions {
  /** Delete pods no controller manages (kubectl's --force). Default false. */
  readonly force: boolean;
  /** Skip DaemonSet pods (they would come back at once). Default true, as in the seed. */
  readonly ignoreDaemonSets: boolean;
  /** Evict pods with emptyDir volumes, losing their data (`deleteEmptydirData`, old name `deleteLocalData`). Default true. */
  readonly deleteEmptydirData: boolean;
  /** How long evictions (429s from PodDisruptionBudgets included) may take. Default 10 min: the seed's drain ran inside the Job's 600 s deadline. */
  readonly timeoutMs: number;
  /** Pods whose deletion timestamp is older than this are not waited for (0: wait for all). Default 0. */
  readonly skipWaitForDeleteTimeoutSeconds: number;
  /** Only pods matching it are evicted. Default: every pod. */
  readonly podSelector: LabelSelector | undefined;
  /** Overrides the pods' own termination grace period. Default: theirs. */
  readonly gracePeriodSeconds: number | undefined;
  /** Delete instead of evicting: PodDisruptionBudgets are not honoured. Default false. */
  readonly disableEviction: boolean;
}

/** `days` (names or 0-6, Sunday 0), `startTime`-`endTime` in `timeZone` (default UTC); end before start spans midnight. */
export interface PlanWindow {
  /** 0 (Sunday) to 6. */
  readonly days: readonly number[];
  /** Seconds after local midnight. */
  readonly startSecond: number;
  readonly endSecond: number;
  readonly timeZone: string;
}

export interface NodeUpgradePlanSpec {
  /** Nodes applying at once. Default 1; 0 or negative is invalid. */
  readonly concurrency: number;
  readonly nodeSelector: LabelSelector;
  readonly serviceAccountName: string;
  /** Resolved through its 302 Location when `version` is empty. */
  readonly channel: string;
  readonly version: string;
  readonly secrets: readonly PlanSecret[];
  readonly prepare: PlanContainer | undefined;
  readonly upgrade: PlanContainer;
  /** Cordon before the upgrade (implied by `drain`). */
  readonly cordon: boolean;
  readonly drain: DrainOptions | undefined;
  readonly tolerations: readonly PassThrough[];
  /** Never runs beside another exclusive plan. */
  readonly exclusive: boolean;
  readonly window: PlanWindow | undefined;
  /** The Job's activeDeadlineSeconds; 0: none. Default 600, as in the seed. */
  readonly jobActiveDeadlineSecs: number;
  /** Wait after a node finished before the next starts. Default 0. */
  readonly postCompleteDelayMs: number;
  readonly imagePullSecrets: readonly string[];
  readonly priorityClassName: string;
}

export const defaultJobActiveDeadlineSecs = 600;
export const defaultDrainTimeoutMs = 10 * 60_000;
/** The secrets' mount root, the seed's contract with upgrade images. */
export const secretsMountRoot = "/run/system-upgrade/secrets";
