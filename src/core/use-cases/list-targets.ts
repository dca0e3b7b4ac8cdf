import { DomainError } from "../domain/domain-error.js";
import { workloadClassifier } from "../domain/classifier.js";
import { gitOpsWarnings } from "../domain/gitops-warnings.js";
import { parseImageReference, sameRepository, tryParseImageReference } from "../domain/image-reference.js";
import { judgeRollout } from "../domain/judge-rollout.js";
import { isMigrationTemplate, templateWarnings } from "../domain/migration-template.js";
import { migrationOrder } from "../domain/migration-order.js";
import type { TargetView } from "../domain/target-view.js";
import { type Workload, toRef } from "../domain/workload.js";
import type { Page } from "../ports/update-store.js";
import { compareRefs, notGateableWarning } from "./plan-update.js";
import { resolvePageSize } from "./page-size.js";
import { decodeTargetPageToken, encodeTargetPageToken } from "./target-page-token.js";
import type { UpdateEngineDeps } from "./update-engine-deps.js";
import type { ResolvedUpdateEngineOptions } from "./update-engine-options.js";

export interface ListTargetsQuery {
  /** Only targets opted in with this classifier. */
  readonly classifier?: string;
  /** Only targets with a container of this repository (any reference form; compared normalised). */
  readonly repository?: string;
  /** Only targets in this namespace. */
  readonly namespace?: string;
  /** Default 100, at most 500. */
  readonly pageSize?: number;
  readonly pageToken?: string;
}

export const defaultTargetPageSize = 100;
export const maxTargetPageSize = 500;

export type ListTargets = (query: ListTargetsQuery) => Page<TargetView>;

/** Lists opted-in objects from the cluster cache (never the API server), ordered namespace, kind, name. */
export function createListTargets(
  deps: Pick<UpdateEngineDeps, "cluster" | "locks" | "keys">,
  options: Pick<ResolvedUpdateEngineOptions, "legacyAnnotation">,
): ListTargets {
  return (query) => {
    const pageSize = resolvePageSize(query.pageSize, defaultTargetPageSize, maxTargetPageSize);
    const after = query.pageToken ? decodeTargetPageToken(query.pageToken) : undefined;
    const repository = query.repository ? parseImageReference(query.repository, "repository") : undefined;
    if (!deps.cluster.isSynced()) {
      throw new DomainError(
        "unavailable",
        "CACHE_NOT_SYNCED",
        "the manager's cluster caches have not synced yet; retry in a few seconds",
      );
    }

    const views: TargetView[] = [];
    for (const workload of deps.cluster.listWorkloads()) {
      const classifier = workloadClassifier(workload, deps.keys, options.legacyAnnotation);
      if (classifier === undefined) continue;
      if (query.classifier && classifier !== query.classifier) continue;
      if (query.namespace && workload.ref.namespace !== query.namespace) continue;
      if (repository !== undefined && !hasRepository(workload, repository)) continue;
      views.push(toTargetView(workload, classifier));
    }
    views.sort((a, b) => compareRefs(a.workload, b.workload));

    const rest = after === undefined ? views : views.filter((view) => compareRefs(view.workload, after) > 0);
    const items = rest.slice(0, pageSize);
    const last = items[items.length - 1];
    return {
      items,
      nextPageToken: rest.length > pageSize && last !== undefined ? encodeTargetPageToken(last.workload) : "",
    };
  };

  function toTargetView(workload: Workload, classifier: string): TargetView {
    const warnings = gitOpsWarnings(workload.fieldManagers);
    const rollout = judgeRollout(workload);
    if (rollout.state === "not-gateable") warnings.push(notGateableWarning);
    const busyUpdateId = deps.locks.holder(workload.ref);
    if (!isMigrationTemplate(workload)) {
      return {
        workload: toRef(workload.ref),
        role: "workload",
        classifier,
        containers: workload.containers,
        rollout,
        warnings,
        ...(busyUpdateId === undefined ? {} : { busyUpdateId }),
      };
    }
    const order = migrationOrder(workload, deps.keys);
    if (order.warning !== undefined) warnings.push(order.warning);
    warnings.push(...templateWarnings(workload));
    return {
      workload: toRef(workload.ref),
      role: "migration",
      classifier,
      containers: workload.containers,
      rollout,
      warnings,
      ...(busyUpdateId === undefined ? {} : { busyUpdateId }),
      ...(order.order === undefined ? {} : { migrationOrder: order.order }),
    };
  }
}

function hasRepository(workload: Workload, repository: ReturnType<typeof parseImageReference>): boolean {
  return workload.containers.some((container) => {
    const ref = tryParseImageReference(container.image);
    return ref !== undefined && sameRepository(ref, repository);
  });
}
