import { describe, expect, it } from "vitest";
import { readHarborEvent } from "../../src/webhooks/harbor-event.js";
import { WebhookPayloadError } from "../../src/webhooks/webhook-payload.js";
import { fixture } from "./fixtures.js";

describe("Harbor's webhook event", () => {
  it("names the pushed artifact's repository on the host of its resource URL, or the endpoint's registry", () => {
    const event = fixture("harbor-push-artifact.json");
    expect(readHarborEvent(event, {})).toEqual(["harbor.example.com/library/nginx"]);
    expect(readHarborEvent(event, { registry: "harbor.internal" })).toEqual(["harbor.internal/library/nginx"]);
  });

  it("ignores other event types, and refuses a push without its repository", () => {
    expect(readHarborEvent({ ...fixture("harbor-push-artifact.json"), type: "PULL_ARTIFACT" }, {})).toEqual([]);
    expect(() => readHarborEvent({ type: "PUSH_ARTIFACT", event_data: { resources: [] } }, {})).toThrow(WebhookPayloadError);
    expect(() => readHarborEvent({ event_data: {} }, {})).toThrow(/type/);
  });
});
