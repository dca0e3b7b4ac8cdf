import { describe, expect, it } from "vitest";
import { matchesLabelSelector, parseLabelSelector } from "../../../../src/core/domain/node-plan/label-selector.js";

describe("node selectors", () => {
  const selector = parseLabelSelector(
    {
      matchLabels: { pool: "workers" },
      matchExpressions: [
        { key: "plan.upgrade.cattle.io/k3os-latest", operator: "Exists" },
        { key: "k3os.io/mode", operator: "NotIn", values: ["live"] },
        { key: "zone", operator: "In", values: ["a", "b"] },
        { key: "frozen", operator: "DoesNotExist" },
      ],
    },
    "spec.nodeSelector",
  );
  const base = { pool: "workers", "plan.upgrade.cattle.io/k3os-latest": "", zone: "a" };

  it("selects a node that satisfies every label and expression", () => {
    expect(matchesLabelSelector(selector, base)).toBe(true);
    expect(matchesLabelSelector(selector, { ...base, "k3os.io/mode": "local" })).toBe(true);
  });

  it.each([
    ["another pool", { ...base, pool: "system" }],
    ["the Exists label missing", { pool: "workers", zone: "a" }],
    ["a NotIn value", { ...base, "k3os.io/mode": "live" }],
    ["an In label missing", { pool: "workers", "plan.upgrade.cattle.io/k3os-latest": "" }],
    ["a DoesNotExist label present", { ...base, frozen: "true" }],
  ])("leaves out a node with %s", (_name, labels) => {
    expect(matchesLabelSelector(selector, labels)).toBe(false);
  });

  it("selects every node when absent or empty", () => {
    expect(matchesLabelSelector(parseLabelSelector(undefined, "f"), { any: "thing" })).toBe(true);
    expect(matchesLabelSelector(parseLabelSelector({}, "f"), {})).toBe(true);
  });
});
