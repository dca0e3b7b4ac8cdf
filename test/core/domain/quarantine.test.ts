import { describe, expect, it } from "vitest";
import { quarantineDigestOf, quarantineMatches, sameNormalisedReference } from "../../../src/core/domain/quarantine.js";

const digestA = `sha256:${"a".repeat(64)}`;
const digestB = `sha256:${"b".repeat(64)}`;

describe("quarantine matching", () => {
  it("finds a record by any spelling of the same reference", () => {
    expect(quarantineMatches({ image: "docker.io/library/nginx:1.27" }, "nginx:1.27", undefined)).toBe(true);
    expect(quarantineMatches({ image: "docker.io/library/nginx:1.27" }, "nginx:1.28", undefined)).toBe(false);
  });

  it("goes by digest when both sides know it: a re-pushed tag with other content is not blocked", () => {
    const record = { image: "registry.example.com/shop/web:2.0", digest: digestA };
    expect(quarantineMatches(record, "registry.example.com/shop/web:2.0", digestB)).toBe(false);
    expect(quarantineMatches(record, "registry.example.com/shop/web:2.1", digestA)).toBe(true);
  });

  it("reads the digest of a bare digest or a pinned reference, and nothing from a tag", () => {
    expect(quarantineDigestOf(digestA)).toBe(digestA);
    expect(quarantineDigestOf(`registry.example.com/shop/web:2.0@${digestB}`)).toBe(digestB);
    expect(quarantineDigestOf("registry.example.com/shop/web:2.0")).toBeUndefined();
  });

  it("compares strings that are not references as written", () => {
    expect(sameNormalisedReference("not a reference", "not a reference")).toBe(true);
    expect(sameNormalisedReference("not a reference", "Not A Reference")).toBe(false);
  });
});
