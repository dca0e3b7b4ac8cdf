import { describe, expect, it } from "vitest";
import type { AccessGrant } from "../../src/auth/access-grant.js";
import type { ApiKeyEntry } from "../../src/auth/api-key-verifier.js";
import type { OidcConfig } from "../../src/auth/oidc-config.js";
import { approverCapacity, checkApproverCapacity, type ApproverSources } from "../../src/policy/approver-capacity.js";

const grant = (rpcs: string[], scope: AccessGrant["scope"] = {}): AccessGrant => ({ rpcs: new Set(rpcs), scope });
const key = (name: string, access: AccessGrant): ApiKeyEntry => ({ name, sha256: Buffer.alloc(32), grant: access });
const approve = ["ApproveUpdate", "RejectUpdate"];

function sources(keys: ApiKeyEntry[], oidc?: OidcConfig): ApproverSources {
  return { accessControl: { keys, ...(oidc === undefined ? {} : { oidc }) }, fullScopeKey: false, insecureDemo: false };
}

const policy = { name: "production", classifiers: ["shop"], approvers: 2, deadlineMs: 3_600_000 };

describe("approver capacity", () => {
  it("accepts a policy when enough distinct principals may approve its classifier", () => {
    const config = sources([key("alice", grant(approve)), key("bob", grant(approve, { classifiers: ["shop"] })), key("ci", grant(["Update"]))]);
    expect(checkApproverCapacity([policy], config, "policies.yaml")).toEqual([]);
  });

  it("refuses a policy needing more approvers than the configuration can have, naming it and who may approve", () => {
    const config = sources([key("alice", grant(approve)), key("bob", grant(approve, { classifiers: ["other"] })), key("ci", grant(["write"]))]);
    const problems = checkApproverCapacity([policy], config, "policies.yaml");
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/policies.yaml: approval policy "production" needs 2 distinct approvers for classifier "shop", but only 1 principals may call ApproveUpdate there \(alice\)/);
  });

  it("counts a CI rule once per subject it pins, and as unbounded when it pins none", () => {
    const issuer = (rules: OidcConfig["issuers"][number]["rules"]) =>
      ({ issuers: [{ name: "gh", issuer: "https://token.example", audience: "um", rules }], clockToleranceSeconds: 0, jwksRefreshIntervalSeconds: 60 }) as OidcConfig;
    const pinned = sources([], issuer([{ name: "leads", claims: { sub: ["user:a", "user:b"] }, grant: grant(approve) }]));
    expect(checkApproverCapacity([policy], pinned, "p")).toEqual([]);
    expect(approverCapacity(pinned)("gh:user:a")).toBe(1);
    const open = sources([], issuer([{ name: "org", claims: { repository_owner: ["acme"] }, grant: grant(approve) }]));
    expect(checkApproverCapacity([{ ...policy, approvers: 10 }], open, "p")).toEqual([]);
    expect(approverCapacity(open)("anyone")).toBe(Number.POSITIVE_INFINITY);
  });

  it("leaves the requester out of the approvers an update can have", () => {
    const config = sources([key("alice", grant(approve)), key("bob", grant(["Update", "ApproveUpdate"]))]);
    const capacity = approverCapacity({ ...config, fullScopeKey: true });
    expect(capacity("ci")).toBe(3);
    expect(capacity("alice")).toBe(2);
  });
});
