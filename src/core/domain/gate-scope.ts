import type { UpdatePlan } from "./update.js";

/** Which updates a gate policy applies to: a list left out matches anything. */
export interface GateScope {
  /** Undefined: any classifier. */
  readonly classifiers?: readonly string[];
  /** Undefined: any namespace. */
  readonly namespaces?: readonly string[];
}

/** The namespaces an update changes: of the workloads it changes and the migrations it runs. */
export function changedNamespaces(plan: UpdatePlan): Set<string> {
  return new Set([
    ...plan.workloads.filter((workload) => !workload.unchanged).map((workload) => workload.workload.namespace),
    ...plan.migrations.map((migration) => migration.template.namespace),
  ]);
}

/** True when the policy applies to an update of `classifier` that changes `namespaces` (any one of them matching). */
export function inGateScope(scope: GateScope, classifier: string, namespaces: ReadonlySet<string>): boolean {
  if (scope.classifiers !== undefined && !scope.classifiers.includes(classifier)) return false;
  if (scope.namespaces !== undefined && !scope.namespaces.some((namespace) => namespaces.has(namespace))) return false;
  return true;
}
