import type { JobInfo, PodProblem, Workload, WorkloadRef } from "../domain/workload.js";

export type Unsubscribe = () => void;

/** A change the cluster's caches observed. */
export type ClusterChange =
  | { readonly type: "workload"; readonly workload: Workload }
  | { readonly type: "workload-deleted"; readonly ref: WorkloadRef }
  | { readonly type: "job"; readonly job: JobInfo }
  | { readonly type: "job-deleted"; readonly namespace: string; readonly name: string }
  | { readonly type: "synced" };

/** Replace one container's image, only if it still holds `expectedImage` (a JSON-patch `test` op). */
export interface ImagePatch {
  readonly container: string;
  readonly init: boolean;
  readonly expectedImage: string;
  readonly newImage: string;
}

export interface MigrationJobRequest {
  /** The template: a suspended Job, or a (suspended) CronJob's job template. */
  readonly template: WorkloadRef;
  /** The copy's name, deterministic per (update, template). */
  readonly jobName: string;
  /** New images for the matching containers only. */
  readonly images: readonly { readonly container: string; readonly init: boolean; readonly image: string }[];
  /** Kubernetes' activeDeadlineSeconds for the copy. */
  readonly activeDeadlineSeconds: number;
  /** Labels for the copy (update id, template). */
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * The cluster as the core sees it: an informer-backed cache of opted-in objects plus the few
 * writes the manager makes. Reads are synchronous and never reach the API server; progress is
 * pushed through `subscribe`, never polled. Adapters: the Kubernetes adapter and the in-memory
 * simulated cluster.
 */
export interface ClusterPort {
  /** True once every cache has synced; before that the API answers UNAVAILABLE. */
  isSynced(): boolean;
  /** Every cached opted-in workload and migration template (label or legacy annotation). */
  listWorkloads(): readonly Workload[];
  /**
   * The cached opted-in workloads and migration templates with a container (init containers included) whose image
   * is of `repository`, normalised as `repositoryName` gives it ("docker.io/library/nginx"): what an update of that
   * repository plans from, found without going through every cached workload. Any order.
   */
  listWorkloadsUsing(repository: string): readonly Workload[];
  getWorkload(ref: WorkloadRef): Workload | undefined;
  /** A Job the manager created (migration copies are cached by their update-id label). */
  getJob(namespace: string, name: string): JobInfo | undefined;
  subscribe(listener: (change: ClusterChange) => void): Unsubscribe;
  /**
   * Changes images with a patch that first tests each container's name and expected image.
   * Throws DomainError("aborted", "IMAGE_CONFLICT") with metadata workload, container, expected_image and
   * actual_image when a test fails; nothing is changed then. Resolves with the workload as the server
   * returned it.
   */
  patchImages(ref: WorkloadRef, patches: readonly ImagePatch[]): Promise<Workload>;
  /** Creates a migration Job copy; a copy that already exists (same name) is not an error. */
  createMigrationJob(request: MigrationJobRequest): Promise<{ readonly created: boolean }>;
  /**
   * Reports problems of the pods of the workload's newest revision (ImagePullBackOff,
   * CrashLoopBackOff, ...) whenever they change, until unsubscribed.
   */
  watchPodProblems(ref: WorkloadRef, listener: (problems: readonly PodProblem[]) => void): Unsubscribe;
}
