import type { NodePlanStatus, PodOwner } from "../domain/node-plan/node-plan-status.js";
import type { UpgradeJobManifest } from "../domain/node-plan/upgrade-job.js";

/** A NodeUpgradePlan as stored: the spec unparsed (the core judges it), the status as last written. */
export interface PlanRecord {
  readonly name: string;
  readonly uid: string;
  readonly generation: number;
  /** The precondition of the next status write. */
  readonly resourceVersion: string;
  readonly spec: unknown;
  readonly status: NodePlanStatus;
  /** metadata.deletionTimestamp is set: the finalizer undoes what the plan did. */
  readonly deleting: boolean;
  /** The manager's finalizer is on the plan. */
  readonly finalized: boolean;
}

export interface NodeInfo {
  readonly name: string;
  readonly uid: string;
  readonly labels: Readonly<Record<string, string>>;
  /** spec.unschedulable: cordoned. */
  readonly unschedulable: boolean;
  /** The Ready condition is True. */
  readonly ready: boolean;
}

export interface PodOnNode {
  readonly namespace: string;
  readonly name: string;
  /** The controller owner's kind, undefined for a pod no controller manages. */
  readonly controllerKind: string | undefined;
  /** The controller owner's name (with controllerKind). */
  readonly controllerName?: string | undefined;
  /** A static pod's mirror (annotation kubernetes.io/config.mirror): the API cannot evict it. */
  readonly mirror: boolean;
  readonly usesEmptyDir: boolean;
  readonly labels: Readonly<Record<string, string>>;
  /** metadata.deletionTimestamp (RFC 3339), when it is being deleted. */
  readonly deletionTime: string | undefined;
  /** Succeeded or Failed: nothing runs any more. */
  readonly finished: boolean;
}

/** What an eviction came to. "blocked": a PodDisruptionBudget refused it (429); retry later. */
export type EvictionResult = "evicted" | "gone" | "blocked";

export interface UpgradeJobState {
  readonly state: "running" | "succeeded" | "failed";
  /** Why it failed (the Job's Failed condition, or FailedCreate of its pods). */
  readonly reason?: string;
  /** When it finished (RFC 3339). */
  readonly finishTime?: string;
  /** While running: the Job has had a pod (active, succeeded or failed). False while none could be created. */
  readonly hadPods?: boolean;
}

export interface DisruptionBudget {
  readonly namespace: string;
  readonly name: string;
  /** status.currentHealthy >= status.desiredHealthy. */
  readonly healthy: boolean;
}

/** How many replicas a pod's controller wants ready, and how many are. */
export interface OwnerReplicas {
  readonly desired: number;
  readonly ready: number;
}

/**
 * The cluster as node upgrade plans see it. Reads are from caches (synchronous); writes go to the API server.
 * Adapters: the Kubernetes adapter (src/cluster/kubernetes/node-plans) and the tests' in-memory fake.
 */
export interface NodePlansPort {
  listPlans(): readonly PlanRecord[];
  getPlan(name: string): PlanRecord | undefined;
  /**
   * Writes the whole status with `resourceVersion` as precondition. Throws DomainError("aborted") when the plan
   * changed since (a conflict: read again and decide again). Once it resolves, getPlan returns this status or a
   * newer one, never an older one.
   */
  writeStatus(name: string, resourceVersion: string, status: NodePlanStatus): Promise<PlanRecord>;
  /** Adds (true) or removes (false) the manager's finalizer. */
  setFinalizer(name: string, present: boolean): Promise<void>;
  listNodes(): readonly NodeInfo[];
  getNode(name: string): NodeInfo | undefined;
  /** Cordons (true) or uncordons (false) the node. */
  setUnschedulable(node: string, unschedulable: boolean): Promise<void>;
  /** Sets a label on the node. */
  labelNode(node: string, key: string, value: string): Promise<void>;
  /** The pods bound to the node, read from the API server (the drain needs them fresh). */
  listPodsOnNode(node: string): Promise<readonly PodOnNode[]>;
  /** Evicts the pod (or deletes it when `deleteInstead`), with `gracePeriodSeconds` when given. */
  evictPod(pod: PodOnNode, options: { gracePeriodSeconds?: number; deleteInstead: boolean }): Promise<EvictionResult>;
  listDisruptionBudgets(): readonly DisruptionBudget[];
  /**
   * The desired and ready replicas of an evicted pod's controller (one of awaitedOwnerKinds), read from the API
   * server; undefined when it no longer exists (nothing to wait for).
   */
  readOwnerReplicas(owner: PodOwner): Promise<OwnerReplicas | undefined>;
  /** Creates the Job; one that exists already (same name) is not an error. */
  createJob(manifest: UpgradeJobManifest): Promise<{ readonly created: boolean }>;
  getJob(name: string): UpgradeJobState | undefined;
  deleteJob(name: string): Promise<void>;
  /** Names of the Jobs of this plan (by label), for the finalizer and the TTL. */
  listJobs(plan: string): readonly string[];
  /** A digest of the Secret's data for the plan hash; undefined when it does not exist. */
  secretDigest(name: string): Promise<string | undefined>;
  /** Records a Kubernetes Event on the plan. */
  recordEvent(plan: string, type: "Normal" | "Warning", reason: string, message: string): void;
}

/** Resolves a channel URL: GET without following redirects; the last path segment of a 302's Location. */
export interface ChannelResolver {
  resolve(url: string, signal: AbortSignal): Promise<string>;
}

/**
 * What the API reads of node upgrade plans: the caches every replica keeps (the leader's status writes reach them
 * through the informer). Adapters: the composition over the Kubernetes adapter, and the tests' fake.
 */
export interface NodePlanReads {
  /** The plan and node caches have synced: before that the lists are not the cluster's. */
  isSynced(): boolean;
  listPlans(): readonly PlanRecord[];
  getPlan(name: string): PlanRecord | undefined;
  listNodes(): readonly NodeInfo[];
  /** Calls `listener` after plans or nodes changed; returns the function that stops it. */
  subscribe(listener: () => void): () => void;
}
