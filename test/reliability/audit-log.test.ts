import { describe, expect, it } from "vitest";
import { type AuditEntry, writesAfterLosingLease } from "./audit-log.js";

const entry = (userAgent: string, verb: string, resource: string, receivedMs: number, code = 200, name = "x"): AuditEntry => ({
  user: "system:serviceaccount:update-manager:update-manager",
  userAgent,
  verb,
  resource,
  namespace: "update-manager",
  name,
  code,
  receivedMs,
});
const lease = (userAgent: string, receivedMs: number, code = 200) => entry(userAgent, "update", "leases", receivedMs, code, "leader");

describe("writes after losing the Lease, from the audit log", () => {
  it("counts the old leader's successful writes after another replica acquired, and nothing before", () => {
    const a = "update-manager/a";
    const b = "update-manager/b";
    const late = writesAfterLosingLease(
      [
        lease(a, 1),
        entry(a, "patch", "deployments", 2),
        lease(b, 3, 409), // a failed attempt takes nothing
        entry(a, "update", "updateruns/status", 4),
        lease(b, 5), // b acquires
        entry(b, "patch", "deployments", 6),
        lease(a, 7, 409), // refused: not a write that landed
        entry(a, "get", "deployments", 8),
        entry(a, "update", "updateruns/status", 9), // landed after losing: counted
      ],
      "leader",
    );
    expect(late.map((write) => `${write.userAgent} ${write.verb} ${write.resource} ${write.receivedMs}`)).toEqual([
      "update-manager/a update updateruns/status 9",
    ]);
  });

  it("lets a replica that acquires the Lease again write again", () => {
    const a = "update-manager/a";
    const b = "update-manager/b";
    expect(writesAfterLosingLease([lease(a, 1), lease(b, 2), lease(a, 3), entry(a, "patch", "deployments", 4)], "leader")).toEqual([]);
  });
});
