import { satisfies, validRange } from "semver";
import { invalidArgument } from "./domain-error.js";
import type { TagFilter } from "./tag-filter.js";
import { compareVersionTags, parseVersionTag, type VersionTag } from "./version-tag.js";
import { noChange, type VersionPolicy } from "./version-policy.js";

/**
 * Which newer versions a semver policy applies by itself:
 * - `frontier` N: the first N of major, minor, patch must stay equal. "major" is 0, "minor" 1, "patch" 2;
 *   3 allows only a pre-release's own release ("1.2.3-rc.1" -> "1.2.3-rc.2" or "1.2.3").
 * - `range`: a node-semver range such as ">=1.4 <2".
 * Newer versions outside are reported, never applied.
 */
export type SemverConstraint =
  | { readonly kind: "frontier"; readonly frontier: 0 | 1 | 2 | 3 }
  | { readonly kind: "range"; readonly range: string };

export interface SemverPolicyOptions {
  readonly constraint: SemverConstraint;
  /**
   * Whether pre-releases ("-rc.1", "-beta", "-alpha.2", "-1") are candidates. Default: false, and then a
   * pre-release is a candidate only while the current tag is a pre-release of the same major.minor.patch.
   */
  readonly prerelease?: boolean;
  /** Filter (and extraction) applied first; the version is read from the extracted value. Default: none. */
  readonly filter?: TagFilter;
  /** How many tags `report` holds at most. Default: 10. */
  readonly maxReported?: number;
  /** Description for events. Default: derived from the constraint ("semver:minor", "semver:>=1.4 <2"). */
  readonly description?: string;
}

const frontierNames = ["major", "minor", "patch"] as const;

interface Candidate {
  readonly tag: string;
  readonly version: VersionTag;
}

/**
 * A semver policy. It considers only tags of the current tag's shape (same "v" prefix, same number of
 * components, same variant suffix: see version-tag.ts), never moves to an older or equal version, applies
 * the newest candidate its constraint allows, and reports, newest first, the newest candidate of each
 * release line beyond it (per major.minor for frontier 2, per major otherwise).
 *
 * @throws DomainError invalid-argument for a range node-semver cannot read.
 */
export function createSemverPolicy(options: SemverPolicyOptions): VersionPolicy {
  const { constraint } = options;
  const includePrerelease = options.prerelease ?? false;
  const maxReported = options.maxReported ?? 10;
  const filter = options.filter ?? ((tag: string) => tag);
  if (constraint.kind === "range" && validRange(constraint.range) === null) {
    throw invalidArgument("policy", `"${constraint.range}" is not a semver range (e.g. ">=1.4 <2", "~1.2", "^2")`);
  }
  if (constraint.kind === "frontier" && ![0, 1, 2, 3].includes(constraint.frontier)) {
    throw invalidArgument("policy", `frontier ${constraint.frontier} is not 0, 1, 2 or 3`);
  }
  const description =
    options.description ??
    (constraint.kind === "range"
      ? `semver:${constraint.range}`
      : constraint.frontier < 3
        ? `semver:${frontierNames[constraint.frontier as 0 | 1 | 2]}`
        : "semver:frontier=3");

  const allowed = (candidate: VersionTag, current: VersionTag): boolean => {
    if (constraint.kind === "range") {
      return satisfies(candidate.semver, constraint.range, { includePrerelease: true });
    }
    for (let i = 0; i < constraint.frontier; i++) {
      if (candidate.release[i] !== current.release[i]) return false;
    }
    return true;
  };
  /** Release line of a version beyond the policy: reports keep the newest of each. */
  const lineOf = (version: VersionTag): string =>
    constraint.kind === "frontier" && constraint.frontier >= 2
      ? `${version.release[0]}.${version.release[1]}`
      : `${version.release[0]}`;

  return {
    description,
    choose(currentTag, tags) {
      const currentText = filter(currentTag);
      const current = currentText === undefined ? undefined : parseVersionTag(currentText);
      if (current === undefined) return noChange;

      const candidates: Candidate[] = [];
      for (const tag of new Set(tags)) {
        const text = filter(tag);
        const version = text === undefined ? undefined : parseVersionTag(text);
        if (version === undefined || version.shape !== current.shape) continue;
        if (version.semver.compare(current.semver) <= 0) continue;
        if (version.prerelease !== undefined && !includePrerelease && !samePrereleaseLine(version, current)) continue;
        candidates.push({ tag, version });
      }
      candidates.sort(newestFirst);

      const applied = candidates.find((candidate) => allowed(candidate.version, current));
      const floor = applied?.version ?? current;
      const newestPerLine = new Map<string, string>();
      for (const candidate of candidates) {
        if (candidate === applied || allowed(candidate.version, current)) continue;
        if (candidate.version.semver.compare(floor.semver) <= 0) continue;
        const line = lineOf(candidate.version);
        if (!newestPerLine.has(line)) newestPerLine.set(line, candidate.tag);
      }
      const report = [...newestPerLine.values()].slice(0, maxReported);
      return applied === undefined ? { report } : { apply: applied.tag, report };
    },
  };
}

function samePrereleaseLine(candidate: VersionTag, current: VersionTag): boolean {
  return (
    current.prerelease !== undefined &&
    candidate.release[0] === current.release[0] &&
    candidate.release[1] === current.release[1] &&
    candidate.release[2] === current.release[2]
  );
}

function newestFirst(a: Candidate, b: Candidate): number {
  const byVersion = compareVersionTags(b.version, a.version);
  if (byVersion !== 0) return byVersion;
  return a.tag < b.tag ? 1 : a.tag > b.tag ? -1 : 0;
}
