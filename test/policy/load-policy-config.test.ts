import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/config-error.js";
import { defaultPolicyConfig, loadPolicyConfig } from "../../src/policy/load-policy-config.js";

const load = (text: string) => loadPolicyConfig({ UPDATE_MANAGER_POLICIES_FILE: "/etc/um/policies.yaml" }, () => text);

function problems(text: string): readonly string[] {
  try {
    load(text);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("the policies file", () => {
  it("has no policies and refuses new updates while frozen when unset", () => {
    expect(loadPolicyConfig({})).toEqual(defaultPolicyConfig);
  });

  it("reads approval policies with their defaults, and the freeze policy", () => {
    const config = load(`
approvals:
  defaultDeadline: 12h
  policies:
    - name: production
      classifiers: [shop]
      namespaces: [shop-prod]
      approvers: 2
      deadline: 90m
    - name: everything
      approvers: 1
freeze:
  newUpdates: queue
`);
    expect(config).toEqual({
      approvals: [
        { name: "production", classifiers: ["shop"], namespaces: ["shop-prod"], approvers: 2, deadlineMs: 90 * 60_000 },
        { name: "everything", approvers: 1, deadlineMs: 12 * 3_600_000 },
      ],
      approvalDeadlineMs: 12 * 3_600_000,
      frozenNewUpdates: "queue",
      windows: [],
      alertGates: { policies: [] },
    });
  });

  it("lists every problem, naming the file and the policy", () => {
    const found = problems(`
approvals:
  policies:
    - name: a
      approvers: 0
    - name: a
      approvers: 2
      namespaces: ["Not A Namespace"]
      deadline: soon
    - approvers: 1
      colour: blue
freeze:
  newUpdates: maybe
`);
    expect(found.every((problem) => problem.startsWith("UPDATE_MANAGER_POLICIES_FILE (/etc/um/policies.yaml)"))).toBe(true);
    expect(found.join("\n")).toMatch(/policies\[0\]: "approvers" must be a whole number from 1 to 10/);
    expect(found.join("\n")).toMatch(/policies\[1\]: the name "a" is used twice/);
    expect(found.join("\n")).toMatch(/policies\[1\]: "namespaces": "Not A Namespace" is not a namespace name/);
    expect(found.join("\n")).toMatch(/policies\[1\] deadline must be a duration/);
    expect(found.join("\n")).toMatch(/policies\[2\]: "name" is required/);
    expect(found.join("\n")).toMatch(/unknown field "colour"/);
    expect(found.join("\n")).toMatch(/freeze.newUpdates must be "refuse" or "queue"/);
  });

  it("says when the file cannot be read or parsed", () => {
    expect(() =>
      loadPolicyConfig({ UPDATE_MANAGER_POLICIES_FILE: "/nope" }, () => {
        throw Object.assign(new Error("gone"), { code: "ENOENT" });
      }),
    ).toThrow(/UPDATE_MANAGER_POLICIES_FILE: cannot read \/nope: ENOENT/);
    expect(problems("approvals: [")[0]).toMatch(/is not valid YAML or JSON/);
  });
});
