import { describe, expect, it } from "vitest";
import { createVersionPolicy } from "../../../src/core/domain/create-version-policy.js";
import { isDomainError } from "../../../src/core/domain/domain-error.js";
import { parsePolicyAnnotations } from "../../../src/core/domain/parse-policy-annotations.js";

const containers = ["web", "sidecar"];

function problemsOf(annotations: Record<string, string>): { message: string; field: string | undefined } {
  try {
    parsePolicyAnnotations(annotations, { containers });
  } catch (error) {
    expect(isDomainError(error, "invalid-argument")).toBe(true);
    return { message: (error as Error).message, field: (error as { metadata: Record<string, string> }).metadata.field };
  }
  throw new Error("the annotations were accepted");
}

describe("parsePolicyAnnotations", () => {
  it("applies the workload policy to every container and lets a container override it", () => {
    const policy = parsePolicyAnnotations(
      {
        "update-manager.io/policy": "semver:minor",
        "update-manager.io/policy.sidecar": "digest",
        "update-manager.io/mode": "notify",
        "update-manager.io/schedule": "5m",
        "update-manager.io/min-age": "24h",
        "update-manager.io/classifier": "backend",
      },
      { containers },
    );
    expect(policy).toEqual({
      scheduleMs: 300_000,
      containers: [
        {
          container: "web",
          policy: { kind: "semver", constraint: { kind: "frontier", frontier: 1 }, prerelease: false },
          mode: "notify",
          minAgeMs: 86_400_000,
        },
        { container: "sidecar", policy: { kind: "digest" }, mode: "notify", minAgeMs: 86_400_000 },
      ],
    });
  });

  it("reads every semver form", () => {
    const read = (value: string) =>
      parsePolicyAnnotations({ "update-manager.io/policy.web": value }, { containers }).containers[0]!.policy;
    expect(read("semver:patch")).toMatchObject({ constraint: { kind: "frontier", frontier: 2 } });
    expect(read("semver:major")).toMatchObject({ constraint: { kind: "frontier", frontier: 0 } });
    expect(read("semver:frontier=3")).toMatchObject({ constraint: { kind: "frontier", frontier: 3 } });
    expect(read("semver:>=1.4 <2")).toMatchObject({ constraint: { kind: "range", range: ">=1.4 <2" } });
  });

  it("builds a working filter policy from filter, extract and order", () => {
    const parsed = parsePolicyAnnotations(
      {
        "update-manager.io/policy.web": "numerical",
        "update-manager.io/filter.web": "^main-(?<ts>[0-9]+)-[a-f0-9]+$",
        "update-manager.io/extract.web": "$ts",
      },
      { containers },
    );
    expect(parsed.containers).toHaveLength(1);
    const policy = createVersionPolicy(parsed.containers[0]!.policy);
    expect(policy.choose("main-1-abc", ["main-3-abc", "main-2-def"]).apply).toBe("main-3-abc");
  });

  it("skips containers without a policy or with none", () => {
    const parsed = parsePolicyAnnotations(
      { "update-manager.io/policy": "digest", "update-manager.io/policy.sidecar": "none" },
      { containers },
    );
    expect(parsed.containers.map((c) => c.container)).toEqual(["web"]);
    expect(parsePolicyAnnotations({}, { containers })).toEqual({ scheduleMs: undefined, containers: [] });
  });

  it("honours another key prefix", () => {
    const parsed = parsePolicyAnnotations({ "acme.io/policy": "digest", "update-manager.io/policy": "x" }, {
      containers,
      keyPrefix: "acme.io",
    });
    expect(parsed.containers).toHaveLength(2);
  });

  it.each([
    [{ "update-manager.io/policy": "semver:newest" }, 'update-manager.io/policy: "semver:newest" is not a semver policy; use semver:patch'],
    [{ "update-manager.io/policy": "latest" }, '"latest" is not a policy'],
    [{ "update-manager.io/policy": "semver:frontier=4" }, "is not a semver policy"],
    [{ "update-manager.io/policy": "digest", "update-manager.io/mode": "auto" }, '"auto" is not a mode; use update or notify'],
    [{ "update-manager.io/policy": "digest", "update-manager.io/schedule": "5 minutes" }, '"5 minutes" is not a duration'],
    [{ "update-manager.io/policy": "digest", "update-manager.io/schedule": "5s" }, "5s is out of range; it must be between 30s and 24h"],
    [{ "update-manager.io/policy": "digest", "update-manager.io/min-age": "-1h" }, "is not a duration"],
    [{ "update-manager.io/policy": "digest", "update-manager.io/schedule.web": "5m" }, "the schedule is per workload"],
    [{ "update-manager.io/policy.db": "digest" }, 'the workload has no container "db" (containers: web, sidecar)'],
    [{ "update-manager.io/policy": "semver:minor", "update-manager.io/prerelease": "yes" }, '"yes" is not true or false'],
    [{ "update-manager.io/policy": "numerical", "update-manager.io/filter": "(a+)+" }, "nested quantifiers"],
    [{ "update-manager.io/policy": "numerical", "update-manager.io/extract": "$ts" }, "an extract template needs a filter pattern"],
    [{ "update-manager.io/policy": "digest", "update-manager.io/filter": "^v" }, "a digest policy watches one tag"],
    [{ "update-manager.io/mode.web": "notify" }, 'container "web" has no policy, so this setting has no effect'],
  ])("refuses %j", (annotations, message) => {
    expect(problemsOf(annotations).message).toContain(message);
  });

  it("lists every problem at once and names the first annotation as the field", () => {
    const { message, field } = problemsOf({
      "update-manager.io/policy": "semver:sideways",
      "update-manager.io/mode": "always",
    });
    expect(message).toMatch(/^2 invalid update policy annotations: /);
    expect(message).toContain("semver:sideways");
    expect(message).toContain('"always" is not a mode');
    expect(field).toBe("update-manager.io/policy");
  });

  it("ignores a workload-level filter for a container whose own policy is digest", () => {
    const parsed = parsePolicyAnnotations(
      {
        "update-manager.io/policy": "numerical",
        "update-manager.io/filter": "^[0-9]+$",
        "update-manager.io/policy.sidecar": "digest",
      },
      { containers },
    );
    expect(parsed.containers.map((c) => c.policy.kind)).toEqual(["ordered", "digest"]);
  });
});
