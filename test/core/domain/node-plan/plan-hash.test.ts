import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson, planHash } from "../../../../src/core/domain/node-plan/plan-hash.js";
import { parseNodePlan } from "../../../../src/core/domain/node-plan/parse-node-plan.js";
import type { NodeUpgradePlanSpec } from "../../../../src/core/domain/node-plan/node-upgrade-plan.js";

function spec(raw: Record<string, unknown>): NodeUpgradePlanSpec {
  const parsed = parseNodePlan("p", { version: "v1", upgrade: { image: "example/up", args: ["go"] }, ...raw });
  if (!parsed.valid) throw new Error(parsed.message);
  return parsed.spec;
}

describe("planHash", () => {
  it("is a SHA-224 (56 hex digits) over version, ServiceAccount and the Job's part of the spec", () => {
    const plan = spec({});
    const expected = createHash("sha224")
      .update("v1")
      .update("")
      .update(canonicalJson({ upgrade: plan.upgrade, prepare: null, secrets: [] }))
      .digest("hex");
    expect(planHash("v1", plan)).toBe(expected);
    expect(planHash("v1", plan)).toMatch(/^[0-9a-f]{56}$/);
  });

  it("changes with the resolved version, the ServiceAccount, the upgrade container and Secret contents", () => {
    const plan = spec({});
    const hashes = new Set([
      planHash("v1", plan),
      planHash("v2", plan),
      planHash("v1", spec({ serviceAccountName: "upgrader" })),
      planHash("v1", spec({ upgrade: { image: "example/up", args: ["go", "--reboot"] } })),
      planHash("v1", spec({ prepare: { image: "example/prep" } })),
      planHash("v1", spec({ secrets: [{ name: "creds" }] }), ["digest-a"]),
      planHash("v1", spec({ secrets: [{ name: "creds" }] }), ["digest-b"]),
    ]);
    expect(hashes.size).toBe(7);
  });

  it("stays the same when only the rollout changes, so nodes are not upgraded again", () => {
    const base = planHash("v1", spec({}));
    expect(planHash("v1", spec({ concurrency: 3, exclusive: true, drain: { force: true }, nodeSelector: { matchLabels: { a: "b" } } }))).toBe(base);
    expect(planHash("v1", spec({ window: { startTime: "01:00", endTime: "02:00" }, postCompleteDelay: "5m" }))).toBe(base);
  });

  it("does not depend on the order of the spec's keys", () => {
    const a = spec({ upgrade: { image: "example/up", command: ["a"], args: ["b"] } });
    const b = spec({ upgrade: { args: ["b"], command: ["a"], image: "example/up" } });
    expect(planHash("v1", a)).toBe(planHash("v1", b));
  });
});
