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

  it("are remembered as 11 characters", () => {
    expect(findingHash(findingOf(failed))).toMatch(/^[A-Za-z0-9_-]{11}$/);
  });
});
