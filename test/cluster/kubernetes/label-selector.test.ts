import { describe, expect, it } from "vitest";
import { formatLabelSelector } from "../../../src/cluster/kubernetes/label-selector.js";

describe("formatLabelSelector", () => {
  it("formats matchLabels and every matchExpressions operator in the query syntax", () => {
    expect(
      formatLabelSelector({
        matchLabels: { tier: "web", app: "shop" },
        matchExpressions: [
          { key: "env", operator: "In", values: ["prod", "canary"] },
          { key: "legacy", operator: "NotIn", values: ["true"] },
          { key: "team", operator: "Exists" },
          { key: "debug", operator: "DoesNotExist" },
        ],
      }),
    ).toBe("app=shop,tier=web,env in (canary,prod),legacy notin (true),team,!debug");
  });

  it("gives an empty string for an empty selector and refuses unknown operators", () => {
    expect(formatLabelSelector(undefined)).toBe("");
    expect(() => formatLabelSelector({ matchExpressions: [{ key: "x", operator: "Near" }] })).toThrow(/unknown label selector operator/);
  });
});
