import { parseDuration } from "../go-duration.js";
import { InvalidPlanSpec } from "./invalid-plan-spec.js";
import { parseLabelSelector } from "./label-selector.js";
import {
  type DrainOptions,
  defaultDrainTimeoutMs,
  defaultJobActiveDeadlineSecs,
  type HostVolume,
  type NodeUpgradePlanSpec,
  type PassThrough,
  type PlanContainer,
  type PlanSecret,
  secretsMountRoot,
} from "./node-upgrade-plan.js";
import { parsePlanWindow } from "./time-window.js";

/** What `parseNodePlan` concluded: the spec with every default applied, or why the plan is not valid. */
export type ParsedNodePlan =
  | { readonly valid: true; readonly spec: NodeUpgradePlanSpec }
  | { readonly valid: false; readonly reason: string; readonly field: string; readonly message: string };

/** The plan's name becomes the name part of a node label key (`plan.<prefix>/<name>`), at most 63 characters. */
export const maxPlanNameLength = 63;
const versionTag = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const secretName = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/**
 * Reads a NodeUpgradePlan's spec (the Plan v1 fields, as the CRD stores them) and applies the seed's defaults:
 * concurrency 1, jobActiveDeadlineSecs 600, and with `drain` set, ignoreDaemonSets and deleteEmptydirData
 * (deleteLocalData) true. Never throws: bad input is the Validated=False result, and such a plan runs nothing.
 */
export function parseNodePlan(name: string, raw: unknown): ParsedNodePlan {
  try {
    if (name.length > maxPlanNameLength) {
      throw new InvalidPlanSpec(
        "NameTooLong",
        "metadata.name",
        `${name.length} characters; a plan's name is part of the node label plan.<prefix>/<name> and may have at most ${maxPlanNameLength}`,
      );
    }
    return { valid: true, spec: parseSpec(raw) };
  } catch (error) {
    if (!(error instanceof InvalidPlanSpec)) throw error;
    return { valid: false, reason: error.reason, field: error.field, message: error.message };
  }
}

function parseSpec(raw: unknown): NodeUpgradePlanSpec {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new InvalidPlanSpec("InvalidSpec", "spec", "must be an object");
  const spec = raw as Record<string, unknown>;
  const concurrency = spec["concurrency"] ?? 1;
  if (typeof concurrency !== "number" || !Number.isInteger(concurrency) || concurrency < 1) {
    throw new InvalidPlanSpec("InvalidConcurrency", "spec.concurrency", `must be a whole number of at least 1, got ${JSON.stringify(concurrency)}`);
  }
  const version = optionalString(spec["version"], "spec.version");
  const channel = optionalString(spec["channel"], "spec.channel");
  if (version === "" && channel === "") {
    throw new InvalidPlanSpec("MissingVersion", "spec", "set version, or channel (a URL answering 302 with the latest version in Location)");
  }
  if (version !== "" && !versionTag.test(mungeVersion(version))) {
    throw new InvalidPlanSpec("InvalidVersion", "spec.version", `${JSON.stringify(version)} cannot be an image tag`);
  }
  if (version === "" && !isHttpUrl(channel)) {
    throw new InvalidPlanSpec("InvalidChannel", "spec.channel", `${JSON.stringify(channel)} is not an http(s) URL`);
  }
  if (spec["upgrade"] === undefined || spec["upgrade"] === null) {
    throw new InvalidPlanSpec("MissingUpgrade", "spec.upgrade", "is required: the container that upgrades the node");
  }
  const drain = parseDrain(spec["drain"]);
  const jobActiveDeadlineSecs = spec["jobActiveDeadlineSecs"] ?? defaultJobActiveDeadlineSecs;
  if (typeof jobActiveDeadlineSecs !== "number" || !Number.isInteger(jobActiveDeadlineSecs) || jobActiveDeadlineSecs < 0) {
    throw new InvalidPlanSpec("InvalidJobDeadline", "spec.jobActiveDeadlineSecs", `must be a whole number of seconds, 0 or more (0: none), got ${JSON.stringify(jobActiveDeadlineSecs)}`);
  }
  return {
    concurrency,
    nodeSelector: parseLabelSelector(spec["nodeSelector"], "spec.nodeSelector"),
    serviceAccountName: optionalString(spec["serviceAccountName"], "spec.serviceAccountName"),
    channel,
    version,
    secrets: list(spec["secrets"], "spec.secrets").map((entry, index) => parseSecret(entry, `spec.secrets[${index}]`)),
    prepare: spec["prepare"] === undefined || spec["prepare"] === null ? undefined : parseContainer(spec["prepare"], "spec.prepare"),
    upgrade: parseContainer(spec["upgrade"], "spec.upgrade"),
    cordon: optionalBoolean(spec["cordon"], "spec.cordon", false) || drain !== undefined,
    drain,
    tolerations: objects(spec["tolerations"], "spec.tolerations"),
    exclusive: optionalBoolean(spec["exclusive"], "spec.exclusive", false),
    window: parsePlanWindow(spec["window"]),
    jobActiveDeadlineSecs,
    postCompleteDelayMs: parseDurationField(spec["postCompleteDelay"], "spec.postCompleteDelay", 0, "InvalidDelay"),
    imagePullSecrets: list(spec["imagePullSecrets"], "spec.imagePullSecrets").map((entry, index) => {
      const secret = (entry as { name?: unknown } | null)?.name;
      if (typeof secret !== "string" || !secretName.test(secret)) throw new InvalidPlanSpec("InvalidSpec", `spec.imagePullSecrets[${index}].name`, "must be a Secret name");
      return secret;
    }),
    priorityClassName: optionalString(spec["priorityClassName"], "spec.priorityClassName"),
  };
}

/** The seed's munging of a resolved version into an image tag: "+" (semver build metadata) becomes "-". */
export function mungeVersion(version: string): string {
  return version.replaceAll("+", "-");
}

/** True when the (munged) version can be an image tag. */
export function isVersionTag(version: string): boolean {
  return versionTag.test(mungeVersion(version));
}

function parseDrain(raw: unknown): DrainOptions | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "object" || Array.isArray(raw)) throw new InvalidPlanSpec("InvalidDrain", "spec.drain", "must be an object");
  const drain = raw as Record<string, unknown>;
  if (drain["deleteEmptydirData"] !== undefined && drain["deleteLocalData"] !== undefined) {
    throw new InvalidPlanSpec("InvalidDrain", "spec.drain", "cannot specify both deleteEmptydirData and deleteLocalData (its old name)");
  }
  const grace = drain["gracePeriod"];
  if (grace !== undefined && grace !== null && (typeof grace !== "number" || !Number.isInteger(grace))) {
    throw new InvalidPlanSpec("InvalidDrain", "spec.drain.gracePeriod", "must be whole seconds");
  }
  const skip = drain["skipWaitForDeleteTimeout"] ?? 0;
  if (typeof skip !== "number" || !Number.isInteger(skip) || skip < 0) {
    throw new InvalidPlanSpec("InvalidDrain", "spec.drain.skipWaitForDeleteTimeout", "must be whole seconds, 0 or more");
  }
  return {
    force: optionalBoolean(drain["force"], "spec.drain.force", false),
    ignoreDaemonSets: optionalBoolean(drain["ignoreDaemonSets"], "spec.drain.ignoreDaemonSets", true),
    deleteEmptydirData: optionalBoolean(drain["deleteEmptydirData"] ?? drain["deleteLocalData"], "spec.drain.deleteEmptydirData", true),
    timeoutMs: parseDrainTimeout(drain["timeout"]),
    skipWaitForDeleteTimeoutSeconds: skip,
    podSelector:
      drain["podSelector"] === undefined || drain["podSelector"] === null
        ? undefined
        : parseLabelSelector(drain["podSelector"], "spec.drain.podSelector", "InvalidDrain"),
    gracePeriodSeconds: typeof grace === "number" && grace >= 0 ? grace : undefined,
    disableEviction: optionalBoolean(drain["disableEviction"], "spec.drain.disableEviction", false),
  };
}

/** A Go duration string, or (as the seed's IntOrString) a number of nanoseconds. 0 or absent: the default. */
function parseDrainTimeout(raw: unknown): number {
  if (typeof raw === "number") {
    if (!Number.isInteger(raw) || raw < 0) throw new InvalidPlanSpec("InvalidDrain", "spec.drain.timeout", "must be a duration such as 5m, or nanoseconds");
    return raw === 0 ? defaultDrainTimeoutMs : Math.max(1, Math.round(raw / 1e6));
  }
  const ms = parseDurationField(raw, "spec.drain.timeout", defaultDrainTimeoutMs, "InvalidDrain");
  return ms === 0 ? defaultDrainTimeoutMs : ms;
}

function parseDurationField(raw: unknown, field: string, fallback: number, reason: string): number {
  if (raw === undefined || raw === null || raw === "") return fallback;
  const ms = typeof raw === "string" ? parseDuration(raw) : undefined;
  if (ms === undefined) throw new InvalidPlanSpec(reason, field, `${JSON.stringify(raw)} is not a duration such as 30s or 5m (negative durations are refused)`);
  return ms;
}

function parseSecret(raw: unknown, field: string): PlanSecret {
  if (typeof raw !== "object" || raw === null) throw new InvalidPlanSpec("InvalidSecret", field, "must be {name, path}");
  const { name, path, ignoreUpdates } = raw as Record<string, unknown>;
  if (typeof name !== "string" || !secretName.test(name)) throw new InvalidPlanSpec("InvalidSecret", `${field}.name`, `${JSON.stringify(name)} is not a Secret name`);
  const given = optionalString(path, `${field}.path`);
  const mountPath = given === "" ? `${secretsMountRoot}/${name}` : given.startsWith("/") ? given : `${secretsMountRoot}/${given}`;
  return { name, path: mountPath, ignoreUpdates: optionalBoolean(ignoreUpdates, `${field}.ignoreUpdates`, false) };
}

function parseContainer(raw: unknown, field: string): PlanContainer {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new InvalidPlanSpec("InvalidContainer", field, "must be {image, command, args, ...}");
  const container = raw as Record<string, unknown>;
  const image = container["image"];
  if (typeof image !== "string" || image.trim() === "" || /\s/.test(image)) {
    throw new InvalidPlanSpec("InvalidContainer", `${field}.image`, "is required: an image reference, with or without a tag");
  }
  return {
    image,
    command: strings(container["command"], `${field}.command`),
    args: strings(container["args"], `${field}.args`),
    // Plan v1 spells it `envs`; `env` as in a Pod is accepted too.
    env: objects(container["envs"] ?? container["env"], `${field}.envs`),
    envFrom: objects(container["envFrom"], `${field}.envFrom`),
    volumes: list(container["volumes"], `${field}.volumes`).map((entry, index) => parseVolume(entry, `${field}.volumes[${index}]`)),
  };
}

function parseVolume(raw: unknown, field: string): HostVolume {
  const { name, source, destination } = (raw ?? {}) as Record<string, unknown>;
  if (typeof name !== "string" || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) throw new InvalidPlanSpec("InvalidContainer", `${field}.name`, "must be a DNS-1123 label");
  if (typeof source !== "string" || !source.startsWith("/")) throw new InvalidPlanSpec("InvalidContainer", `${field}.source`, "must be an absolute host path");
  if (typeof destination !== "string" || !destination.startsWith("/")) throw new InvalidPlanSpec("InvalidContainer", `${field}.destination`, "must be an absolute path");
  return { name, source, destination };
}

function list(raw: unknown, field: string): readonly unknown[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new InvalidPlanSpec("InvalidSpec", field, "must be a list");
  return raw;
}

function strings(raw: unknown, field: string): readonly string[] {
  const entries = list(raw, field);
  if (entries.some((entry) => typeof entry !== "string")) throw new InvalidPlanSpec("InvalidContainer", field, "must be a list of strings");
  return entries as string[];
}

function objects(raw: unknown, field: string): readonly PassThrough[] {
  const entries = list(raw, field);
  if (entries.some((entry) => typeof entry !== "object" || entry === null || Array.isArray(entry))) throw new InvalidPlanSpec("InvalidSpec", field, "must be a list of objects");
  return entries as PassThrough[];
}

function optionalString(raw: unknown, field: string): string {
  if (raw === undefined || raw === null) return "";
  if (typeof raw !== "string") throw new InvalidPlanSpec("InvalidSpec", field, "must be a string");
  return raw;
}

function optionalBoolean(raw: unknown, field: string, fallback: boolean): boolean {
  if (raw === undefined || raw === null) return fallback;
  if (typeof raw !== "boolean") throw new InvalidPlanSpec("InvalidSpec", field, "must be true or false");
  return raw;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}
