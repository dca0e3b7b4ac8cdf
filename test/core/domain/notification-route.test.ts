import { describe, expect, it } from "vitest";
import { findingHash, findingOf, type Notification } from "../../../src/core/domain/notification.js";
import { channelsFor, type NotificationRoute } from "../../../src/core/domain/notification-route.js";

const at = new Date("2025-01-01T00:00:00Z");
const failed: Notification = {
  kind: "update-failed",
  time: at,
  classifier: "prod",
  workloads: [
    { kind: "Deployment", namespace: "shop", name: "web" },
    { kind: "Deployment", namespace: "billing", name: "api" },
  ],
  image: "r/web:2",
  updateId: "u1",
  state: "failed",
  reason: "rollout failed",
};
const nodePlan: Notification = { kind: "node-plan-failed", time: at, workloads: [], image: "", nodePlan: "kernel", state: "failed", reason: "" };

const routes: NotificationRoute[] = [
  { events: ["update-failed", "update-rolled-back"], classifiers: ["prod"], channels: ["oncall"] },
  { namespaces: ["shop"], channels: ["shop-team", "oncall"] },
  { events: ["node-plan-failed"], channels: ["infra"] },
  { classifiers: ["staging"], channels: ["staging-chat"] },
];

describe("notification routes", () => {
  it("send a notification to every channel whose route matches its kind, classifier and one of its namespaces, each once", () => {
    expect(channelsFor(routes, failed)).toEqual(["oncall", "shop-team"]);
    expect(channelsFor(routes, { ...failed, kind: "update-succeeded" })).toEqual(["shop-team", "oncall"]);
    expect(channelsFor(routes, { ...failed, classifier: "staging", workloads: [{ kind: "Deployment", namespace: "billing", name: "api" }] })).toEqual([
      "staging-chat",
    ]);
  });

  it("never match by namespace or classifier what has none (node plans)", () => {
    expect(channelsFor(routes, nodePlan)).toEqual(["infra"]);
    expect(channelsFor([{ channels: ["all"] }], nodePlan)).toEqual(["all"]);
  });
});

describe("findings", () => {
  it("are the workloads, the version and the state, whichever update or order reported them", () => {
    const again = { ...failed, updateId: "u2", workloads: [...failed.workloads].reverse(), time: new Date(0) };
    expect(findingOf(again)).toBe(findingOf(failed));
    expect(findingOf({ ...failed, image: "r/web:3" })).not.toBe(findingOf(failed));
    expect(findingOf({ ...failed, kind: "update-rolled-back", state: "rolled-back" })).not.toBe(findingOf(failed));
    expect(findingOf({ ...failed, image: "r/web:2@sha256:aa" })).not.toBe(findingOf({ ...failed, image: "r/web:2@sha256:bb" }));
  });

  it("of a node plan are its hash too: the same version under another hash is another finding", () => {
    const started: Notification = { ...nodePlan, kind: "node-plan-started", state: "started", image: "v0.9.0", hash: "abcdef0123456789" };
    expect(findingOf({ ...started, hash: "abcdef0123456789", reason: "again" })).toBe(findingOf(started));
    expect(findingOf({ ...started, hash: "0123456789abcdef" })).not.toBe(findingOf(started));
    expect(findingOf({ ...started, image: "v0.10.0" })).not.toBe(findingOf(started));
  });

  it("of a node plan match those remembered when the hash was written into the version", () => {
    const started: Notification = { ...nodePlan, kind: "node-plan-started", state: "started", image: "v0.9.0", hash: "abcdef0123456789" };
    const before: Notification = { ...nodePlan, kind: "node-plan-started", state: "started", image: "v0.9.0 (hash abcdef012345)" };
    expect(findingHash(findingOf(started))).toBe(findingHash(findingOf(before)));
  });

  it("are remembered as 11 characters", () => {
    expect(findingHash(findingOf(failed))).toMatch(/^[A-Za-z0-9_-]{11}$/);
  });
});
