import type { V1CronJob, V1Job, V1JobSpec, V1PodTemplateSpec } from "@kubernetes/client-node";
import { DomainError } from "../../core/domain/domain-error.js";
import type { MigrationJobRequest } from "../../core/ports/cluster.js";

/**
 * Labels the Job controller puts on a Job's pod template (and selector) when it creates the
 * Job, tied to that Job's uid. A copy carrying them would select the template's pods, and the API
 * server refuses a selector it did not generate: the copy gets fresh ones instead.
 */
export const generatedJobLabels: readonly string[] = [
  "controller-uid",
  "job-name",
  "batch.kubernetes.io/controller-uid",
  "batch.kubernetes.io/job-name",
];

/**
 * A migration Job copy built from a template: a Job's spec, or a CronJob's spec.jobTemplate.spec.
 * Only the requested containers get new images. The copy runs (`suspend: false`, and no
 * `parallelism: 0`, which held templates before spec.suspend existed), is bounded by
 * the given activeDeadlineSeconds, carries the given labels and no owner, and has no TTL: the
 * adapter sets one once the copy succeeded, so failed copies keep their pods and logs.
 *
 * @throws DomainError failed-precondition when the template has no pod template or lacks a
 *   container the request names (it changed since the update was planned).
 */
export function buildMigrationJob(
  templateKind: "Job" | "CronJob",
  template: V1Job | V1CronJob,
  request: MigrationJobRequest,
): V1Job {
  const source: V1JobSpec | undefined =
    templateKind === "CronJob" ? (template as V1CronJob).spec?.jobTemplate?.spec : (template as V1Job).spec;
  const describe = `${templateKind} ${request.template.namespace}/${request.template.name}`;
  if (source?.template?.spec === undefined) {
    throw new DomainError("failed-precondition", "TARGET_NOT_UPDATABLE", `migration template ${describe} has no pod template`, {
      metadata: { workload: `${templateKind}/${request.template.namespace}/${request.template.name}` },
    });
  }
  // Deep copy: the template object belongs to the informer cache.
  const spec = structuredClone(source) as V1JobSpec;
  delete spec.selector;
  delete spec.manualSelector;
  delete spec.ttlSecondsAfterFinished;
  spec.suspend = false;
  // A template held with parallelism 0 (clusters before spec.suspend) must not hold its copy.
  if (spec.parallelism === 0) delete spec.parallelism;
  spec.activeDeadlineSeconds = request.activeDeadlineSeconds;
  spec.template = podTemplate(spec.template);

  const podSpec = spec.template.spec!;
  for (const image of request.images) {
    const containers = (image.init ? podSpec.initContainers : podSpec.containers) ?? [];
    const container = containers.find((candidate) => candidate.name === image.container);
    if (container === undefined) {
      throw new DomainError(
        "failed-precondition",
        "TARGET_NOT_UPDATABLE",
        `migration template ${describe} has no ${image.init ? "init container" : "container"} ${JSON.stringify(image.container)} any more`,
        { metadata: { workload: `${templateKind}/${request.template.namespace}/${request.template.name}`, container: image.container } },
      );
    }
    container.image = image.image;
  }

  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: request.jobName,
      namespace: request.template.namespace,
      labels: { ...request.labels },
    },
    spec,
  };
}

/** The pod template without server-generated labels and without server-set metadata. */
function podTemplate(template: V1PodTemplateSpec): V1PodTemplateSpec {
  const labels = { ...template.metadata?.labels };
  for (const key of generatedJobLabels) delete labels[key];
  const annotations = template.metadata?.annotations;
  return {
    metadata: {
      ...(Object.keys(labels).length === 0 ? {} : { labels }),
      ...(annotations === undefined ? {} : { annotations: { ...annotations } }),
    },
    ...(template.spec === undefined ? {} : { spec: template.spec }),
  };
}
