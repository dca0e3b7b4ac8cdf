import { readFile } from "node:fs/promises";

/** One request as the API server's audit log records it (level Metadata, stage ResponseComplete). */
export interface AuditEntry {
  readonly user: string;
  readonly userAgent: string;
  /** get, list, watch, create, update, patch, delete. */
  readonly verb: string;
  /** `deployments`, `jobs`, `leases`, `updateruns`, `updateruns/status`, ... */
  readonly resource: string;
  readonly namespace: string;
  readonly name: string;
  /** HTTP status of the answer. */
  readonly code: number;
  readonly receivedMs: number;
}

export const writeVerbs: ReadonlySet<string> = new Set(["create", "update", "patch", "delete", "deletecollection"]);

/** An audit policy that logs the requests of `users` at level Metadata (no bodies), once each, and nothing else. */
export function auditPolicy(users: readonly string[]): string {
  return JSON.stringify({
    apiVersion: "audit.k8s.io/v1",
    kind: "Policy",
    omitStages: ["RequestReceived", "ResponseStarted"],
    rules: [{ level: "Metadata", users }, { level: "None" }],
  });
}

/** The audit log's completed requests, in the order the API server received them. */
export async function readAuditLog(path: string): Promise<AuditEntry[]> {
  const text = await readFile(path, "utf8").catch(() => "");
  const entries: AuditEntry[] = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    const event = JSON.parse(line) as {
      stage: string;
      user: { username: string };
      userAgent?: string;
      verb: string;
      objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string };
      responseStatus?: { code?: number };
      requestReceivedTimestamp: string;
    };
    if (event.stage !== "ResponseComplete") continue;
    const resource = event.objectRef?.resource ?? "(non-resource)";
    entries.push({
      user: event.user.username,
      userAgent: event.userAgent ?? "",
      verb: event.verb,
      resource: event.objectRef?.subresource ? `${resource}/${event.objectRef.subresource}` : resource,
      namespace: event.objectRef?.namespace ?? "",
      name: event.objectRef?.name ?? "",
      code: event.responseStatus?.code ?? 0,
      receivedMs: Date.parse(event.requestReceivedTimestamp),
    });
  }
  return entries.sort((a, b) => a.receivedMs - b.receivedMs);
}

const succeeded = (entry: AuditEntry) => entry.code >= 200 && entry.code < 300;

/**
 * Successful writes by a replica after another replica took the Lease from it: for each successful Lease write
 * (create or update) by a User-Agent other than the previous holder's, the previous holder's successful writes
 * received after it. A replica that acquires the Lease again starts afresh.
 */
export function writesAfterLosingLease(entries: readonly AuditEntry[], leaseName: string): AuditEntry[] {
  const lostAt = new Map<string, number>();
  let holder: string | undefined;
  const late: AuditEntry[] = [];
  for (const entry of entries) {
    if (!entry.userAgent.startsWith("update-manager/") || !succeeded(entry) || !writeVerbs.has(entry.verb)) continue;
    const leaseWrite = entry.resource === "leases" && entry.name === leaseName && entry.verb !== "delete";
    const lost = lostAt.get(entry.userAgent);
    if (lost !== undefined && entry.receivedMs >= lost && !(leaseWrite && holder !== entry.userAgent)) late.push(entry);
    if (leaseWrite && holder !== entry.userAgent) {
      if (holder !== undefined) lostAt.set(holder, entry.receivedMs);
      lostAt.delete(entry.userAgent);
      holder = entry.userAgent;
    }
  }
  return late;
}
