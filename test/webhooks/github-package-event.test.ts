import { describe, expect, it } from "vitest";
import { readGithubPackageEvent } from "../../src/webhooks/github-package-event.js";
import { WebhookPayloadError } from "../../src/webhooks/webhook-payload.js";
import { fixture } from "./fixtures.js";

describe("GitHub's package events", () => {
  it("names ghcr.io/<owner>/<package>, lower-cased, for a published container (package and registry_package)", () => {
    expect(readGithubPackageEvent(fixture("github-package-published.json"), { event: "package" })).toEqual(["ghcr.io/acme/web"]);
    expect(readGithubPackageEvent(fixture("github-registry-package-published.json"), { event: "registry_package" })).toEqual([
      "ghcr.io/acme/web",
    ]);
  });

  it("ignores pings, other actions and other package types", () => {
    const event = fixture("github-package-published.json");
    expect(readGithubPackageEvent({ zen: "Keep it logically awesome.", hook_id: 1 }, { event: "ping" })).toEqual([]);
    expect(readGithubPackageEvent({ ...event, action: "deleted" }, { event: "package" })).toEqual([]);
    const npm = { ...event, package: { ...(event["package"] as object), package_type: "npm" } };
    expect(readGithubPackageEvent(npm, { event: "package" })).toEqual([]);
  });

  it("refuses a package event without its package", () => {
    expect(() => readGithubPackageEvent({ action: "published" }, { event: "package" })).toThrow(WebhookPayloadError);
  });
});
