import { SemVer } from "semver";

/**
 * A tag read as a version. Tags are Docker tags, not strict semver, so the rules are:
 *
 *   tag        := [ "v" ] number [ "." number [ "." number ] ] [ "-" suffix ]
 *   number     := "0" | [1-9][0-9]{0,14}          no leading zeros (so one value has one spelling)
 *   suffix     := prerelease | variant
 *   prerelease := ( word [0-9]* | [0-9]+ ) ( "." [0-9A-Za-z]+ )*       case-insensitive
 *   word       := alpha | beta | rc | pre | preview | dev | canary | nightly | snapshot
 *   variant    := any other suffix: "alpine", "slim-bookworm", "alpine3.19", "rc.1-alpine"
 *
 * A tag's *shape* is its "v" prefix, its number of numeric components (1, 2 or 3) and its variant. A policy
 * only ever moves a tag to a tag of the same shape: "1.2.3-alpine" to "1.2.4-alpine", never to "1.2.4" or
 * "1.2.4-slim"; "v1.2" to "v1.3", never to "1.3" or "v1.3.0". Pre-releases have no variant, so "1.2.3-rc.1"
 * has the shape of "1.2.3". "rc1" compares as "rc.1" so that "rc10" is newer than "rc9".
 */
export interface VersionTag {
  /** The text that was parsed (the tag, or the value a filter extracted from it). */
  readonly text: string;
  /** Same shape, same key: policies compare only tags whose shapes are equal. */
  readonly shape: string;
  /** [major, minor, patch]; components the tag does not spell are 0. */
  readonly release: readonly [number, number, number];
  /** How many numeric components the tag spells (1..3). */
  readonly components: 1 | 2 | 3;
  /** Normalised pre-release ("rc.1"), undefined for a release. */
  readonly prerelease: string | undefined;
  /** For comparisons: the release and pre-release as semver. */
  readonly semver: SemVer;
}

/** Docker's tag length limit; longer text is never a version (and is never run through a pattern). */
export const maxTagLength = 128;

const tagPattern = /^(v?)(0|[1-9][0-9]{0,14})(?:\.(0|[1-9][0-9]{0,14}))?(?:\.(0|[1-9][0-9]{0,14}))?(?:-([0-9A-Za-z][0-9A-Za-z._-]*))?$/;
const prereleasePattern =
  /^(?:(?:alpha|beta|rc|pre|preview|dev|canary|nightly|snapshot)[0-9]*|[0-9]+)(?:\.[0-9a-z]+)*$/;

/** Parses a tag as a version; undefined when it is not one (e.g. "latest", "main-1234-abc", "1.2.3.4"). */
export function parseVersionTag(text: string): VersionTag | undefined {
  if (text.length > maxTagLength) return undefined;
  const match = tagPattern.exec(text);
  if (match === null) return undefined;
  const [, prefix, major, minor, patch, suffix] = match;
  const components = patch !== undefined ? 3 : minor !== undefined ? 2 : 1;
  const release: [number, number, number] = [Number(major), Number(minor ?? 0), Number(patch ?? 0)];
  if (!release.every(Number.isSafeInteger)) return undefined;
  let prerelease: string | undefined;
  let variant = "";
  if (suffix !== undefined) {
    const lower = suffix.toLowerCase();
    if (prereleasePattern.test(lower)) {
      // "rc1" -> "rc.1": numeric parts compare numerically.
      prerelease = lower.replace(/^([a-z]+)([0-9]+)/, "$1.$2");
    } else {
      variant = suffix;
    }
  }
  let semver: SemVer;
  try {
    semver = new SemVer(`${release.join(".")}${prerelease === undefined ? "" : `-${prerelease}`}`);
  } catch {
    // A pre-release identifier semver refuses, such as "rc.01": not a version we can order.
    return undefined;
  }
  return { text, shape: `${prefix}|${components}|${variant}`, release, components, prerelease, semver };
}

/** Orders by version (older first); equal versions spelled differently ("rc1", "rc.1") order by text, so the order is total. */
export function compareVersionTags(a: VersionTag, b: VersionTag): number {
  const byVersion = a.semver.compare(b.semver);
  if (byVersion !== 0) return byVersion;
  return a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
}
