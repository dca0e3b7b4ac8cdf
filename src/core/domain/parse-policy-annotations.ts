import { validRange } from "semver";
import { DomainError, isDomainError } from "./domain-error.js";
import { defaultKeyPrefix } from "./metadata-keys.js";
import type { SemverConstraint } from "./semver-policy.js";
import { createTagFilter, type TagFilterOptions } from "./tag-filter.js";
import type {
  ContainerUpdatePolicy,
  UpdateMode,
  VersionPolicySpec,
  WorkloadUpdatePolicy,
} from "./version-policy-spec.js";

/**
 * Reads a workload's registry-watch annotations (docs/registry-policies.md has the table):
 *
 *   <prefix>/<setting>              the workload's default for every container
 *   <prefix>/<setting>.<container>  one container; wins over the workload's default
 *
 * settings: policy, mode, min-age, prerelease, filter, extract; and schedule (workload only).
 */
export interface PolicyAnnotationOptions {
  /** The workload's container names (init containers included if they are to be watched). */
  readonly containers: readonly string[];
  /** Annotation prefix. Default: "update-manager.io" (UPDATE_MANAGER_KEY_PREFIX changes it). */
  readonly keyPrefix?: string;
}

type Setting = "policy" | "mode" | "schedule" | "min-age" | "prerelease" | "filter" | "extract";

const settingPattern = /^(policy|mode|schedule|min-age|prerelease|filter|extract)(?:\.(.*))?$/;

/** Bounds that protect registries (schedule) and keep soak times meaningful (min-age). */
export const minScheduleMs = 30_000;
export const maxScheduleMs = 24 * 3_600_000;
export const maxMinAgeMs = 30 * 24 * 3_600_000;

const policyHelp =
  'use semver:patch, semver:minor, semver:major, semver:frontier=<0-3>, semver:<range> (e.g. "semver:>=1.4 <2"), ' +
  "digest, numerical, alphabetical or none";

interface Value {
  readonly key: string;
  readonly value: string;
  /** True when written for the container, false when inherited from the workload. */
  readonly own: boolean;
}

/**
 * Parses the annotations into the workload's policy. Containers without a policy (or with "none") are not
 * watched. Every problem is collected, so one error lists them all.
 *
 * @throws DomainError invalid-argument (field: the first bad annotation) whose message lists each bad
 *   annotation, its value and what is accepted.
 */
export function parsePolicyAnnotations(
  annotations: Readonly<Record<string, string>>,
  options: PolicyAnnotationOptions,
): WorkloadUpdatePolicy {
  const prefix = `${options.keyPrefix ?? defaultKeyPrefix}/`;
  const problems: { key: string; message: string }[] = [];
  const problem = (key: string, message: string) => {
    if (!problems.some((p) => p.key === key && p.message === message)) problems.push({ key, message });
  };
  const workload = new Map<Setting, Value>();
  const perContainer = new Map<string, Map<Setting, Value>>();

  for (const [key, value] of Object.entries(annotations)) {
    if (!key.startsWith(prefix)) continue;
    const match = settingPattern.exec(key.slice(prefix.length));
    if (match === null) continue; // Another feature's annotation (classifier, lock, ...).
    const setting = match[1] as Setting;
    const container = match[2];
    if (container === undefined) {
      workload.set(setting, { key, value, own: false });
      continue;
    }
    if (setting === "schedule") {
      problem(key, `${key}: the schedule is per workload; use ${prefix}schedule`);
      continue;
    }
    if (!options.containers.includes(container)) {
      problem(
        key,
        `${key}: the workload has no container "${container}" (containers: ${options.containers.join(", ") || "none"})`,
      );
      continue;
    }
    let settings = perContainer.get(container);
    if (settings === undefined) {
      settings = new Map();
      perContainer.set(container, settings);
    }
    settings.set(setting, { key, value, own: true });
  }

  let scheduleMs: number | undefined;
  const schedule = workload.get("schedule");
  if (schedule !== undefined) {
    scheduleMs = parseBoundedDuration(schedule, minScheduleMs, maxScheduleMs, problem);
  }

  const containers: ContainerUpdatePolicy[] = [];
  for (const container of options.containers) {
    const own = perContainer.get(container) ?? new Map<Setting, Value>();
    const get = (setting: Setting): Value | undefined => own.get(setting) ?? workload.get(setting);
    const policyValue = get("policy");
    const policyText = policyValue?.value.trim();
    if (policyValue === undefined || policyText === "none") {
      for (const [setting, value] of own) {
        if (setting === "policy") continue;
        problem(
          value.key,
          `${value.key}: container "${container}" has no policy, so this setting has no effect; ` +
            `set ${prefix}policy.${container}`,
        );
      }
      continue;
    }
    /** A setting the policy cannot use is an error when written at the policy's own level or for the container. */
    const inapplicable = (setting: Setting, why: string) => {
      const value = get(setting);
      if (value !== undefined && (value.own || !policyValue.own)) problem(value.key, `${value.key}: ${why}`);
    };

    const modeValue = get("mode");
    let mode: UpdateMode = "update";
    if (modeValue !== undefined) {
      const text = modeValue.value.trim();
      if (text === "update" || text === "notify") mode = text;
      else problem(modeValue.key, `${modeValue.key}: "${modeValue.value}" is not a mode; use update or notify`);
    }
    const minAgeValue = get("min-age");
    const minAgeMs = minAgeValue === undefined ? 0 : (parseBoundedDuration(minAgeValue, 0, maxMinAgeMs, problem) ?? 0);

    let prerelease = false;
    const prereleaseValue = get("prerelease");
    if (prereleaseValue !== undefined) {
      const text = prereleaseValue.value.trim();
      if (text === "true" || text === "false") prerelease = text === "true";
      else problem(prereleaseValue.key, `${prereleaseValue.key}: "${prereleaseValue.value}" is not true or false`);
    }

    const filterValue = get("filter");
    const extractValue = get("extract");
    let filter: TagFilterOptions | undefined;
    if (filterValue !== undefined) {
      filter = { pattern: filterValue.value, ...(extractValue === undefined ? {} : { extract: extractValue.value }) };
      try {
        createTagFilter(filter, { pattern: filterValue.key, extract: extractValue?.key ?? "extract" });
      } catch (error) {
        if (!isDomainError(error)) throw error;
        problem(String(error.metadata.field ?? filterValue.key), error.message);
      }
    } else if (extractValue !== undefined) {
      problem(extractValue.key, `${extractValue.key}: an extract template needs a filter pattern (${prefix}filter)`);
    }

    let policy: VersionPolicySpec | undefined;
    if (policyText === "digest") {
      policy = { kind: "digest" };
      for (const setting of ["filter", "extract", "prerelease"] as const) {
        inapplicable(setting, "a digest policy watches one tag; filter, extract and prerelease do not apply");
      }
    } else if (policyText === "numerical" || policyText === "alphabetical") {
      policy = { kind: "ordered", order: policyText, ...(filter === undefined ? {} : { filter }) };
      inapplicable("prerelease", `prerelease applies to semver policies only, not ${policyText}`);
    } else if (policyText?.startsWith("semver:")) {
      const constraint = parseSemverConstraint(policyText.slice("semver:".length).trim());
      if (constraint === undefined) {
        problem(policyValue.key, `${policyValue.key}: "${policyValue.value}" is not a semver policy; ${policyHelp}`);
      } else {
        policy = { kind: "semver", constraint, prerelease, ...(filter === undefined ? {} : { filter }) };
      }
    } else {
      problem(policyValue.key, `${policyValue.key}: "${policyValue.value}" is not a policy; ${policyHelp}`);
    }
    if (policy !== undefined) containers.push({ container, policy, mode, minAgeMs });
  }

  if (problems.length > 0) {
    // Report in the order the annotations were written.
    const order = Object.keys(annotations);
    problems.sort((a, b) => order.indexOf(a.key) - order.indexOf(b.key));
    const first = problems[0]!;
    throw new DomainError(
      "invalid-argument",
      "INVALID_ARGUMENT",
      problems.length === 1
        ? `invalid update policy annotation: ${first.message}`
        : `${problems.length} invalid update policy annotations: ${problems.map((p) => p.message).join("; ")}`,
      { metadata: { field: first.key } },
    );
  }
  return { scheduleMs, containers };
}

function parseSemverConstraint(text: string): SemverConstraint | undefined {
  if (text === "major") return { kind: "frontier", frontier: 0 };
  if (text === "minor") return { kind: "frontier", frontier: 1 };
  if (text === "patch") return { kind: "frontier", frontier: 2 };
  const frontier = /^frontier=([0-3])$/.exec(text);
  if (frontier !== null) return { kind: "frontier", frontier: Number(frontier[1]) as 0 | 1 | 2 | 3 };
  if (text.startsWith("frontier")) return undefined;
  if (text.length === 0 || text.length > 256 || validRange(text) === null) return undefined;
  return { kind: "range", range: text };
}

const durationUnits: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Go-style durations ("30s", "5m", "1h30m", "24h", "0"), bounded; reports and returns undefined when bad. */
function parseBoundedDuration(
  value: Value,
  min: number,
  max: number,
  problem: (key: string, message: string) => void,
): number | undefined {
  const text = value.value.trim();
  const ms = parseDurationText(text);
  const show = (n: number) => (n % 3_600_000 === 0 ? `${n / 3_600_000}h` : n % 1000 === 0 ? `${n / 1000}s` : `${n}ms`);
  if (ms === undefined) {
    problem(value.key, `${value.key}: "${value.value}" is not a duration; use e.g. 30s, 5m, 1h30m or 24h`);
    return undefined;
  }
  if (ms < min || ms > max) {
    problem(value.key, `${value.key}: ${text} is out of range; it must be between ${show(min)} and ${show(max)}`);
    return undefined;
  }
  return ms;
}

function parseDurationText(text: string): number | undefined {
  if (text === "0") return 0;
  if (text.length === 0 || text.length > 32) return undefined;
  let total = 0;
  const part = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/y;
  while (part.lastIndex < text.length) {
    const start = part.lastIndex;
    const match = part.exec(text);
    if (match === null || match.index !== start) return undefined;
    total += Number(match[1]) * durationUnits[match[2]!]!;
  }
  return Math.round(total);
}
