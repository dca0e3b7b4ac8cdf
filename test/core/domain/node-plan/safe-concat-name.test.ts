import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { safeConcatName } from "../../../../src/core/domain/node-plan/safe-concat-name.js";
import { planNodeLabel, upgradeJobName } from "../../../../src/core/domain/node-plan/upgrade-job-name.js";

// Expected values computed independently (Python hashlib) from the seed's algorithm (wrangler name.SafeConcatName).
const hash = "dc03b4ae21e9eff9674bb9adb8ab84ee001682bf5cd7ed895ac09337"; // sha224("v0.9.0")

describe("upgradeJobName", () => {
  it("is the seed's apply-<plan>-on-<node>-with-<hash>, cut to 63 characters with a digest", () => {
    expect(upgradeJobName("k3os-latest", "node-1", hash)).toBe("apply-k3os-latest-on-node-1-with-dc03b4ae21e9eff9674bb9ad-59f3a");
    expect(upgradeJobName("k3os-latest", "node-1.example", hash)).toBe("apply-k3os-latest-on-node-1.example-with-dc03b4ae21e9eff9-ab345");
    expect(upgradeJobName("a".repeat(44), "n", hash)).toBe(`apply-${"a".repeat(44)}-on-n-w-ab9fc`);
  });

  it("keeps short names whole", () => {
    expect(upgradeJobName("k3os-latest", "n-1", "abc")).toBe("apply-k3os-latest-on-n-1-with-abc");
  });

  it("never ends a cut in '.' or '-', unlike the seed", () => {
    expect(safeConcatName("apply", `${"x".repeat(49)}.`, "on", "node", "with", hash)).toBe(`apply-${"x".repeat(49)}-abe064`);
  });

  it("is always a valid DNS subdomain of at most 63 characters", () => {
    const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?$/);
    const subdomain = fc.array(label, { minLength: 1, maxLength: 5 }).map((labels) => labels.join("."));
    fc.assert(
      fc.property(subdomain, subdomain, fc.stringMatching(/^[0-9a-f]{56}$/), (plan, node, planHash) => {
        const job = upgradeJobName(plan, node, planHash);
        expect(job.length).toBeLessThanOrEqual(63);
        for (const part of job.split(".")) expect(part).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      }),
    );
  });

  it("labels nodes plan.<prefix>/<plan>", () => {
    expect(planNodeLabel("update-manager.io", "k3os-latest")).toBe("plan.update-manager.io/k3os-latest");
  });
});
