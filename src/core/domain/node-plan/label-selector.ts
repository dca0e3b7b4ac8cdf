import { InvalidPlanSpec } from "./invalid-plan-spec.js";
import type { LabelSelector, LabelSelectorOperator, LabelSelectorRequirement } from "./node-upgrade-plan.js";

const operators: ReadonlySet<string> = new Set<LabelSelectorOperator>(["In", "NotIn", "Exists", "DoesNotExist"]);
/** A label key: optional DNS-subdomain prefix and "/", then a name of at most 63 characters. */
const labelName = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const labelValue = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** Selects everything. */
export const everything: LabelSelector = { matchLabels: {}, matchExpressions: [] };

/** True when `key` is a valid label key (what the API server would accept). */
export function isLabelKey(key: string): boolean {
  const slash = key.lastIndexOf("/");
  if (slash === -1) return labelName.test(key);
  return dnsSubdomain.test(key.slice(0, slash)) && labelName.test(key.slice(slash + 1));
}

/**
 * Parses a LabelSelector as the API server and `metav1.LabelSelectorAsSelector` read it: unknown operators, In/NotIn
 * without values and Exists/DoesNotExist with values are refused, as are invalid keys and values. Absent: everything.
 */
export function parseLabelSelector(raw: unknown, field: string, reason = "InvalidNodeSelector"): LabelSelector {
  if (raw === undefined || raw === null) return everything;
  if (typeof raw !== "object" || Array.isArray(raw)) throw new InvalidPlanSpec(reason, field, "must be an object with matchLabels and/or matchExpressions");
  const { matchLabels, matchExpressions } = raw as { matchLabels?: unknown; matchExpressions?: unknown };
  const labels: Record<string, string> = {};
  if (matchLabels !== undefined && matchLabels !== null) {
    if (typeof matchLabels !== "object" || Array.isArray(matchLabels)) throw new InvalidPlanSpec(reason, `${field}.matchLabels`, "must be a map of label to value");
    for (const [key, value] of Object.entries(matchLabels)) {
      if (!isLabelKey(key)) throw new InvalidPlanSpec(reason, `${field}.matchLabels`, `${JSON.stringify(key)} is not a valid label key`);
      if (typeof value !== "string" || !labelValue.test(value)) {
        throw new InvalidPlanSpec(reason, `${field}.matchLabels.${key}`, `${JSON.stringify(value)} is not a valid label value`);
      }
      labels[key] = value;
    }
  }
  const expressions: LabelSelectorRequirement[] = [];
  if (matchExpressions !== undefined && matchExpressions !== null) {
    if (!Array.isArray(matchExpressions)) throw new InvalidPlanSpec(reason, `${field}.matchExpressions`, "must be a list");
    matchExpressions.forEach((entry: unknown, index) => {
      expressions.push(parseRequirement(entry, `${field}.matchExpressions[${index}]`, reason));
    });
  }
  return { matchLabels: labels, matchExpressions: expressions };
}

function parseRequirement(entry: unknown, field: string, reason: string): LabelSelectorRequirement {
  if (typeof entry !== "object" || entry === null) throw new InvalidPlanSpec(reason, field, "must be {key, operator, values}");
  const { key, operator, values } = entry as { key?: unknown; operator?: unknown; values?: unknown };
  if (typeof key !== "string" || !isLabelKey(key)) throw new InvalidPlanSpec(reason, `${field}.key`, `${JSON.stringify(key)} is not a valid label key`);
  if (typeof operator !== "string" || !operators.has(operator)) {
    throw new InvalidPlanSpec(reason, `${field}.operator`, `${JSON.stringify(operator)} is not one of In, NotIn, Exists, DoesNotExist`);
  }
  const list = values === undefined || values === null ? [] : values;
  if (!Array.isArray(list) || list.some((value) => typeof value !== "string" || !labelValue.test(value))) {
    throw new InvalidPlanSpec(reason, `${field}.values`, "must be a list of valid label values");
  }
  if ((operator === "In" || operator === "NotIn") && list.length === 0) {
    throw new InvalidPlanSpec(reason, `${field}.values`, `operator ${operator} needs at least one value`);
  }
  if ((operator === "Exists" || operator === "DoesNotExist") && list.length > 0) {
    throw new InvalidPlanSpec(reason, `${field}.values`, `operator ${operator} takes no values`);
  }
  return { key, operator: operator as LabelSelectorOperator, values: list as string[] };
}

/** True when the labels satisfy every matchLabels entry and every expression. */
export function matchesLabelSelector(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels)) {
    if (labels[key] !== value) return false;
  }
  return selector.matchExpressions.every((requirement) => {
    const has = Object.hasOwn(labels, requirement.key);
    const value = labels[requirement.key];
    switch (requirement.operator) {
      case "In":
        return has && requirement.values.includes(value as string);
      case "NotIn":
        return !has || !requirement.values.includes(value as string);
      case "Exists":
        return has;
      case "DoesNotExist":
        return !has;
    }
    return false;
  });
}
