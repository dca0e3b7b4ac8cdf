import type { RolloutVerdict, RolloutVerdictState } from "./rollout-verdict.js";
import type { RolloutFacts, Workload } from "./workload.js";

/**
 * The verdict `kubectl rollout status` would give for this workload now. Mirrors the status
 * viewers of k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go branch for branch and
 * word for word (minus kubectl's trailing newline), so an operator who runs kubectl sees what
 * the manager saw. Two additions kubectl lacks: a paused Deployment is "paused" (kubectl would
 * wait forever), and Jobs and CronJobs are "not-applicable" (kubectl has no viewer for them).
 *
 * Missing facts take the API server's defaults: spec.replicas 1, update strategy RollingUpdate,
 * status counters 0.
 */
export function judgeRollout(workload: Workload): RolloutVerdict {
  const { kind, name } = workload.ref;
  switch (kind) {
    case "Deployment":
      return judgeDeployment(name, workload.rollout);
    case "DaemonSet":
      return judgeDaemonSet(name, workload.rollout);
    case "StatefulSet":
      return judgeStatefulSet(workload.rollout);
    case "CronJob":
      return verdict(
        "not-applicable",
        replicaCounts(workload.rollout, 0),
        `cronjob ${quote(name)} has no rollout: the jobs it creates from now on use the new image`,
      );
    case "Job":
      return verdict(
        "not-applicable",
        replicaCounts(workload.rollout, 0),
        `job ${quote(name)} has no rollout: its pods run to completion and are never replaced`,
      );
  }
}

/** Reason the deployment controller puts on the Progressing condition once progressDeadlineSeconds passed. */
const progressDeadlineExceeded = "ProgressDeadlineExceeded";
const rollingUpdate = "RollingUpdate";
const onlyRollingUpdate = `rollout status is only available for ${rollingUpdate} strategy type`;

type Counts = Pick<RolloutVerdict, "desired" | "updated" | "ready" | "available">;

function judgeDeployment(name: string, facts: RolloutFacts): RolloutVerdict {
  const counts = replicaCounts(facts);
  const status = facts.status;
  if (facts.paused === true) {
    return verdict(
      "paused",
      counts,
      `deployment ${quote(name)} is paused: it will not roll out until it is resumed (kubectl rollout resume deployment/${name})`,
    );
  }
  if (facts.generation > facts.observedGeneration) {
    return verdict("progressing", counts, "Waiting for deployment spec update to be observed...");
  }
  const progressing = status.conditions?.find((condition) => condition.type === "Progressing");
  if (progressing?.reason === progressDeadlineExceeded) {
    return verdict("failed", counts, `deployment ${quote(name)} exceeded its progress deadline`);
  }
  const waiting = `Waiting for deployment ${quote(name)} rollout to finish`;
  const replicas = status.replicas ?? 0;
  if (counts.updated < counts.desired) {
    return verdict(
      "progressing",
      counts,
      `${waiting}: ${counts.updated} out of ${counts.desired} new replicas have been updated...`,
    );
  }
  if (replicas > counts.updated) {
    return verdict("progressing", counts, `${waiting}: ${replicas - counts.updated} old replicas are pending termination...`);
  }
  if (counts.available < counts.updated) {
    return verdict(
      "progressing",
      counts,
      `${waiting}: ${counts.available} of ${counts.updated} updated replicas are available...`,
    );
  }
  return verdict("complete", counts, `deployment ${quote(name)} successfully rolled out`);
}

function judgeDaemonSet(name: string, facts: RolloutFacts): RolloutVerdict {
  const status = facts.status;
  const counts: Counts = {
    desired: status.desiredNumberScheduled ?? 0,
    updated: status.updatedNumberScheduled ?? 0,
    ready: status.numberReady ?? 0,
    available: status.numberAvailable ?? 0,
  };
  if ((facts.strategy ?? rollingUpdate) !== rollingUpdate) {
    return verdict("not-gateable", counts, onlyRollingUpdate);
  }
  if (facts.generation > facts.observedGeneration) {
    return verdict("progressing", counts, "Waiting for daemon set spec update to be observed...");
  }
  const waiting = `Waiting for daemon set ${quote(name)} rollout to finish`;
  if (counts.updated < counts.desired) {
    return verdict("progressing", counts, `${waiting}: ${counts.updated} out of ${counts.desired} new pods have been updated...`);
  }
  if (counts.available < counts.desired) {
    return verdict("progressing", counts, `${waiting}: ${counts.available} of ${counts.desired} updated pods are available...`);
  }
  return verdict("complete", counts, `daemon set ${quote(name)} successfully rolled out`);
}

function judgeStatefulSet(facts: RolloutFacts): RolloutVerdict {
  const counts = replicaCounts(facts);
  const status = facts.status;
  if ((facts.strategy ?? rollingUpdate) !== rollingUpdate) {
    return verdict("not-gateable", counts, onlyRollingUpdate);
  }
  if (facts.observedGeneration === 0 || facts.generation > facts.observedGeneration) {
    return verdict("progressing", counts, "Waiting for statefulset spec update to be observed...");
  }
  if (counts.ready < counts.desired) {
    return verdict("progressing", counts, `Waiting for ${counts.desired - counts.ready} pods to be ready...`);
  }
  // kubectl takes this branch whenever spec.updateStrategy.rollingUpdate is set, which the API
  // server defaults (with partition 0) for apps/v1; `partition` being known stands for that.
  if (facts.partition !== undefined) {
    const target = counts.desired - facts.partition;
    if (counts.updated < target) {
      return verdict(
        "progressing",
        counts,
        `Waiting for partitioned roll out to finish: ${counts.updated} out of ${target} new pods have been updated...`,
      );
    }
    return verdict("complete", counts, `partitioned roll out complete: ${counts.updated} new pods have been updated...`);
  }
  const updateRevision = status.updateRevision ?? "";
  const currentRevision = status.currentRevision ?? "";
  if (updateRevision !== currentRevision) {
    return verdict(
      "progressing",
      counts,
      `waiting for statefulset rolling update to complete ${counts.updated} pods at revision ${updateRevision}...`,
    );
  }
  // kubectl prints status.currentReplicas here; with both revisions equal the controller counts
  // the same pods for currentReplicas and updatedReplicas.
  return verdict(
    "complete",
    counts,
    `statefulset rolling update complete ${counts.updated} pods at revision ${currentRevision}...`,
  );
}

/**
 * Counts for kinds that report spec.replicas and the *Replicas status counters.
 * @param defaultReplicas spec.replicas when unset: the API default 1 for Deployments and StatefulSets.
 */
function replicaCounts(facts: RolloutFacts, defaultReplicas = 1): Counts {
  return {
    desired: facts.replicas ?? defaultReplicas,
    updated: facts.status.updatedReplicas ?? 0,
    ready: facts.status.readyReplicas ?? 0,
    available: facts.status.availableReplicas ?? 0,
  };
}

function verdict(state: RolloutVerdictState, counts: Counts, message: string): RolloutVerdict {
  return { state, ...counts, message };
}

/** Go's %q for a Kubernetes object name (DNS characters only, so plain double quotes). */
function quote(name: string): string {
  return JSON.stringify(name);
}
