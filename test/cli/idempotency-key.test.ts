import { describe, expect, it } from "vitest";
import { deriveIdempotencyKey } from "../../src/cli/idempotency-key.js";

const request = { image: "registry.example.com/shop/web:1.5.0", classifier: "shop" };
const github = { GITHUB_ACTIONS: "true", GITHUB_RUN_ID: "9876543210", GITHUB_RUN_ATTEMPT: "1", GITHUB_JOB: "deploy" };
const gitlab = { GITLAB_CI: "true", CI_PIPELINE_ID: "555", CI_JOB_ID: "777" };

describe("deriveIdempotencyKey", () => {
  it("gives the same key when the same job attempt runs the same update again", () => {
    const first = deriveIdempotencyKey(github, request);
    expect(first).toMatch(/^github:9876543210:1:deploy:[0-9a-f]{16}$/);
    expect(deriveIdempotencyKey({ ...github }, { ...request })).toBe(first);
    const gl = deriveIdempotencyKey(gitlab, request);
    expect(gl).toMatch(/^gitlab:555:777:[0-9a-f]{16}$/);
    expect(deriveIdempotencyKey(gitlab, request)).toBe(gl);
  });

  it("gives a new key to a re-run attempt, another run, another job, and another GitLab job id", () => {
    const key = deriveIdempotencyKey(github, request);
    const others = [
      deriveIdempotencyKey({ ...github, GITHUB_RUN_ATTEMPT: "2" }, request),
      deriveIdempotencyKey({ ...github, GITHUB_RUN_ID: "9876543211" }, request),
      deriveIdempotencyKey({ ...github, GITHUB_JOB: "deploy-eu" }, request),
    ];
    for (const other of others) expect(other).not.toBe(key);
    expect(deriveIdempotencyKey({ ...gitlab, CI_JOB_ID: "778" }, request)).not.toBe(deriveIdempotencyKey(gitlab, request));
  });

  it("gives a job that ships two images or two classifiers two keys", () => {
    const key = deriveIdempotencyKey(github, request);
    expect(deriveIdempotencyKey(github, { ...request, image: "registry.example.com/shop/web:1.5.1" })).not.toBe(key);
    expect(deriveIdempotencyKey(github, { ...request, classifier: "shop-eu" })).not.toBe(key);
  });

  it("derives nothing outside a recognised CI system", () => {
    expect(deriveIdempotencyKey({}, request)).toBeUndefined();
    expect(deriveIdempotencyKey({ CI: "true" }, request)).toBeUndefined();
    // A GitHub variable leaking into a local shell is not a CI run.
    expect(deriveIdempotencyKey({ GITHUB_RUN_ID: "1" }, request)).toBeUndefined();
  });

  it("stays within the server's 128 characters for absurd job names", () => {
    const key = deriveIdempotencyKey({ ...github, GITHUB_JOB: "j".repeat(300) }, request);
    expect(key?.length).toBeLessThanOrEqual(128);
    expect(key).not.toBe(deriveIdempotencyKey({ ...github, GITHUB_JOB: `${"j".repeat(299)}k` }, request));
  });
});
