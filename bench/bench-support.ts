/** Helpers the Kubernetes benchmarks share. */
import { readdir, readFile } from "node:fs/promises";
import type { Client } from "@connectrpc/connect";
import type { UpdateEvent } from "../gen/updatemanager/v1/event_pb.js";
import { UpdateState } from "../gen/updatemanager/v1/update_pb.js";
import type { UpdateService } from "../gen/updatemanager/v1/update_service_pb.js";

/** The largest value; unlike `Math.max(...values)`, safe for more values than the stack holds arguments. */
export function maxOf(values: readonly number[]): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const value of values) if (value > max) max = value;
  return max;
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Runs `fn` over `items` with at most `concurrency` in flight. */
export async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** Bounded poll. */
export async function until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export async function collect(
  client: Client<typeof UpdateService>,
  updateId: string,
  onEvent: (event: UpdateEvent, atMs: number) => void = () => {},
): Promise<UpdateEvent[]> {
  const events: UpdateEvent[] = [];
  for await (const message of client.watchUpdate({ updateId, afterSequence: 0n }, { timeoutMs: 180_000 })) {
    if (message.message.case !== "event") continue;
    events.push(message.message.value);
    onEvent(message.message.value, performance.now());
  }
  return events;
}

export function finalState(events: UpdateEvent[]): string {
  const last = events.at(-1)?.kind;
  return last?.case === "finished" ? UpdateState[last.value.state] : "UNFINISHED";
}

/** One API request as the API server's audit log records it. */
export interface AuditRecord {
  auditID: string;
  user: string;
  verb: string;
  resource: string;
  receivedMs: number;
  /** When the API server finished the response (µs precision, as ms); undefined for a watch still open. */
  completedMs?: number;
}

/** The audit log's requests, once each (a watch is logged at ResponseStarted and ResponseComplete). */
export async function readAudit(path: string): Promise<AuditRecord[]> {
  const text = await readFile(path, "utf8").catch(() => "");
  const seen = new Map<string, AuditRecord>();
  for (const line of text.split("\n")) {
    if (!line) continue;
    const event = JSON.parse(line) as {
      auditID: string;
      user: { username: string };
      verb: string;
      objectRef?: { resource?: string; subresource?: string };
      requestReceivedTimestamp: string;
      stage: string;
      stageTimestamp: string;
    };
    const completedMs = event.stage === "ResponseComplete" ? parseMicros(event.stageTimestamp) : undefined;
    const known = seen.get(event.auditID);
    if (known) {
      // A watch is logged at ResponseStarted and again at ResponseComplete.
      if (completedMs !== undefined) known.completedMs = completedMs;
      continue;
    }
    const resource = event.objectRef?.resource ?? "(non-resource)";
    seen.set(event.auditID, {
      auditID: event.auditID,
      user: event.user.username,
      verb: event.verb,
      resource: event.objectRef?.subresource ? `${resource}/${event.objectRef.subresource}` : resource,
      receivedMs: parseMicros(event.requestReceivedTimestamp),
      completedMs,
    });
  }
  return [...seen.values()];
}

/** An RFC 3339 timestamp with microseconds (the audit log's) as fractional epoch milliseconds; Date.parse keeps only ms. */
function parseMicros(timestamp: string): number {
  const micros = /\.(\d{3})(\d{1,3})Z$/.exec(timestamp);
  return Date.parse(timestamp) + (micros ? Number(micros[2]!.padEnd(3, "0")) / 1000 : 0);
}

/**
 * Pids of this process's children by their command name (`/proc/<pid>/comm`, Linux): the control plane the benchmark
 * started, never another one running on the machine.
 */
export async function pidsByCommand(names: readonly string[]): Promise<Record<string, number>> {
  const found: Record<string, number> = {};
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    // After the command in parentheses (which may hold spaces): state, then the parent's pid.
    if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) !== process.pid) continue;
    const comm = await readFile(`/proc/${entry}/comm`, "utf8").then((text) => text.trim(), () => "");
    // comm is cut at 15 characters: kube-controller-manager reads "kube-controller".
    const name = names.find((candidate) => candidate.slice(0, 15) === comm);
    if (name !== undefined && found[name] === undefined) found[name] = Number(entry);
  }
  return found;
}

/** CPU time (user + system, ms) each process has used so far, from `/proc/<pid>/stat` (clock ticks of 10 ms). */
export async function cpuMs(pids: Record<string, number>): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
    if (stat === undefined) continue;
    // Fields after the command (which may hold spaces) start at its closing parenthesis: utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    out[name] = (Number(fields[11]) + Number(fields[12])) * 10;
  }
  return out;
}

/** Per-process CPU ms between two `cpuMs` readings, divided by `per` (updates). */
export function cpuPer(before: Record<string, number>, after: Record<string, number>, per: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, ms] of Object.entries(after)) {
    if (before[name] !== undefined) out[name] = Math.round(((ms - before[name]) / per) * 100) / 100;
  }
  return out;
}
