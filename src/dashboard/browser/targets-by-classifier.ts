import type { Target } from "../../../gen/updatemanager/v1/workload_pb.js";

/** The targets that opted in with one classifier. */
export interface ClassifierGroup {
  readonly classifier: string;
  /** In the order the server listed them (namespace, kind, name). */
  readonly targets: readonly Target[];
}

/**
 * Groups targets by classifier, sorted by classifier, keeping only classifiers that contain `filter`
 * (trimmed, case-insensitive; empty keeps all).
 */
export function groupTargetsByClassifier(targets: readonly Target[], filter: string): ClassifierGroup[] {
  const needle = filter.trim().toLowerCase();
  const groups = new Map<string, Target[]>();
  for (const target of targets) {
    if (!target.classifier.toLowerCase().includes(needle)) continue;
    const group = groups.get(target.classifier);
    if (group === undefined) groups.set(target.classifier, [target]);
    else group.push(target);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([classifier, grouped]) => ({ classifier, targets: grouped }));
}
