import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareDecimals, createOrderedTagPolicy } from "../../../src/core/domain/ordered-tag-policy.js";
import { createTagFilter } from "../../../src/core/domain/tag-filter.js";

const fluxStyle = createTagFilter({ pattern: "^main-(?<ts>[0-9]+)-[a-f0-9]+$", extract: "$ts" });

describe("createOrderedTagPolicy", () => {
  it("numerical: moves to the highest extracted timestamp (flux's filterTags example)", () => {
    const policy = createOrderedTagPolicy({ order: "numerical", filter: fluxStyle });
    const tags = ["main-1700000000-abc1234", "main-1800000000-def5678", "main-999-fff", "latest", "feature-1900000000-aaa"];
    expect(policy.choose("main-1700000000-abc1234", tags)).toEqual({ apply: "main-1800000000-def5678", report: [] });
  });

  it("numerical: compares by value, not by text (9 < 10) and exactly beyond 2^53", () => {
    const policy = createOrderedTagPolicy({ order: "numerical" });
    expect(policy.choose("9", ["9", "10", "8"]).apply).toBe("10");
    expect(policy.choose("90071992547409921", ["90071992547409922"]).apply).toBe("90071992547409922");
  });

  it("never downgrades when the current tag is the highest", () => {
    const policy = createOrderedTagPolicy({ order: "numerical", filter: fluxStyle });
    expect(policy.choose("main-2000-abc", ["main-1000-abc", "main-2000-abc"])).toEqual({ report: [] });
  });

  it("only reports when the current tag does not pass the filter (nothing to compare with)", () => {
    const policy = createOrderedTagPolicy({ order: "numerical", filter: fluxStyle });
    expect(policy.choose("latest", ["main-1000-abc", "main-2000-abc"])).toEqual({ report: ["main-2000-abc"] });
  });

  it("alphabetical: ISO timestamps order as text", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: "${name}" is the extract template syntax under test.
    const filter = createTagFilter({ pattern: "^build-(?<at>[0-9T:-]+Z)$", extract: "${at}" });
    const policy = createOrderedTagPolicy({ order: "alphabetical", filter });
    const tags = ["build-2024-01-02T10:00:00Z", "build-2024-11-02T10:00:00Z", "build-2024-02-02T10:00:00Z"];
    expect(policy.choose("build-2024-01-02T10:00:00Z", tags).apply).toBe("build-2024-11-02T10:00:00Z");
  });

  it("breaks ties between equal values by tag, whatever the list order", () => {
    const policy = createOrderedTagPolicy({ order: "numerical", filter: fluxStyle });
    const a = policy.choose("main-1-aaa", ["main-5-aaa", "main-5-bbb"]);
    const b = policy.choose("main-1-aaa", ["main-5-bbb", "main-5-aaa"]);
    expect(a).toEqual({ apply: "main-5-bbb", report: [] });
    expect(b).toEqual(a);
  });

  it("property: never a downgrade, always a listed tag, stable under shuffles", () => {
    const tag = fc.oneof(
      fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.stringMatching(/^[a-f0-9]{3,7}$/)).map(([n, h]) => `main-${n}-${h}`),
      fc.constantFrom("latest", "main", "main--abc"),
    );
    fc.assert(
      fc.property(fc.array(tag, { maxLength: 20 }), tag, (tags, current) => {
        const policy = createOrderedTagPolicy({ order: "numerical", filter: fluxStyle });
        const choice = policy.choose(current, tags);
        if (choice.apply !== undefined) {
          expect(tags).toContain(choice.apply);
          expect(compareDecimals(fluxStyle(choice.apply)!, fluxStyle(current)!)).toBe(1);
        }
        expect(policy.choose(current, [...tags].reverse())).toEqual(choice);
      }),
      { numRuns: 300 },
    );
  });
});

describe("compareDecimals", () => {
  it.each([
    ["1", "2", -1],
    ["10", "9", 1],
    ["007", "7", 0],
    ["1.5", "1.25", 1],
    ["-3", "2", -1],
    ["-3", "-20", 1],
    ["0", "-0", 0],
  ] as const)("%s vs %s", (a, b, expected) => {
    expect(compareDecimals(a, b)).toBe(expected);
  });
});
