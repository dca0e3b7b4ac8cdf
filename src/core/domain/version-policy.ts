/**
 * What a version policy decides for one container: the tag to move to, if any, and newer tags it saw
 * but may not apply (for a notification). Pure: the registry watcher lists the tags, the policy chooses.
 */
export interface PolicyChoice {
  /** The tag to update to automatically; undefined when the current tag stays. Always from the tag list. */
  readonly apply?: string;
  /** Newer tags the policy may not apply (beyond its frontier or range), newest first. Always from the tag list. */
  readonly report: readonly string[];
}

/**
 * A version policy, one implementation per file (like flux image-reflector-controller's `Policer`).
 * Guarantees of every implementation: `apply` is never older than or equal to `currentTag` (no
 * downgrade, no sideways move), every tag returned is one of `tags`, and the choice does not depend
 * on the order of `tags`.
 */
export interface VersionPolicy {
  /** Human-readable description for events and logs, e.g. "semver:minor". */
  readonly description: string;
  choose(currentTag: string, tags: readonly string[]): PolicyChoice;
}

/** The choice of a policy that found nothing to do. */
export const noChange: PolicyChoice = Object.freeze({ report: Object.freeze([]) as readonly string[] });
