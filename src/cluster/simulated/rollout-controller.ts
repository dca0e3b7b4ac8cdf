import type { Condition, RolloutFacts } from "../../core/domain/workload.js";
import type { SimulatedObject, SimulatedPod } from "./simulated-object.js";

/** Creates a pod of the object's update revision (StatefulSet: with the given ordinal). */
export type PodFactory = (object: SimulatedObject, ordinal?: number) => SimulatedPod;

/**
 * One step of the workload controllers, simplified but faithful in what `kubectl rollout status`
 * and the manager can observe: pods are replaced one at a time within the availability budget,
 * pods that never become ready stall the rollout, and a stalled StatefulSet stays stalled even
 * after its template is reverted (Kubernetes waits for the broken pod to be deleted by hand).
 *
 * @returns whether anything changed (no change means the rollout is complete or stalled).
 */
export function stepRollout(object: SimulatedObject, createPod: PodFactory): boolean {
  switch (object.ref.kind) {
    case "Deployment":
      if (object.paused) return false;
      return object.strategy === "Recreate" ? stepRecreate(object, createPod) : stepDeployment(object, createPod);
    case "StatefulSet":
      return object.strategy === "OnDelete" ? false : stepStatefulSet(object, createPod);
    case "DaemonSet":
      return object.strategy === "OnDelete" ? false : stepDaemonSet(object, createPod);
    default:
      return false;
  }
}

/** True when no further step would change anything because the rollout has finished. */
export function isRolledOut(object: SimulatedObject): boolean {
  const { pods, desired, updateRevision } = object;
  const allReady = pods.every((pod) => pod.ready);
  switch (object.ref.kind) {
    case "Deployment":
    case "DaemonSet":
      return pods.length === desired && allReady && pods.every((pod) => pod.revision === updateRevision);
    case "StatefulSet": {
      if (object.strategy === "OnDelete") return true;
      const partition = object.partition ?? 0;
      return (
        pods.length === desired &&
        allReady &&
        pods.every((pod) => (pod.ordinal ?? 0) < partition || pod.revision === updateRevision)
      );
    }
    default:
      return true;
  }
}

function stepDeployment(object: SimulatedObject, createPod: PodFactory): boolean {
  let changed = false;
  const isNew = (pod: SimulatedPod) => pod.revision === object.updateRevision;
  // Old pods that do not serve cost no availability: the controller scales them away first.
  const before = object.pods.length;
  object.pods = object.pods.filter((pod) => isNew(pod) || pod.ready);
  if (object.pods.length !== before) changed = true;

  const ready = object.pods.filter((pod) => pod.ready).length;
  const oldReady = object.pods.find((pod) => !isNew(pod));
  if (oldReady !== undefined && ready - 1 >= object.desired - object.maxUnavailable) {
    object.pods = object.pods.filter((pod) => pod !== oldReady);
    changed = true;
  }

  const newCount = object.pods.filter(isNew).length;
  if (newCount < object.desired && object.pods.length < object.desired + object.maxSurge) {
    object.pods.push(createPod(object));
    changed = true;
  } else if (newCount > object.desired) {
    const extra = object.pods.findLast(isNew)!;
    object.pods = object.pods.filter((pod) => pod !== extra);
    changed = true;
  }
  return changed;
}

function stepRecreate(object: SimulatedObject, createPod: PodFactory): boolean {
  const old = object.pods.filter((pod) => pod.revision !== object.updateRevision);
  if (old.length > 0) {
    // Recreate: every old pod goes before any new one starts.
    object.pods = object.pods.filter((pod) => pod.revision === object.updateRevision);
    return true;
  }
  if (object.pods.length < object.desired) {
    while (object.pods.length < object.desired) object.pods.push(createPod(object));
    return true;
  }
  return false;
}

function stepStatefulSet(object: SimulatedObject, createPod: PodFactory): boolean {
  // OrderedReady: nothing moves while any pod is not running and ready (even a pod of a reverted revision).
  if (object.pods.some((pod) => !pod.ready)) return false;
  for (let ordinal = 0; ordinal < object.desired; ordinal++) {
    if (!object.pods.some((pod) => pod.ordinal === ordinal)) {
      object.pods.push(createPod(object, ordinal));
      object.pods.sort((a, b) => (a.ordinal ?? 0) - (b.ordinal ?? 0));
      return true;
    }
  }
  const partition = object.partition ?? 0;
  // Highest ordinal first, down to the partition.
  const target = object.pods.findLast((pod) => (pod.ordinal ?? 0) >= partition && pod.revision !== object.updateRevision);
  if (target === undefined) return false;
  object.pods = object.pods.map((pod) => (pod === target ? createPod(object, target.ordinal) : pod));
  return true;
}

function stepDaemonSet(object: SimulatedObject, createPod: PodFactory): boolean {
  let changed = false;
  const isNew = (pod: SimulatedPod) => pod.revision === object.updateRevision;
  // Old pods that do not serve are replaced regardless of the budget.
  object.pods = object.pods.map((pod) => {
    if (isNew(pod) || pod.ready) return pod;
    changed = true;
    return createPod(object);
  });
  const unavailable = object.pods.filter((pod) => !pod.ready).length;
  const oldReady = object.pods.find((pod) => !isNew(pod));
  if (oldReady !== undefined && unavailable < object.maxUnavailable) {
    object.pods = object.pods.map((pod) => (pod === oldReady ? createPod(object) : pod));
    changed = true;
  }
  while (object.pods.length < object.desired) {
    object.pods.push(createPod(object));
    changed = true;
  }
  return changed;
}

/** The status block the controller would publish for the object's current pods. */
export function rolloutStatus(object: SimulatedObject): RolloutFacts["status"] {
  const { pods, updateRevision } = object;
  const ready = pods.filter((pod) => pod.ready).length;
  const updated = pods.filter((pod) => pod.revision === updateRevision).length;
  switch (object.ref.kind) {
    case "Deployment":
      return {
        replicas: pods.length,
        updatedReplicas: updated,
        readyReplicas: ready,
        availableReplicas: ready,
        conditions: deploymentConditions(object, ready),
      };
    case "StatefulSet":
      return {
        replicas: pods.length,
        updatedReplicas: updated,
        readyReplicas: ready,
        availableReplicas: ready,
        currentRevision: `${object.ref.name}-${object.currentRevision}`,
        updateRevision: `${object.ref.name}-${updateRevision}`,
      };
    case "DaemonSet":
      return {
        desiredNumberScheduled: object.desired,
        currentNumberScheduled: pods.length,
        updatedNumberScheduled: updated,
        numberReady: ready,
        numberAvailable: ready,
      };
    default:
      return {};
  }
}

function deploymentConditions(object: SimulatedObject, ready: number): Condition[] {
  const available: Condition =
    ready >= object.desired - object.maxUnavailable
      ? {
          type: "Available",
          status: "True",
          reason: "MinimumReplicasAvailable",
          message: "Deployment has minimum availability.",
        }
      : {
          type: "Available",
          status: "False",
          reason: "MinimumReplicasUnavailable",
          message: "Deployment does not have minimum availability.",
        };
  return object.progressing ? [available, object.progressing] : [available];
}

/** The Deployment Progressing condition for the object's state, as the deployment controller sets it. */
export function progressingCondition(
  object: SimulatedObject,
  state: "progressing" | "complete" | "timed-out" | "paused",
): Condition {
  const replicaSet = `ReplicaSet "${object.ref.name}-${object.updateRevision}"`;
  switch (state) {
    case "paused":
      return { type: "Progressing", status: "Unknown", reason: "DeploymentPaused", message: "Deployment is paused" };
    case "complete":
      return {
        type: "Progressing",
        status: "True",
        reason: "NewReplicaSetAvailable",
        message: `${replicaSet} has successfully progressed.`,
      };
    case "timed-out":
      return {
        type: "Progressing",
        status: "False",
        reason: "ProgressDeadlineExceeded",
        message: `${replicaSet} has timed out progressing.`,
      };
    default:
      return { type: "Progressing", status: "True", reason: "ReplicaSetUpdated", message: `${replicaSet} is progressing.` };
  }
}
