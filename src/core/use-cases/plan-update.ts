import { hasClassifier } from "../domain/classifier.js";
import { gitOpsWarnings } from "../domain/gitops-warnings.js";
import { type ImageReference, sameImage, sameRepository, tryParseImageReference } from "../domain/image-reference.js";
import type { MetadataKeys } from "../domain/metadata-keys.js";
import { migrationJobName } from "../domain/migration-job-name.js";
import { migrationOrder } from "../domain/migration-order.js";
import { isMigrationTemplate, templateWarnings } from "../domain/migration-template.js";
import type { ContainerChange, PlannedMigration, PlannedWorkload, UpdatePlan } from "../domain/update.js";
import { sameWorkload, type Workload, type WorkloadRef, toRef } from "../domain/workload.js";

export interface PlanUpdateInput {
  /** The new image as requested (trimmed): what is written into the matching containers. */
  readonly image: string;
  /** `image`, parsed: matching compares normalised repositories. */
  readonly reference: ImageReference;
  readonly classifier: string;
  /** The update's id, from which migration Job names derive; "" for a dry run (names are left empty). */
  readonly updateId: string;
  /** The cached opted-in objects: every one, or those using the image's repository (ClusterPort.listWorkloadsUsing). */
  readonly workloads: readonly Workload[];
  readonly keys: MetadataKeys;
  /** Whether the legacy classifier annotation opts objects in. */
  readonly legacyAnnotation: boolean;
  /** (registry watching): plan only these workloads; migration templates are unaffected. Default: all. */
  readonly onlyWorkloads?: readonly WorkloadRef[];
}

/** A workload the update would have to change but must not. */
export interface NotUpdatable {
  readonly workload: WorkloadRef;
  readonly reason: string;
}

export interface PlanUpdateResult {
  readonly plan: UpdatePlan;
  /** Workloads with changes that cannot be rolled out (a paused Deployment): the update is refused. */
  readonly notUpdatable: readonly NotUpdatable[];
}

export const notGateableWarning = "not gateable: rollout cannot be health-checked";

/**
 * Resolves the targets of an update from the cache, without side effects.
 *
 * - Targets are objects opted in with the classifier that have a container (init containers
 *   included) whose normalised repository equals the image's exactly; `shop/web` never matches
 *   `shop/web-admin`.
 * - Deployments, StatefulSets and DaemonSets roll out; a CronJob gets the image in its job
 *   template. Only matching containers change; one already on the image is unchanged.
 * - Jobs (and suspended CronJobs) are migration templates, run as copies before any workload
 *   changes; a Job that is not suspended still serves, with a warning (it ran once by itself).
 * - A StatefulSet or DaemonSet with the OnDelete strategy is patched but cannot be health-gated
 *   (its pods change only when deleted), so it counts as healthy once patched; the plan warns.
 * - Workloads are ordered by namespace, kind and name; migrations by explicit order, then
 *   namespace and name.
 */
export function planUpdate(input: PlanUpdateInput): PlanUpdateResult {
  const warnings: string[] = [];
  const workloads: PlannedWorkload[] = [];
  const migrations: (PlannedMigration & { readonly explicit: boolean })[] = [];
  const notUpdatable: NotUpdatable[] = [];

  for (const workload of input.workloads) {
    if (!hasClassifier(workload, input.classifier, input.keys, input.legacyAnnotation)) continue;
    const containers = matchingContainers(workload, input.image, input.reference);
    if (containers.length === 0) continue;
    const { kind, namespace, name } = workload.ref;

    if (isMigrationTemplate(workload)) {
      warnings.push(...templateWarnings(workload));
      const order = migrationOrder(workload, input.keys);
      if (order.warning !== undefined) warnings.push(order.warning);
      migrations.push({
        template: toRef(workload.ref),
        jobName: input.updateId === "" ? "" : migrationJobName(input.updateId, workload.ref),
        containers,
        order: order.order ?? 0,
        explicit: order.order !== undefined,
      });
      continue;
    }

    if (input.onlyWorkloads !== undefined && !input.onlyWorkloads.some((ref) => sameWorkload(ref, workload.ref))) continue;
    const unchanged = containers.every((container) => container.unchanged);
    const workloadWarnings = gitOpsWarnings(workload.fieldManagers);
    if ((kind === "StatefulSet" || kind === "DaemonSet") && workload.rollout.strategy === "OnDelete") {
      workloadWarnings.push(notGateableWarning);
    }
    if (kind === "Deployment" && workload.rollout.paused === true) {
      const reason = `Deployment ${namespace}/${name} is paused: resume it (kubectl rollout resume deployment/${name}) before updating it`;
      workloadWarnings.push(reason);
      if (!unchanged) notUpdatable.push({ workload: toRef(workload.ref), reason });
    }
    workloads.push({ workload: toRef(workload.ref), containers, unchanged, warnings: workloadWarnings });
  }

  workloads.sort((a, b) => compareRefs(a.workload, b.workload));
  migrations.sort(compareMigrations);

  if (migrations.length > 0 && workloads.length > 0 && workloads.every((workload) => workload.unchanged)) {
    warnings.push("every workload already runs the image: migrations are not run");
  }

  return {
    plan: {
      migrations: migrations.map(({ explicit: _explicit, ...migration }) => migration),
      workloads,
      warnings,
    },
    notUpdatable,
  };
}

/** The containers whose image belongs to the update's repository, with their change. */
function matchingContainers(workload: Workload, image: string, reference: ImageReference): ContainerChange[] {
  const changes: ContainerChange[] = [];
  for (const container of workload.containers) {
    const current = tryParseImageReference(container.image);
    if (current === undefined || !sameRepository(current, reference)) continue;
    changes.push({
      name: container.name,
      init: container.init,
      currentImage: container.image,
      newImage: image,
      unchanged: sameImage(current, reference),
    });
  }
  return changes;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Namespace, kind, name: the order targets are listed and rolled out in. */
export function compareRefs(a: WorkloadRef, b: WorkloadRef): number {
  return compareText(a.namespace, b.namespace) || compareText(a.kind, b.kind) || compareText(a.name, b.name);
}

function compareMigrations(
  a: PlannedMigration & { readonly explicit: boolean },
  b: PlannedMigration & { readonly explicit: boolean },
): number {
  if (a.explicit !== b.explicit) return a.explicit ? -1 : 1;
  if (a.explicit && a.order !== b.order) return a.order - b.order;
  return compareText(a.template.namespace, b.template.namespace) || compareText(a.template.name, b.template.name);
}
