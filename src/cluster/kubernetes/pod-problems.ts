import type { V1ContainerStatus, V1Pod } from "@kubernetes/client-node";
import type { ContainerSpec, PodProblem } from "../../core/domain/workload.js";

/**
 * Waiting reasons that are part of a normal start, not problems. Every other waiting reason
 * (ImagePullBackOff, ErrImagePull, CrashLoopBackOff, CreateContainerConfigError,
 * InvalidImageName, RunContainerError, ...) is reported.
 */
const normalWaitingReasons: ReadonlySet<string> = new Set(["ContainerCreating", "PodInitializing"]);

/**
 * Problems of the pods that run the workload's current template, i.e. its newest revision: a
 * pod counts when each of its containers (init containers included) runs the image the template
 * gives the container of that name. Pods of older revisions are ignored (their trouble is not
 * the update's doing), and so are pods being deleted. Sorted by pod name, so that equal states
 * give equal lists.
 */
export function podProblemsOf(pods: readonly V1Pod[], template: readonly ContainerSpec[]): PodProblem[] {
  const problems: PodProblem[] = [];
  const byName = [...pods].sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""));
  for (const pod of byName) {
    if (pod.metadata?.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null) continue;
    if (!runsTemplate(pod, template)) continue;
    const name = pod.metadata?.name ?? "";
    for (const status of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
      const problem = problemOf(name, status);
      if (problem !== undefined) problems.push(problem);
    }
  }
  return problems;
}

/** True when the pod's containers are exactly the template's, by name, kind and image. */
export function runsTemplate(pod: V1Pod, template: readonly ContainerSpec[]): boolean {
  const podContainers = [
    ...(pod.spec?.initContainers ?? []).map((container) => ({ name: container.name, image: container.image ?? "", init: true })),
    ...(pod.spec?.containers ?? []).map((container) => ({ name: container.name, image: container.image ?? "", init: false })),
  ];
  if (podContainers.length !== template.length) return false;
  return template.every((expected) =>
    podContainers.some(
      (actual) => actual.name === expected.name && actual.init === expected.init && actual.image === expected.image,
    ),
  );
}

function problemOf(pod: string, status: V1ContainerStatus): PodProblem | undefined {
  const waiting = status.state?.waiting;
  const reason = waiting?.reason;
  if (reason === undefined || reason === "" || normalWaitingReasons.has(reason)) return undefined;
  return {
    pod,
    container: status.name,
    reason,
    ...(waiting?.message ? { message: waiting.message } : {}),
    restartCount: status.restartCount ?? 0,
    ...(status.imageID ? { imageId: status.imageID } : {}),
  };
}

/** Equal problem lists (same order), so listeners hear only real changes. */
export function sameProblems(a: readonly PodProblem[], b: readonly PodProblem[]): boolean {
  return a.length === b.length && a.every((problem, i) => JSON.stringify(problem) === JSON.stringify(b[i]));
}
