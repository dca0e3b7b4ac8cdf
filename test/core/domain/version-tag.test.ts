import { describe, expect, it } from "vitest";
import { parseVersionTag } from "../../../src/core/domain/version-tag.js";

describe("parseVersionTag", () => {
  it.each([
    ["1.2.3", "|3|", undefined],
    ["v1.2", "v|2|", undefined],
    ["7", "|1|", undefined],
    ["1.2.3-alpine", "|3|alpine", undefined],
    ["1.2.3-slim-bookworm", "|3|slim-bookworm", undefined],
    ["1.2.3-alpine3.19", "|3|alpine3.19", undefined],
    ["1.2.3-rc.1-alpine", "|3|rc.1-alpine", undefined],
    ["1.2.3-rc.1", "|3|", "rc.1"],
    ["1.2.3-RC1", "|3|", "rc.1"],
    ["1.2.3-beta", "|3|", "beta"],
    ["1.2.3-alpha.2", "|3|", "alpha.2"],
    ["1.2.3-1", "|3|", "1"],
    ["1.2.3-0.3.7", "|3|", "0.3.7"],
  ])("%s has shape %j and pre-release %j", (tag, shape, prerelease) => {
    const version = parseVersionTag(tag);
    expect(version?.shape).toBe(shape);
    expect(version?.prerelease).toBe(prerelease);
  });

  it.each(["latest", "main-123-abc", "1.2.3.4", "01.2.3", "1.2.3-", "v", "1.2.3+build", "1.2.3-rc.01", "9".repeat(20)])(
    "%s is not a version",
    (tag) => {
      expect(parseVersionTag(tag)).toBeUndefined();
    },
  );
});
