import { describe, expect, it } from "vitest";
import { readDockerHubPush } from "../../src/webhooks/docker-hub-push.js";
import { WebhookPayloadError } from "../../src/webhooks/webhook-payload.js";
import { fixture } from "./fixtures.js";

describe("Docker Hub's push webhook", () => {
  it("names docker.io/<repo_name>", () => {
    expect(readDockerHubPush(fixture("docker-hub-push.json"), {})).toEqual(["docker.io/acme/web"]);
  });

  it("refuses a body without push_data or repository.repo_name", () => {
    expect(() => readDockerHubPush({ repository: { repo_name: "acme/web" } }, {})).toThrow(WebhookPayloadError);
    expect(() => readDockerHubPush({ push_data: {}, repository: {} }, {})).toThrow(/repo_name/);
  });
});
