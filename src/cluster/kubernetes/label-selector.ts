import type { V1LabelSelector } from "@kubernetes/client-node";

/**
 * A LabelSelector in the query syntax of `?labelSelector=` (`app=web,tier in (a,b),!legacy`).
 * An empty selector selects everything and yields "".
 */
export function formatLabelSelector(selector: V1LabelSelector | undefined): string {
  const terms: string[] = [];
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    terms.push(`${key}=${value}`);
  }
  for (const requirement of selector?.matchExpressions ?? []) {
    const values = [...(requirement.values ?? [])].sort().join(",");
    switch (requirement.operator) {
      case "In":
        terms.push(`${requirement.key} in (${values})`);
        break;
      case "NotIn":
        terms.push(`${requirement.key} notin (${values})`);
        break;
      case "Exists":
        terms.push(requirement.key);
        break;
      case "DoesNotExist":
        terms.push(`!${requirement.key}`);
        break;
      default:
        throw new Error(`unknown label selector operator ${JSON.stringify(requirement.operator)}`);
    }
  }
  return terms.join(",");
}
