import type { SemverConstraint } from "./semver-policy.js";
import type { TagOrder } from "./ordered-tag-policy.js";
import type { TagFilterOptions } from "./tag-filter.js";

/** A version policy as written in annotations, before it is built (create-version-policy.ts). */
export type VersionPolicySpec =
  | {
      readonly kind: "semver";
      readonly constraint: SemverConstraint;
      /** Whether pre-releases are candidates beyond the current pre-release's own release. */
      readonly prerelease: boolean;
      readonly filter?: TagFilterOptions;
    }
  | { readonly kind: "ordered"; readonly order: TagOrder; readonly filter?: TagFilterOptions }
  | { readonly kind: "digest" };

/** What the watcher does with a newer version: apply it through the update engine, or only report it. */
export type UpdateMode = "update" | "notify";

/** The effective policy of one container of a workload (workload-level annotations merged in). */
export interface ContainerUpdatePolicy {
  readonly container: string;
  readonly policy: VersionPolicySpec;
  readonly mode: UpdateMode;
  /** A new tag or digest is applied only once the image is at least this old (soak time). Default: 0. */
  readonly minAgeMs: number;
}

/** The watch policy of one workload. */
export interface WorkloadUpdatePolicy {
  /** How often the watcher checks; undefined means the watcher's default. */
  readonly scheduleMs: number | undefined;
  /** Containers that have a policy, in the order of the names given to the parser. */
  readonly containers: readonly ContainerUpdatePolicy[];
}
