import { describe, expect, it } from "vitest";
import type { Notification } from "../../src/core/domain/notification.js";
import { formatMessage, messagePayload } from "../../src/notify/format-message.js";

const started: Notification = {
  kind: "node-plan-started",
  time: new Date("2026-12-07T10:00:00Z"),
  workloads: [],
  image: "v0.9.0",
  nodePlan: "k3os-latest",
  hash: "abcdef0123456789abcdef",
  state: "started",
  reason: "applying v0.9.0 (hash abcdef012345); first nodes: node-1",
};

describe("a node plan's message", () => {
  it("gives the version and the plan hash as fields of their own", () => {
    expect(messagePayload({ type: "notification", notification: started })).toMatchObject({
      event: "node-plan-started",
      nodePlan: "k3os-latest",
      image: "v0.9.0",
      hash: "abcdef0123456789abcdef",
    });
    const { text } = formatMessage({ type: "notification", notification: started });
    expect(text.split("\n")).toEqual(expect.arrayContaining(["image: v0.9.0", "hash: abcdef012345"]));
  });

  it("has no hash field when the notification has no hash", () => {
    const { hash: _, ...withoutHash } = started;
    expect(messagePayload({ type: "notification", notification: withoutHash })).not.toHaveProperty("hash");
    expect(formatMessage({ type: "notification", notification: withoutHash }).text).not.toContain("hash:");
  });
});
