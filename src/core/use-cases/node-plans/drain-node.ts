import { matchesLabelSelector } from "../../domain/node-plan/label-selector.js";
import type { DrainOptions } from "../../domain/node-plan/node-upgrade-plan.js";
import type { Clock } from "../../ports/clock.js";
import type { NodePlansPort, PodOnNode } from "../../ports/node-plans.js";

/** How long a drain waits between attempts (evictions a PodDisruptionBudget refused, pods still terminating). */
export const drainRetryMs = 5_000;

/** `evicted`: the pods this drain evicted (or deleted), for the health gate to wait for their owners. */
export type DrainOutcome = { readonly drained: true; readonly evicted: readonly PodOnNode[] } | { readonly drained: false; readonly reason: string };

/**
 * The pods of the node a drain takes away: not mirror pods, not the plan's own upgrade pods, not DaemonSet pods with
 * ignoreDaemonSets, and only those drain.podSelector selects.
 */
export function drainCandidates(pods: readonly PodOnNode[], drain: DrainOptions, ownPod: (pod: PodOnNode) => boolean): PodOnNode[] {
  return pods.filter(
    (pod) =>
      !pod.mirror &&
      !ownPod(pod) &&
      !(drain.ignoreDaemonSets && pod.controllerKind === "DaemonSet") &&
      (drain.podSelector === undefined || matchesLabelSelector(drain.podSelector, pod.labels)),
  );
}

/**
 * Drains a node as `kubectl drain` does, by the Eviction API: PodDisruptionBudgets are honoured (an eviction refused
 * with 429 is retried until the drain's timeout), DaemonSet pods are skipped (with ignoreDaemonSets; refused
 * otherwise), mirror pods are skipped (the API cannot evict them), pods with emptyDir need deleteEmptydirData, pods
 * no controller manages need force, and the plan's own upgrade pods are never touched. Then it waits until the
 * evicted pods are gone (or, with skipWaitForDeleteTimeout, deleting for longer than that). Never throws for the
 * node's state: a drain that cannot finish returns why.
 *
 * @param ownPod true for pods the drain must leave alone (the upgrade Jobs' pods).
 */
export async function drainNode(
  deps: { readonly port: NodePlansPort; readonly clock: Clock },
  node: string,
  drain: DrainOptions,
  ownPod: (pod: PodOnNode) => boolean,
): Promise<DrainOutcome> {
  const { port, clock } = deps;
  const deadline = clock.now().getTime() + drain.timeoutMs;
  const pods = drainCandidates(await port.listPodsOnNode(node), drain, ownPod);
  const refusals = pods.flatMap((pod) => {
    const id = `${pod.namespace}/${pod.name}`;
    if (pod.finished) return [];
    if (pod.controllerKind === "DaemonSet") return [`${id} is managed by a DaemonSet (set drain.ignoreDaemonSets)`];
    if (pod.controllerKind === undefined && !drain.force) return [`${id} is managed by no controller and would be lost (set drain.force)`];
    if (pod.usesEmptyDir && !drain.deleteEmptydirData) return [`${id} has emptyDir data that would be lost (set drain.deleteEmptydirData)`];
    return [];
  });
  if (refusals.length > 0) return { drained: false, reason: `cannot drain ${node}: ${refusals.join("; ")}` };

  const evictedPods: PodOnNode[] = [];
  let pending = pods;
  while (pending.length > 0) {
    const blocked: PodOnNode[] = [];
    for (const pod of pending) {
      const result = await port.evictPod(pod, {
        deleteInstead: drain.disableEviction,
        ...(drain.gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds: drain.gracePeriodSeconds }),
      });
      if (result === "blocked") blocked.push(pod);
      if (result === "evicted") evictedPods.push(pod);
    }
    if (blocked.length === 0) break;
    if (clock.now().getTime() + drainRetryMs > deadline) {
      return { drained: false, reason: `drain of ${node} timed out: a PodDisruptionBudget still refuses evicting ${describe(blocked)}` };
    }
    await sleep(clock, drainRetryMs);
    pending = blocked;
  }

  // Wait until the evicted pods have left the node.
  const evicted = new Set(pods.map((pod) => `${pod.namespace}/${pod.name}`));
  for (;;) {
    const now = clock.now().getTime();
    const remaining = (await port.listPodsOnNode(node)).filter((pod) => {
      if (!evicted.has(`${pod.namespace}/${pod.name}`) || pod.finished) return false;
      const skipAfter = drain.skipWaitForDeleteTimeoutSeconds;
      return !(skipAfter > 0 && pod.deletionTime !== undefined && now - Date.parse(pod.deletionTime) > skipAfter * 1000);
    });
    if (remaining.length === 0) return { drained: true, evicted: evictedPods };
    if (now + drainRetryMs > deadline) return { drained: false, reason: `drain of ${node} timed out waiting for ${describe(remaining)} to terminate` };
    await sleep(clock, drainRetryMs);
  }
}

function describe(pods: readonly PodOnNode[]): string {
  const names = pods.slice(0, 5).map((pod) => `${pod.namespace}/${pod.name}`);
  return pods.length > 5 ? `${names.join(", ")} and ${pods.length - 5} more` : names.join(", ");
}

export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimer(ms, resolve));
}
