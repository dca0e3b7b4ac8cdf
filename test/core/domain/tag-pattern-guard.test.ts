import { describe, expect, it } from "vitest";
import { isDomainError } from "../../../src/core/domain/domain-error.js";
import { createTagFilter } from "../../../src/core/domain/tag-filter.js";
import { checkTagPattern } from "../../../src/core/domain/tag-pattern-guard.js";

function refusal(pattern: string): string {
  try {
    checkTagPattern(pattern, "update-manager.io/filter");
  } catch (error) {
    expect(isDomainError(error, "invalid-argument")).toBe(true);
    return (error as Error).message;
  }
  throw new Error(`pattern ${pattern} was accepted`);
}

describe("checkTagPattern", () => {
  it.each([
    ["(a+)+$", "nested quantifiers"],
    ["^(a*)*b", "nested quantifiers"],
    ["^(?:a|ab)*c", "contains an alternation"],
    ["^(?:x?y){2,}", "contains a quantifier"],
    ["^((a)+b)+$", "nested quantifiers"],
    ["^(a)\\1$", "backreferences"],
    ["^(?<x>a)\\k<x>$", "backreferences"],
    ["(?<=v)1", "lookbehind"],
    ["^a*b*c*d*e*$", "5 unbounded quantifiers"],
    ["(abc", "unclosed"],
    ["abc)", "unmatched"],
    ["a{2", "not a quantifier"],
    ["", "empty"],
    ["x".repeat(300), "limit is 256"],
  ])("refuses %s", (pattern, reason) => {
    expect(refusal(pattern)).toContain(reason);
  });

  it.each([
    "^main-(?<ts>[0-9]+)-[a-f0-9]+$",
    "^v?(?<version>[0-9]+\\.[0-9]+\\.[0-9]+)-alpine$",
    "^(?:main|develop)-[0-9]{8}$",
    "^(?:[a-f0-9]{2})+$",
    "^release-\\d+(?:\\.\\d+)?$",
    "^\\p{L}+-[0-9]+$",
  ])("accepts %s", (pattern) => {
    expect(checkTagPattern(pattern, "filter").regex).toBeInstanceOf(RegExp);
  });

  it("counts capture groups and names", () => {
    const checked = checkTagPattern("^(a)-(?<ts>[0-9]+)-(?:x)$", "filter");
    expect(checked.groupNames).toEqual(["ts"]);
    expect(checked.groupCount).toBe(2);
  });

  it("an accepted pattern at the quantifier limit fails fast on a hostile 128-character tag", () => {
    const filter = createTagFilter({ pattern: "^\\d*\\d*\\d*\\d*$" });
    const started = performance.now();
    expect(filter(`${"1".repeat(127)}x`)).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("never runs a pattern on a tag longer than 128 characters", () => {
    const filter = createTagFilter({ pattern: "^a+$" });
    expect(filter("a".repeat(128))).toBe("a".repeat(128));
    expect(filter("a".repeat(129))).toBeUndefined();
  });
});

describe("createTagFilter", () => {
  it("extracts named and numbered groups and keeps literal text", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: "${name}" is the extract template syntax under test.
    const filter = createTagFilter({ pattern: "^(?<branch>[a-z]+)-([0-9]+)$", extract: "$2.${branch}$$" });
    expect(filter("main-42")).toBe("42.main$");
    expect(filter("Main-42")).toBeUndefined();
  });

  it("refuses a template naming a group the pattern lacks", () => {
    expect(() => createTagFilter({ pattern: "^main-(?<ts>[0-9]+)$", extract: "$timestamp" })).toThrow(
      /refers to group "timestamp", which the pattern does not have \(named groups: ts/,
    );
    expect(() => createTagFilter({ pattern: "^main$", extract: "no groups" })).toThrow(/refers to no group/);
    expect(() => createTagFilter({ pattern: "^(main)$", extract: "$-" })).toThrow(/not followed by a group/);
  });
});
