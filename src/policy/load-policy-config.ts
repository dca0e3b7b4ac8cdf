import { isRecord, parseConfigDocument, unknownFields } from "../auth/config-document.js";
import { ConfigError } from "../config/config-error.js";
import { parseDuration } from "../config/duration.js";
import { loadConfigFile, type ReadText, readTextFile } from "../config/load-config-file.js";
import { type ApprovalPolicy, maxApprovers } from "../core/domain/approval-policy.js";
import { validateClassifier } from "../core/domain/classifier.js";
import { isDomainError } from "../core/domain/domain-error.js";
import type { FrozenNewUpdates } from "../core/domain/freeze.js";
import type { WindowPolicy } from "../core/domain/window-policy.js";
import { type AlertGatesConfig, parseAlertGates, parseWindowPolicies, type ScopeChecks } from "./parse-gate-policies.js";
import { optionalStringList } from "./optional-string-list.js";

/** What UPDATE_MANAGER_POLICIES_FILE holds. */
export interface PolicyConfig {
  readonly approvals: readonly ApprovalPolicy[];
  /** The deadline of an approval the `<prefix>/approvals` annotation asks for. Default: 24 h. */
  readonly approvalDeadlineMs: number;
  /** New updates while frozen. Default: "refuse". */
  readonly frozenNewUpdates: FrozenNewUpdates;
  /** Time windows of updates and node plans. Default: none (always open). */
  readonly windows: readonly WindowPolicy[];
  /** The alert gate: Prometheus and its policies. Default: none. */
  readonly alertGates: AlertGatesConfig;
}

export const defaultPolicyConfig: PolicyConfig = {
  approvals: [],
  approvalDeadlineMs: 24 * 3_600_000,
  frozenNewUpdates: "refuse",
  windows: [],
  alertGates: { policies: [] },
};

/** The variable `loadPolicyConfig` reads (a YAML or JSON file, e.g. a mounted ConfigMap). */
export const policyVariables = ["UPDATE_MANAGER_POLICIES_FILE"] as const;

const namespacePattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const maxDeadlineMs = 30 * 24 * 3_600_000;

/**
 * Loads UPDATE_MANAGER_POLICIES_FILE (unset: no policies, new updates refused while frozen):
 *
 * ```yaml
 * approvals:
 *   defaultDeadline: 24h          # for updates the <prefix>/approvals annotation asks approval for
 *   policies:
 *     - name: production          # required, unique
 *       classifiers: [shop]       # optional: any classifier when left out
 *       namespaces: [shop-prod]   # optional: any namespace when left out
 *       approvers: 2              # required, 1..10 distinct principals other than the requester
 *       deadline: 24h             # optional, default approvals.defaultDeadline
 * freeze:
 *   newUpdates: refuse            # or queue: held until unfrozen
 * windows:                        # an update (or node plan) starts only while every window that applies is open
 *   - name: office-hours          # required, unique
 *     classifiers: [shop]         # optional; classifiers, namespaces and plans all left out: applies to everything
 *     namespaces: [shop-prod]     # optional
 *     plans: [kernel]             # optional: node upgrade plans it applies to
 *     days: [mon, tue, wed, thu, fri]   # optional, every day when left out
 *     startTime: "09:00"          # required; an end before the start spans midnight
 *     endTime: "17:00"            # required
 *     timeZone: Europe/Berlin     # an IANA time zone, default UTC
 *     outside: wait               # or refuse
 * alertGates:
 *   prometheus:
 *     url: http://prometheus.monitoring:9090   # required with policies
 *     timeout: 5s                 # per query, default 5s
 *   policies:
 *     - name: no-pages            # required, unique
 *       classifiers: [shop]       # optional
 *       namespaces: [shop-prod]   # optional
 *       query: 'ALERTS{alertstate="firing",severity="page"}'  # required: must return nothing
 *       whenFiring: wait          # or fail
 *       onQueryError: closed      # counts as firing (default), or open
 *       recheckInterval: 30s      # while waiting, default 30s
 * ```
 *
 * @throws ConfigError listing every problem.
 */
export function loadPolicyConfig(
  env: Readonly<Record<string, string | undefined>>,
  readText: ReadText = readTextFile,
): PolicyConfig {
  const config = loadConfigFile(
    env,
    "UPDATE_MANAGER_POLICIES_FILE",
    (document, { source }) => {
      const parsed = checkPolicyDocument(document, source);
      if ("problems" in parsed) throw new ConfigError(parsed.problems);
      return parsed.config;
    },
    // Worded as the other variables naming one file (API keys, OIDC), not as the webhooks and notifications files.
    { readText, cannotRead: ({ variable, path }, reason) => `${variable}: cannot read ${path}: ${reason}` },
  );
  return config ?? defaultPolicyConfig;
}

/** Parses a policies document; every problem is collected, each naming `source` and where. */
export function parsePolicyConfig(text: string, source: string): { config: PolicyConfig } | { problems: string[] } {
  const document = parseConfigDocument(text, source);
  if ("problem" in document) return { problems: [document.problem] };
  return checkPolicyDocument(document.value, source);
}

function checkPolicyDocument(root: Record<string, unknown>, source: string): { config: PolicyConfig } | { problems: string[] } {
  const problems: string[] = [];
  const unknownRoot = unknownFields(root, ["approvals", "freeze", "windows", "alertGates"], source);
  if (unknownRoot !== undefined) problems.push(unknownRoot);

  const duration = (value: unknown, where: string, fallback: number): number => {
    if (value === undefined) return fallback;
    const ms = typeof value === "string" ? parseDuration(value) : undefined;
    if (ms === undefined || ms <= 0 || ms > maxDeadlineMs) {
      problems.push(`${where} must be a duration such as "24h" or "90m", at most 720h`);
      return fallback;
    }
    return ms;
  };

  let approvalDeadlineMs = defaultPolicyConfig.approvalDeadlineMs;
  const approvals: ApprovalPolicy[] = [];
  const rawApprovals = root["approvals"];
  if (rawApprovals !== undefined) {
    if (!isRecord(rawApprovals)) problems.push(`${source}: "approvals" must be a mapping`);
    else {
      const unknown = unknownFields(rawApprovals, ["defaultDeadline", "policies"], `${source} approvals`);
      if (unknown !== undefined) problems.push(unknown);
      approvalDeadlineMs = duration(rawApprovals["defaultDeadline"], `${source} approvals.defaultDeadline`, approvalDeadlineMs);
      const list = rawApprovals["policies"] ?? [];
      if (!Array.isArray(list)) problems.push(`${source}: "approvals.policies" must be a list`);
      else {
        const names = new Set<string>();
        list.forEach((raw: unknown, index) => {
          const where = `${source} approvals.policies[${index}]`;
          if (!isRecord(raw)) {
            problems.push(`${where} must be a mapping`);
            return;
          }
          const before = problems.length;
          const unknownPolicy = unknownFields(raw, ["name", "classifiers", "namespaces", "approvers", "deadline"], where);
          if (unknownPolicy !== undefined) problems.push(unknownPolicy);
          const name = raw["name"];
          if (typeof name !== "string" || name.trim() === "") problems.push(`${where}: "name" is required`);
          else if (names.has(name)) problems.push(`${where}: the name ${JSON.stringify(name)} is used twice`);
          else names.add(name);
          const approvers = raw["approvers"];
          if (typeof approvers !== "number" || !Number.isInteger(approvers) || approvers < 1 || approvers > maxApprovers) {
            problems.push(`${where}: "approvers" must be a whole number from 1 to ${maxApprovers}`);
          }
          const classifiers = optionalStringList(raw, "classifiers", where, problems, classifierProblem);
          const namespaces = optionalStringList(raw, "namespaces", where, problems, namespaceProblem);
          const deadlineMs = duration(raw["deadline"], `${where} deadline`, approvalDeadlineMs);
          if (problems.length > before) return;
          approvals.push({
            name: name as string,
            approvers: approvers as number,
            deadlineMs,
            ...(classifiers === undefined ? {} : { classifiers }),
            ...(namespaces === undefined ? {} : { namespaces }),
          });
        });
      }
    }
  }

  let frozenNewUpdates = defaultPolicyConfig.frozenNewUpdates;
  const rawFreeze = root["freeze"];
  if (rawFreeze !== undefined) {
    if (!isRecord(rawFreeze)) problems.push(`${source}: "freeze" must be a mapping`);
    else {
      const unknown = unknownFields(rawFreeze, ["newUpdates"], `${source} freeze`);
      if (unknown !== undefined) problems.push(unknown);
      const newUpdates = rawFreeze["newUpdates"];
      if (newUpdates === "refuse" || newUpdates === "queue") frozenNewUpdates = newUpdates;
      else if (newUpdates !== undefined) problems.push(`${source} freeze.newUpdates must be "refuse" or "queue"`);
    }
  }
  const scopeChecks: ScopeChecks = { classifier: classifierProblem, namespace: namespaceProblem };
  const windows = parseWindowPolicies(root["windows"], source, scopeChecks, problems);
  const alertGates = parseAlertGates(root["alertGates"], source, scopeChecks, problems);
  if (problems.length > 0) return { problems };
  return { config: { approvals, approvalDeadlineMs, frozenNewUpdates, windows, alertGates } };
}

function classifierProblem(value: string): string | undefined {
  try {
    validateClassifier(value);
    return undefined;
  } catch (error) {
    if (isDomainError(error)) return error.message;
    throw error;
  }
}

function namespaceProblem(value: string): string | undefined {
  return value.length <= 63 && namespacePattern.test(value) ? undefined : `${JSON.stringify(value)} is not a namespace name`;
}
