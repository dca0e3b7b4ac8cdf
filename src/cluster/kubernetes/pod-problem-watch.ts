import type { V1LabelSelector, V1Pod } from "@kubernetes/client-node";
import type { KubeConnection } from "./kube-connection.js";
import type { ContainerSpec, PodProblem } from "../../core/domain/workload.js";
import type { Clock } from "../../core/ports/clock.js";
import type { CoreLogger } from "../../core/ports/logger.js";
import type { BackoffOptions } from "./backoff.js";
import { podApi } from "./kind-api.js";
import { formatLabelSelector } from "./label-selector.js";
import { podProblemsOf, sameProblems } from "./pod-problems.js";
import { createResilientInformer } from "./resilient-informer.js";
import type { RestClient } from "./rest-client.js";
import { slimObject } from "./slim-object.js";

export interface PodProblemWatchOptions {
  readonly kubeConfig: KubeConnection;
  readonly rest: RestClient;
  readonly clock: Clock;
  readonly backoff?: BackoffOptions;
  readonly logger: CoreLogger;
  readonly namespace: string;
  /** The workload's spec.selector: which pods are its. */
  readonly selector: V1LabelSelector | undefined;
  /** The workload's current template containers (undefined once it is gone). */
  readonly template: () => readonly ContainerSpec[] | undefined;
  readonly listener: (problems: readonly PodProblem[]) => void;
}

export interface PodProblemWatch {
  /** Re-evaluates (the workload's template changed). */
  recheck(): void;
  stop(): void;
}

/**
 * Watches the pods a workload selects and reports the problems of those of its newest revision
 * whenever they change: after the first list when there are any, then on every change of the
 * list (an empty list once they are gone). Event driven: a pod informer, no polling.
 */
export function startPodProblemWatch(options: PodProblemWatchOptions): PodProblemWatch {
  let last: readonly PodProblem[] = [];
  let stopped = false;

  const evaluate = (): void => {
    if (stopped || !informer.hasSynced()) return;
    const template = options.template();
    const problems = template === undefined ? [] : podProblemsOf(informer.list(), template);
    if (sameProblems(problems, last)) return;
    last = problems;
    try {
      options.listener(problems);
    } catch (error) {
      options.logger.error({ err: error }, "a pod problem listener threw");
    }
  };

  const informer = createResilientInformer<V1Pod>({
    kubeConfig: options.kubeConfig,
    rest: options.rest,
    api: podApi,
    namespace: options.namespace,
    labelSelector: formatLabelSelector(options.selector) || undefined,
    clock: options.clock,
    ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
    logger: options.logger,
    // A pod's field sets are often larger than the rest of it; the problems are read from its status.
    transform: slimObject,
    onAdd: evaluate,
    onUpdate: evaluate,
    onDelete: evaluate,
  });
  informer.synced.then(evaluate, () => {});
  informer.start();

  return {
    recheck: evaluate,
    stop() {
      if (stopped) return;
      stopped = true;
      informer.stop().catch((error: unknown) => options.logger.warn({ err: error }, "stopping a pod watch failed"));
    },
  };
}
