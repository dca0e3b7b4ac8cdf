import { describe, expect, it } from "vitest";
import { readDistributionNotification } from "../../src/webhooks/distribution-notification.js";
import { WebhookPayloadError } from "../../src/webhooks/webhook-payload.js";
import { fixture } from "./fixtures.js";

describe("the distribution registry's notification envelope", () => {
  it("names the repository of a manifest push on the host the pusher used; blob pushes and pulls name nothing", () => {
    expect(readDistributionNotification(fixture("distribution-push.json"), {})).toEqual(["127.0.0.1:5000/team/web"]);
  });

  it("uses the endpoint's registry name instead of the pusher's host", () => {
    expect(readDistributionNotification(fixture("distribution-push.json"), { registry: "registry.internal:5000" })).toEqual([
      "registry.internal:5000/team/web",
    ]);
  });

  it("refuses what is not an envelope, naming what is wrong", () => {
    expect(() => readDistributionNotification([], {})).toThrow(WebhookPayloadError);
    expect(() => readDistributionNotification({ events: "push" }, {})).toThrow(/events list/);
    expect(() => readDistributionNotification({ events: [{ action: "push", target: { tag: "1", repository: "" } }] }, {})).toThrow(
      /target\.repository/,
    );
    expect(() => readDistributionNotification({ events: [{ action: "push", target: { tag: "1", repository: "web" } }] }, {})).toThrow(
      /request\.host is missing/,
    );
  });
});
