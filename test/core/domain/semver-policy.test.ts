import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isDomainError } from "../../../src/core/domain/domain-error.js";
import { createSemverPolicy, type SemverConstraint } from "../../../src/core/domain/semver-policy.js";
import { createTagFilter } from "../../../src/core/domain/tag-filter.js";
import { parseVersionTag } from "../../../src/core/domain/version-tag.js";

const patch: SemverConstraint = { kind: "frontier", frontier: 2 };
const minor: SemverConstraint = { kind: "frontier", frontier: 1 };
const major: SemverConstraint = { kind: "frontier", frontier: 0 };

interface Row {
  readonly name: string;
  readonly constraint: SemverConstraint;
  readonly prerelease?: boolean;
  readonly current: string;
  readonly tags: string[];
  readonly apply: string | undefined;
  readonly report: string[];
}

const rows: Row[] = [
  {
    name: "patch moves within major.minor and reports newer lines",
    constraint: patch,
    current: "1.2.3",
    tags: ["1.2.3", "1.2.4", "1.2.10", "1.3.0", "1.3.5", "2.0.1", "2.1.0", "latest"],
    apply: "1.2.10",
    report: ["2.1.0", "2.0.1", "1.3.5"],
  },
  {
    name: "minor moves within the major and reports newer majors",
    constraint: minor,
    current: "1.2.3",
    tags: ["1.2.4", "1.9.0", "1.10.0", "2.0.0", "3.1.0", "3.0.9"],
    apply: "1.10.0",
    report: ["3.1.0", "2.0.0"],
  },
  {
    name: "major takes the newest of all",
    constraint: major,
    current: "1.2.3",
    tags: ["1.2.4", "2.0.0", "10.0.0", "9.9.9"],
    apply: "10.0.0",
    report: [],
  },
  {
    name: "versions compare numerically: 9.0 -> 10.0",
    constraint: major,
    current: "9.0",
    tags: ["9.0", "10.0", "9.10", "1.0"],
    apply: "10.0",
    report: [],
  },
  {
    name: "never a downgrade: only older tags",
    constraint: major,
    current: "2.0.0",
    tags: ["1.9.9", "1.0.0", "2.0.0"],
    apply: undefined,
    report: [],
  },
  {
    name: "a variant moves only to the same variant",
    constraint: minor,
    current: "1.2.3-alpine",
    tags: ["1.2.4", "1.2.4-alpine", "1.3.0-slim", "1.2.5-alpine3.19", "1.4.0-alpine"],
    apply: "1.4.0-alpine",
    report: [],
  },
  {
    name: "a plain version never moves to a variant",
    constraint: minor,
    current: "1.2.3",
    tags: ["1.2.4-alpine", "1.3.0-slim"],
    apply: undefined,
    report: [],
  },
  {
    name: "the v prefix is kept",
    constraint: minor,
    current: "v1.2.3",
    tags: ["1.2.9", "v1.2.4", "v1.3.0", "V1.4.0"],
    apply: "v1.3.0",
    report: [],
  },
  {
    name: "the number of components is kept: 1.27 moves to 1.28, not to 1.27.3",
    constraint: minor,
    current: "1.27",
    tags: ["1.27.3", "1.28", "1.28.1", "2"],
    apply: "1.28",
    report: [],
  },
  {
    name: "pre-releases are ignored from a release",
    constraint: major,
    current: "1.2.3",
    tags: ["1.2.4-rc.1", "2.0.0-beta", "1.2.4"],
    apply: "1.2.4",
    report: [],
  },
  {
    name: "a pre-release moves to later pre-releases of its release and to the release",
    constraint: patch,
    current: "1.2.3-rc.1",
    tags: ["1.2.3-rc.2", "1.2.3-rc.10", "1.2.4-rc.1", "1.2.3-beta"],
    apply: "1.2.3-rc.10",
    report: [],
  },
  {
    name: "rc9 -> rc10 compares numerically",
    constraint: patch,
    current: "1.2.3-rc9",
    tags: ["1.2.3-rc10", "1.2.3-rc2"],
    apply: "1.2.3-rc10",
    report: [],
  },
  {
    name: "the release beats its pre-releases",
    constraint: patch,
    current: "1.2.3-rc.1",
    tags: ["1.2.3-rc.2", "1.2.3"],
    apply: "1.2.3",
    report: [],
  },
  {
    name: "prerelease: true opts into pre-releases of later releases",
    constraint: minor,
    prerelease: true,
    current: "1.2.3",
    tags: ["1.3.0-alpha.2", "1.2.4", "2.0.0-rc.1"],
    apply: "1.3.0-alpha.2",
    report: ["2.0.0-rc.1"],
  },
  {
    name: "numeric-dotted suffixes are pre-releases",
    constraint: patch,
    current: "1.2.3",
    tags: ["1.2.4-1", "1.2.4-0.3.7"],
    apply: undefined,
    report: [],
  },
  {
    name: "a range applies its newest match and reports newer majors",
    constraint: { kind: "range", range: ">=1.4 <2" },
    current: "1.3.0",
    tags: ["1.4.0", "1.9.2", "2.0.0", "2.5.0", "3.0.0"],
    apply: "1.9.2",
    report: ["3.0.0", "2.5.0"],
  },
  {
    name: "a range never downgrades from above it",
    constraint: { kind: "range", range: ">=1.4 <2" },
    current: "2.1.0",
    tags: ["1.9.2", "2.0.0"],
    apply: undefined,
    report: [],
  },
  {
    name: "frontier 3 moves only within the current pre-release's release",
    constraint: { kind: "frontier", frontier: 3 },
    current: "1.2.3-rc.1",
    tags: ["1.2.3", "1.2.4"],
    apply: "1.2.3",
    report: ["1.2.4"],
  },
  {
    name: "a current tag that is no version leaves everything alone",
    constraint: major,
    current: "latest",
    tags: ["1.0.0", "2.0.0"],
    apply: undefined,
    report: [],
  },
  {
    name: "leading zeros are not versions",
    constraint: major,
    current: "1.2.3",
    tags: ["1.02.4", "01.3.0"],
    apply: undefined,
    report: [],
  },
];

describe("createSemverPolicy", () => {
  for (const row of rows) {
    it(row.name, () => {
      const policy = createSemverPolicy({ constraint: row.constraint, prerelease: row.prerelease ?? false });
      const choice = policy.choose(row.current, row.tags);
      expect(choice.apply).toBe(row.apply);
      expect(choice.report).toEqual(row.report);
    });
  }

  it("reads versions from a filter's extracted value and returns the tags", () => {
    const filter = createTagFilter({ pattern: "^release-(?<version>[0-9.]+)-[a-f0-9]{7}$", extract: "$version" });
    const policy = createSemverPolicy({ constraint: minor, filter });
    const choice = policy.choose("release-1.2.0-abcdef1", ["release-1.3.0-1234567", "release-2.0.0-7654321", "1.9.0"]);
    expect(choice).toEqual({ apply: "release-1.3.0-1234567", report: ["release-2.0.0-7654321"] });
  });

  it("describes itself for events", () => {
    expect(createSemverPolicy({ constraint: minor }).description).toBe("semver:minor");
    expect(createSemverPolicy({ constraint: { kind: "range", range: ">=1.4 <2" } }).description).toBe("semver:>=1.4 <2");
  });

  it("refuses a range node-semver cannot read", () => {
    let caught: unknown;
    try {
      createSemverPolicy({ constraint: { kind: "range", range: "newest please" } });
    } catch (error) {
      caught = error;
    }
    expect(isDomainError(caught, "invalid-argument")).toBe(true);
    expect((caught as Error).message).toContain('"newest please" is not a semver range');
  });

  it("caps the report", () => {
    const tags = Array.from({ length: 30 }, (_, major) => `${major + 2}.0.0`);
    const choice = createSemverPolicy({ constraint: minor, maxReported: 3 }).choose("1.0.0", tags);
    expect(choice.report).toEqual(["31.0.0", "30.0.0", "29.0.0"]);
  });
});

const versionText = fc
  .tuple(
    fc.constantFrom("", "v"),
    fc.integer({ min: 0, max: 12 }),
    fc.integer({ min: 0, max: 12 }),
    fc.integer({ min: 0, max: 12 }),
    fc.constantFrom("", "-alpine", "-slim", "-rc.1", "-rc.2", "-beta", "-1"),
    fc.integer({ min: 1, max: 3 }),
  )
  .map(([prefix, a, b, c, suffix, components]) => `${prefix}${[a, b, c].slice(0, components).join(".")}${suffix}`);
const tagList = fc.array(fc.oneof(versionText, fc.constantFrom("latest", "main", "1.2.3.4", "stable")), {
  maxLength: 25,
});
const constraint = fc.oneof(
  fc.constantFrom<SemverConstraint>(major, minor, patch, { kind: "frontier", frontier: 3 }),
  fc.constantFrom<SemverConstraint>({ kind: "range", range: ">=1.4 <2" }, { kind: "range", range: "^3.1" }),
);

describe("createSemverPolicy properties", () => {
  it("never downgrades, only returns listed tags, and ignores tag order", () => {
    fc.assert(
      fc.property(constraint, fc.boolean(), versionText, tagList, fc.infiniteStream(fc.nat()), (c, pre, current, tags, seeds) => {
        const policy = createSemverPolicy({ constraint: c, prerelease: pre });
        const choice = policy.choose(current, tags);
        if (choice.apply !== undefined) {
          expect(tags).toContain(choice.apply);
          const from = parseVersionTag(current)!;
          const to = parseVersionTag(choice.apply)!;
          expect(to.semver.compare(from.semver)).toBe(1);
          expect(to.shape).toBe(from.shape);
        }
        for (const reported of choice.report) {
          expect(tags).toContain(reported);
          expect(parseVersionTag(reported)!.semver.compare(parseVersionTag(current)!.semver)).toBe(1);
        }
        const shuffled = [...tags].sort(() => (seeds.next().value % 3) - 1);
        expect(policy.choose(current, shuffled)).toEqual(choice);
      }),
      { numRuns: 400 },
    );
  });
});
