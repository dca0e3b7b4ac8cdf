import { describe, expect, it } from "vitest";
import { parseNodePlan } from "../../../../src/core/domain/node-plan/parse-node-plan.js";
import { k3osExample } from "../../../support/node-plan-examples.js";

const k3osExampleSpec = k3osExample().spec;

function invalid(name: string, spec: unknown): { reason: string; field: string; message: string } {
  const parsed = parseNodePlan(name, spec);
  if (parsed.valid) throw new Error("expected an invalid plan");
  return parsed;
}

const minimal = { version: "v1.0.0", upgrade: { image: "example/upgrader" } };

describe("parseNodePlan", () => {
  it("accepts the seed's k3os example with its defaults: drain set, so cordon, ignoreDaemonSets and deleteEmptydirData", () => {
    const parsed = parseNodePlan("k3os-latest", k3osExampleSpec);
    if (!parsed.valid) throw new Error(parsed.message);
    const { spec } = parsed;
    expect(spec.concurrency).toBe(1);
    expect(spec.version).toBe("v0.9.0-dev");
    expect(spec.cordon).toBe(true);
    expect(spec.drain).toMatchObject({ force: true, ignoreDaemonSets: true, deleteEmptydirData: true, disableEviction: false, timeoutMs: 600_000 });
    expect(spec.upgrade.command).toEqual(["k3os", "--debug"]);
    expect(spec.upgrade.args).toHaveLength(9);
    expect(spec.nodeSelector.matchExpressions.map((expression) => expression.operator)).toEqual(["Exists", "NotIn"]);
    expect(spec.jobActiveDeadlineSecs).toBe(600);
    expect(spec.postCompleteDelayMs).toBe(0);
    expect(spec.exclusive).toBe(false);
    expect(spec.window).toBeUndefined();
  });

  it("defaults concurrency to 1 and leaves nodes uncordoned without cordon or drain", () => {
    const parsed = parseNodePlan("p", minimal);
    expect(parsed.valid && parsed.spec.concurrency).toBe(1);
    expect(parsed.valid && parsed.spec.cordon).toBe(false);
    expect(parsed.valid && parsed.spec.drain).toBeUndefined();
  });

  it("reads deleteLocalData as the old name of deleteEmptydirData, and refuses both at once", () => {
    const parsed = parseNodePlan("p", { ...minimal, drain: { deleteLocalData: false, ignoreDaemonSets: false } });
    expect(parsed.valid && parsed.spec.drain).toMatchObject({ deleteEmptydirData: false, ignoreDaemonSets: false });
    expect(invalid("p", { ...minimal, drain: { deleteLocalData: false, deleteEmptydirData: true } }).reason).toBe("InvalidDrain");
  });

  it("reads drain.timeout as a duration or, like the seed's IntOrString, nanoseconds", () => {
    const asText = parseNodePlan("p", { ...minimal, drain: { timeout: "90s" } });
    const asNanos = parseNodePlan("p", { ...minimal, drain: { timeout: 90_000_000_000 } });
    expect(asText.valid && asText.spec.drain?.timeoutMs).toBe(90_000);
    expect(asNanos.valid && asNanos.spec.drain?.timeoutMs).toBe(90_000);
  });

  it("mounts secrets under /run/system-upgrade/secrets/<name>, or below it when the path is relative", () => {
    const parsed = parseNodePlan("p", { ...minimal, secrets: [{ name: "creds" }, { name: "tls", path: "certs" }, { name: "abs", path: "/etc/abs" }] });
    expect(parsed.valid && parsed.spec.secrets.map((secret) => secret.path)).toEqual([
      "/run/system-upgrade/secrets/creds",
      "/run/system-upgrade/secrets/certs",
      "/etc/abs",
    ]);
  });

  it("accepts a name of 63 characters and refuses 64: the name is part of a node label key", () => {
    expect(parseNodePlan("a".repeat(63), minimal).valid).toBe(true);
    const refused = invalid("a".repeat(64), minimal);
    expect(refused.reason).toBe("NameTooLong");
    expect(refused.message).toMatch(/64 characters.*at most 63/);
  });

  it.each([
    ["zero concurrency", { ...minimal, concurrency: 0 }, "InvalidConcurrency", "spec.concurrency"],
    ["negative concurrency", { ...minimal, concurrency: -2 }, "InvalidConcurrency", "spec.concurrency"],
    ["fractional concurrency", { ...minimal, concurrency: 1.5 }, "InvalidConcurrency", "spec.concurrency"],
    ["neither version nor channel", { upgrade: { image: "x" } }, "MissingVersion", "spec"],
    ["a channel that is no URL", { channel: "latest", upgrade: { image: "x" } }, "InvalidChannel", "spec.channel"],
    ["a version that cannot be a tag", { ...minimal, version: "1.0 beta" }, "InvalidVersion", "spec.version"],
    ["no upgrade container", { version: "v1" }, "MissingUpgrade", "spec.upgrade"],
    ["an upgrade without image", { version: "v1", upgrade: { command: ["x"] } }, "InvalidContainer", "spec.upgrade.image"],
    [
      "an unknown selector operator",
      { ...minimal, nodeSelector: { matchExpressions: [{ key: "a", operator: "Matches", values: ["x"] }] } },
      "InvalidNodeSelector",
      "spec.nodeSelector.matchExpressions[0].operator",
    ],
    [
      "In without values",
      { ...minimal, nodeSelector: { matchExpressions: [{ key: "a", operator: "In" }] } },
      "InvalidNodeSelector",
      "spec.nodeSelector.matchExpressions[0].values",
    ],
    ["an invalid label key", { ...minimal, nodeSelector: { matchLabels: { "-bad": "x" } } }, "InvalidNodeSelector", "spec.nodeSelector.matchLabels"],
    [
      "a window in an unknown time zone",
      { ...minimal, window: { days: ["monday"], startTime: "01:00", endTime: "04:00", timeZone: "Mars/Olympus_Mons" } },
      "InvalidWindow",
      "spec.window.timeZone",
    ],
    ["a window with an unknown day", { ...minimal, window: { days: ["funday"], startTime: "01:00", endTime: "04:00" } }, "InvalidWindow", "spec.window.days"],
    ["a negative postCompleteDelay", { ...minimal, postCompleteDelay: "-5s" }, "InvalidDelay", "spec.postCompleteDelay"],
    ["a negative job deadline", { ...minimal, jobActiveDeadlineSecs: -1 }, "InvalidJobDeadline", "spec.jobActiveDeadlineSecs"],
    ["a spec that is no object", "concurrency: 1", "InvalidSpec", "spec"],
  ])("refuses %s with its reason and field", (_name, spec, reason, field) => {
    const refused = invalid("p", spec);
    expect(refused.reason).toBe(reason);
    expect(refused.field).toBe(field);
    expect(refused.message.startsWith(`${field}: `)).toBe(true);
  });

  it("lets an explicit version win over the channel, as the seed does (both may be set)", () => {
    const parsed = parseNodePlan("p", { ...minimal, channel: "https://example.com/latest" });
    expect(parsed.valid && parsed.spec.version).toBe("v1.0.0");
  });
});
