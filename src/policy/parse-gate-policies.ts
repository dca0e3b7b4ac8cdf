import { isRecord, unknownFields } from "../auth/config-document.js";
import { parseDuration } from "../config/duration.js";
import type { AlertGatePolicy } from "../core/domain/alert-gate-policy.js";
import type { GateAction } from "../core/domain/gate-wait.js";
import { InvalidPlanSpec } from "../core/domain/node-plan/invalid-plan-spec.js";
import { parsePlanWindow } from "../core/domain/node-plan/time-window.js";
import type { WindowPolicy } from "../core/domain/window-policy.js";
import { optionalStringList } from "./optional-string-list.js";

/** Where the alert gate's queries go. */
export interface PrometheusConfig {
  /** The base URL, e.g. `http://prometheus.monitoring:9090` (queries go to `<url>/api/v1/query`). */
  readonly url: string;
  /** How long one query may take before it counts as failed. Default: 5 s. */
  readonly timeoutMs: number;
}

/** The policies file's `alertGates`. */
export interface AlertGatesConfig {
  /** Required when there is any policy. */
  readonly prometheus?: PrometheusConfig;
  readonly policies: readonly AlertGatePolicy[];
}

export const defaultAlertQueryTimeoutMs = 5_000;
export const defaultAlertRecheckMs = 30_000;

/** What the scope of a gate policy is checked with (classifier and namespace syntax). */
export interface ScopeChecks {
  readonly classifier: (value: string) => string | undefined;
  readonly namespace: (value: string) => string | undefined;
}

/**
 * The `windows` list: every problem pushed to `problems`, naming `source`, the entry and the field (an unknown time
 * zone names the zone).
 */
export function parseWindowPolicies(raw: unknown, source: string, checks: ScopeChecks, problems: string[]): WindowPolicy[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    problems.push(`${source}: "windows" must be a list`);
    return [];
  }
  const policies: WindowPolicy[] = [];
  const names = new Set<string>();
  raw.forEach((entry: unknown, index) => {
    const where = `${source} windows[${index}]`;
    if (!isRecord(entry)) {
      problems.push(`${where} must be a mapping`);
      return;
    }
    const before = problems.length;
    const unknown = unknownFields(entry, ["name", "classifiers", "namespaces", "plans", "days", "startTime", "endTime", "timeZone", "outside"], where);
    if (unknown !== undefined) problems.push(unknown);
    const name = uniqueName(entry, where, names, problems);
    const classifiers = optionalStringList(entry, "classifiers", where, problems, checks.classifier);
    const namespaces = optionalStringList(entry, "namespaces", where, problems, checks.namespace);
    const plans = optionalStringList(entry, "plans", where, problems, (value) => (value.trim() === "" ? "a plan name must not be empty" : undefined));
    if (entry["startTime"] === undefined || entry["endTime"] === undefined) problems.push(`${where}: "startTime" and "endTime" are required (e.g. "09:00" and "17:00")`);
    let window: WindowPolicy["window"] | undefined;
    try {
      window = parsePlanWindow({ days: entry["days"], startTime: entry["startTime"], endTime: entry["endTime"], timeZone: entry["timeZone"] }, where);
    } catch (error) {
      if (!(error instanceof InvalidPlanSpec)) throw error;
      if (entry["startTime"] !== undefined && entry["endTime"] !== undefined) problems.push(error.message);
    }
    const outside = action(entry["outside"], `${where} outside`, ["wait", "refuse"], problems);
    if (problems.length > before || window === undefined) return;
    policies.push({
      name: name as string,
      window,
      outside,
      ...(classifiers === undefined ? {} : { classifiers }),
      ...(namespaces === undefined ? {} : { namespaces }),
      ...(plans === undefined ? {} : { plans }),
    });
  });
  return policies;
}

/** The `alertGates` mapping: `prometheus` and `policies`. */
export function parseAlertGates(raw: unknown, source: string, checks: ScopeChecks, problems: string[]): AlertGatesConfig {
  if (raw === undefined) return { policies: [] };
  if (!isRecord(raw)) {
    problems.push(`${source}: "alertGates" must be a mapping`);
    return { policies: [] };
  }
  const unknown = unknownFields(raw, ["prometheus", "policies"], `${source} alertGates`);
  if (unknown !== undefined) problems.push(unknown);
  let prometheus: PrometheusConfig | undefined;
  const rawPrometheus = raw["prometheus"];
  if (rawPrometheus !== undefined) {
    const where = `${source} alertGates.prometheus`;
    if (!isRecord(rawPrometheus)) problems.push(`${where} must be a mapping`);
    else {
      const unknownPrometheus = unknownFields(rawPrometheus, ["url", "timeout"], where);
      if (unknownPrometheus !== undefined) problems.push(unknownPrometheus);
      const url = rawPrometheus["url"];
      let parsed: URL | undefined;
      try {
        parsed = typeof url === "string" ? new URL(url) : undefined;
      } catch {
        parsed = undefined;
      }
      if (parsed === undefined || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
        problems.push(`${where}.url must be an http(s) URL such as "http://prometheus.monitoring:9090"`);
      }
      const timeoutMs = duration(rawPrometheus["timeout"], `${where}.timeout`, defaultAlertQueryTimeoutMs, 60_000, problems);
      if (parsed !== undefined) prometheus = { url: (url as string).replace(/\/+$/, ""), timeoutMs };
    }
  }
  const list = raw["policies"] ?? [];
  const policies: AlertGatePolicy[] = [];
  if (!Array.isArray(list)) problems.push(`${source}: "alertGates.policies" must be a list`);
  else {
    const names = new Set<string>();
    list.forEach((entry: unknown, index) => {
      const where = `${source} alertGates.policies[${index}]`;
      if (!isRecord(entry)) {
        problems.push(`${where} must be a mapping`);
        return;
      }
      const before = problems.length;
      const unknownPolicy = unknownFields(entry, ["name", "classifiers", "namespaces", "query", "whenFiring", "onQueryError", "recheckInterval"], where);
      if (unknownPolicy !== undefined) problems.push(unknownPolicy);
      const name = uniqueName(entry, where, names, problems);
      const classifiers = optionalStringList(entry, "classifiers", where, problems, checks.classifier);
      const namespaces = optionalStringList(entry, "namespaces", where, problems, checks.namespace);
      const query = entry["query"];
      if (typeof query !== "string" || query.trim() === "") {
        problems.push(`${where}: "query" is required: a PromQL expression that returns nothing while updates may go on, e.g. 'ALERTS{alertstate="firing",severity="page"}'`);
      }
      const whenFiring = action(entry["whenFiring"], `${where} whenFiring`, ["wait", "fail"], problems);
      const onQueryError = entry["onQueryError"] ?? "closed";
      if (onQueryError !== "closed" && onQueryError !== "open") problems.push(`${where} onQueryError must be "closed" (counts as firing) or "open"`);
      const recheckMs = duration(entry["recheckInterval"], `${where} recheckInterval`, defaultAlertRecheckMs, 3_600_000, problems);
      if (problems.length > before) return;
      policies.push({
        name: name as string,
        query: (query as string).trim(),
        whenFiring,
        onQueryError: onQueryError as "closed" | "open",
        recheckMs,
        ...(classifiers === undefined ? {} : { classifiers }),
        ...(namespaces === undefined ? {} : { namespaces }),
      });
    });
  }
  if (policies.length > 0 && prometheus === undefined && rawPrometheus === undefined) {
    problems.push(`${source}: alertGates.prometheus.url is required when there are alert gate policies`);
  }
  return { ...(prometheus === undefined ? {} : { prometheus }), policies };
}

function uniqueName(entry: Record<string, unknown>, where: string, names: Set<string>, problems: string[]): string | undefined {
  const name = entry["name"];
  if (typeof name !== "string" || name.trim() === "") {
    problems.push(`${where}: "name" is required`);
    return undefined;
  }
  if (names.has(name)) {
    problems.push(`${where}: the name ${JSON.stringify(name)} is used twice`);
    return undefined;
  }
  names.add(name);
  return name;
}

/** "wait" (the default) or the refusing word of the field ("refuse", "fail"), as a GateAction. */
function action(value: unknown, where: string, words: readonly [string, string], problems: string[]): GateAction {
  if (value === undefined || value === words[0]) return "wait";
  if (value === words[1]) return "refuse";
  problems.push(`${where} must be "${words[0]}" or "${words[1]}"`);
  return "wait";
}

function duration(value: unknown, where: string, fallback: number, maxMs: number, problems: string[]): number {
  if (value === undefined) return fallback;
  const ms = typeof value === "string" ? parseDuration(value) : undefined;
  if (ms === undefined || ms <= 0 || ms > maxMs) {
    problems.push(`${where} must be a duration such as "5s" or "1m", at most ${Math.round(maxMs / 1000)} s`);
    return fallback;
  }
  return ms;
}
