import type { VersionPolicy } from "../domain/version-policy.js";

/** What the watcher makes of a tag list for one container, soak times included. */
export interface WatchedVersionChoice {
  /** The newest tag the policy applies that is at least `minAgeMs` old. */
  readonly apply?: { readonly tag: string; readonly firstSeen: Date };
  /** The newest tag the policy would apply that is still too young (newer than `apply`). */
  readonly soaking?: { readonly tag: string; readonly firstSeen: Date; readonly until: Date };
  /** Newer tags beyond the policy (a new major under semver:minor), newest first. */
  readonly report: readonly string[];
}

/** Bound on how many too-young versions are skipped before giving up on an older one (each is one policy run). */
const maxSoakingSkipped = 16;

/**
 * The policy's choice with a minimum age: when the tag it applies is younger than `minAgeMs` (counted from when
 * the manager first saw it), the next newest allowed tag is tried, so a release that soaked long enough is
 * still applied while a newer one soaks. `firstSeen` answers (and records) when a tag was first seen.
 */
export function chooseWatchedVersion(
  policy: VersionPolicy,
  currentTag: string,
  tags: readonly string[],
  minAgeMs: number,
  firstSeen: (tag: string) => Date,
  now: Date,
): WatchedVersionChoice {
  const first = policy.choose(currentTag, tags);
  if (first.apply === undefined) return { report: first.report };
  let remaining = tags;
  let apply: string | undefined = first.apply;
  let soaking: WatchedVersionChoice["soaking"];
  for (let round = 0; apply !== undefined && round <= maxSoakingSkipped; round++) {
    const seen = firstSeen(apply);
    const until = new Date(seen.getTime() + minAgeMs);
    if (until.getTime() <= now.getTime()) {
      return { apply: { tag: apply, firstSeen: seen }, ...(soaking === undefined ? {} : { soaking }), report: first.report };
    }
    soaking ??= { tag: apply, firstSeen: seen, until };
    const skipped = apply;
    remaining = remaining.filter((tag) => tag !== skipped);
    apply = policy.choose(currentTag, remaining).apply;
  }
  return { ...(soaking === undefined ? {} : { soaking }), report: first.report };
}
