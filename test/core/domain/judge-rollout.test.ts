import { describe, expect, it } from "vitest";
import { judgeRollout } from "../../../src/core/domain/judge-rollout.js";
import type { RolloutVerdict } from "../../../src/core/domain/rollout-verdict.js";
import type { RolloutFacts, WorkloadKind } from "../../../src/core/domain/workload.js";
import { aWorkload, completeRollout } from "../../support/workloads.js";

/** Judges a workload named "foo" (the name kubectl's own tests use) with the given facts. */
function judge(kind: WorkloadKind, rollout: Partial<RolloutFacts>): RolloutVerdict {
  return judgeRollout(aWorkload(kind, { name: "foo", namespace: "bar", rollout }));
}

interface Row {
  readonly name: string;
  readonly rollout: Partial<RolloutFacts>;
  readonly state: RolloutVerdict["state"];
  readonly message: string;
}

const onlyRollingUpdate = "rollout status is only available for RollingUpdate strategy type";

describe("judgeRollout: Deployment", () => {
  // The first five rows are kubectl's TestDeploymentStatusViewerStatus.
  const rows: Row[] = [
    {
      name: "kubectl test1: no new replica updated yet",
      rollout: {
        generation: 0,
        observedGeneration: 1,
        replicas: 1,
        status: { replicas: 1, updatedReplicas: 0, availableReplicas: 1 },
      },
      state: "progressing",
      message: 'Waiting for deployment "foo" rollout to finish: 0 out of 1 new replicas have been updated...',
    },
    {
      name: "kubectl test2: old replicas pending termination",
      rollout: {
        generation: 1,
        observedGeneration: 1,
        replicas: 1,
        status: { replicas: 2, updatedReplicas: 1, availableReplicas: 2 },
      },
      state: "progressing",
      message: 'Waiting for deployment "foo" rollout to finish: 1 old replicas are pending termination...',
    },
    {
      name: "kubectl test3: updated replicas not all available",
      rollout: {
        generation: 1,
        observedGeneration: 1,
        replicas: 2,
        status: { replicas: 2, updatedReplicas: 2, availableReplicas: 1 },
      },
      state: "progressing",
      message: 'Waiting for deployment "foo" rollout to finish: 1 of 2 updated replicas are available...',
    },
    {
      name: "kubectl test4: rolled out",
      rollout: {
        generation: 1,
        observedGeneration: 1,
        replicas: 2,
        status: { replicas: 2, updatedReplicas: 2, availableReplicas: 2 },
      },
      state: "complete",
      message: 'deployment "foo" successfully rolled out',
    },
    {
      name: "kubectl test5: spec change not yet observed",
      rollout: {
        generation: 2,
        observedGeneration: 1,
        replicas: 2,
        status: { replicas: 2, updatedReplicas: 2, availableReplicas: 2 },
      },
      state: "progressing",
      message: "Waiting for deployment spec update to be observed...",
    },
    {
      name: "progress deadline exceeded fails the rollout",
      rollout: {
        generation: 3,
        observedGeneration: 3,
        replicas: 3,
        status: {
          replicas: 4,
          updatedReplicas: 1,
          availableReplicas: 3,
          conditions: [
            { type: "Available", status: "True", reason: "MinimumReplicasAvailable" },
            { type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded" },
          ],
        },
      },
      state: "failed",
      message: 'deployment "foo" exceeded its progress deadline',
    },
    {
      name: "a deadline condition from an older generation does not count until the new one is observed",
      rollout: {
        generation: 4,
        observedGeneration: 3,
        replicas: 3,
        status: {
          replicas: 3,
          updatedReplicas: 0,
          availableReplicas: 3,
          conditions: [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded" }],
        },
      },
      state: "progressing",
      message: "Waiting for deployment spec update to be observed...",
    },
    {
      name: "only the Progressing condition can fail the rollout",
      rollout: {
        generation: 1,
        observedGeneration: 1,
        replicas: 2,
        status: {
          replicas: 2,
          updatedReplicas: 2,
          availableReplicas: 2,
          conditions: [
            { type: "ReplicaFailure", status: "True", reason: "ProgressDeadlineExceeded" },
            { type: "Progressing", status: "True", reason: "NewReplicaSetAvailable" },
          ],
        },
      },
      state: "complete",
      message: 'deployment "foo" successfully rolled out',
    },
    {
      name: "fresh object: no status at all",
      rollout: { generation: 1, observedGeneration: 0, replicas: 3, status: {} },
      state: "progressing",
      message: "Waiting for deployment spec update to be observed...",
    },
    {
      name: "observed, but no counters reported yet",
      rollout: { generation: 1, observedGeneration: 1, replicas: 3, status: {} },
      state: "progressing",
      message: 'Waiting for deployment "foo" rollout to finish: 0 out of 3 new replicas have been updated...',
    },
    {
      name: "spec.replicas unset means 1",
      rollout: { generation: 1, observedGeneration: 1, replicas: undefined, status: {} },
      state: "progressing",
      message: 'Waiting for deployment "foo" rollout to finish: 0 out of 1 new replicas have been updated...',
    },
    {
      name: "spec.replicas unset, one replica up",
      rollout: {
        generation: 1,
        observedGeneration: 1,
        replicas: undefined,
        status: { replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 },
      },
      state: "complete",
      message: 'deployment "foo" successfully rolled out',
    },
    {
      name: "scaled to zero is rolled out",
      rollout: { generation: 5, observedGeneration: 5, replicas: 0, status: {} },
      state: "complete",
      message: 'deployment "foo" successfully rolled out',
    },
    {
      name: "scaled to zero with old replicas still terminating",
      rollout: { generation: 5, observedGeneration: 5, replicas: 0, status: { replicas: 2 } },
      state: "progressing",
      message: 'Waiting for deployment "foo" rollout to finish: 2 old replicas are pending termination...',
    },
  ];

  it.each(rows)("$name", ({ rollout, state, message }) => {
    const verdict = judge("Deployment", rollout);
    expect(verdict.message).toBe(message);
    expect(verdict.state).toBe(state);
  });

  it("is paused when spec.paused is set, whatever the status says", () => {
    const verdict = judge("Deployment", {
      paused: true,
      generation: 2,
      observedGeneration: 2,
      replicas: 3,
      status: { replicas: 3, updatedReplicas: 1, availableReplicas: 3 },
    });
    expect(verdict.state).toBe("paused");
    expect(verdict.message).toBe(
      'deployment "foo" is paused: it will not roll out until it is resumed (kubectl rollout resume deployment/foo)',
    );
  });

  it("is paused rather than failed when a paused deployment carries an old deadline condition", () => {
    const verdict = judge("Deployment", {
      paused: true,
      status: { conditions: [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded" }] },
    });
    expect(verdict.state).toBe("paused");
  });

  it("reports spec.replicas and the replica counters", () => {
    const verdict = judge("Deployment", {
      replicas: 5,
      status: { replicas: 6, updatedReplicas: 3, readyReplicas: 4, availableReplicas: 2 },
    });
    expect(verdict).toEqual({
      state: "progressing",
      desired: 5,
      updated: 3,
      ready: 4,
      available: 2,
      message: 'Waiting for deployment "foo" rollout to finish: 3 out of 5 new replicas have been updated...',
    });
  });

  it("reports zeros for a fresh object and 1 desired when spec.replicas is unset", () => {
    const verdict = judge("Deployment", { generation: 1, observedGeneration: 0, replicas: undefined, status: {} });
    expect(verdict).toMatchObject({ desired: 1, updated: 0, ready: 0, available: 0 });
  });

  it("a Recreate deployment is gated like any other", () => {
    const verdict = judge("Deployment", { strategy: "Recreate" });
    expect(verdict.state).toBe("complete");
  });
});

describe("judgeRollout: DaemonSet", () => {
  // The first four rows are kubectl's TestDaemonSetStatusViewerStatus.
  const rows: Row[] = [
    {
      name: "kubectl test1: no pod updated yet",
      rollout: {
        generation: 0,
        observedGeneration: 1,
        status: { updatedNumberScheduled: 0, desiredNumberScheduled: 1, numberAvailable: 0 },
      },
      state: "progressing",
      message: 'Waiting for daemon set "foo" rollout to finish: 0 out of 1 new pods have been updated...',
    },
    {
      name: "kubectl test2: updated pods not all available",
      rollout: {
        generation: 1,
        observedGeneration: 1,
        status: { updatedNumberScheduled: 2, desiredNumberScheduled: 2, numberAvailable: 1 },
      },
      state: "progressing",
      message: 'Waiting for daemon set "foo" rollout to finish: 1 of 2 updated pods are available...',
    },
    {
      name: "kubectl test3: rolled out",
      rollout: {
        generation: 1,
        observedGeneration: 1,
        status: { updatedNumberScheduled: 2, desiredNumberScheduled: 2, numberAvailable: 2 },
      },
      state: "complete",
      message: 'daemon set "foo" successfully rolled out',
    },
    {
      name: "kubectl test4: spec change not yet observed",
      rollout: {
        generation: 2,
        observedGeneration: 1,
        status: { updatedNumberScheduled: 2, desiredNumberScheduled: 2, numberAvailable: 2 },
      },
      state: "progressing",
      message: "Waiting for daemon set spec update to be observed...",
    },
    {
      name: "kubectl: OnDelete is not gateable",
      rollout: { strategy: "OnDelete" },
      state: "not-gateable",
      message: onlyRollingUpdate,
    },
    {
      name: "OnDelete is not gateable even mid-update",
      rollout: {
        strategy: "OnDelete",
        generation: 2,
        observedGeneration: 2,
        status: { updatedNumberScheduled: 0, desiredNumberScheduled: 3, numberAvailable: 3 },
      },
      state: "not-gateable",
      message: onlyRollingUpdate,
    },
    {
      name: "an unset strategy is the API default RollingUpdate",
      rollout: {
        strategy: undefined,
        status: { updatedNumberScheduled: 1, desiredNumberScheduled: 3, numberAvailable: 3 },
      },
      state: "progressing",
      message: 'Waiting for daemon set "foo" rollout to finish: 1 out of 3 new pods have been updated...',
    },
    {
      name: "fresh object: no status at all",
      rollout: { generation: 1, observedGeneration: 0, status: {} },
      state: "progressing",
      message: "Waiting for daemon set spec update to be observed...",
    },
    {
      name: "no node to run on is rolled out",
      rollout: { generation: 1, observedGeneration: 1, status: { desiredNumberScheduled: 0 } },
      state: "complete",
      message: 'daemon set "foo" successfully rolled out',
    },
  ];

  it.each(rows)("$name", ({ rollout, state, message }) => {
    const verdict = judge("DaemonSet", rollout);
    expect(verdict.message).toBe(message);
    expect(verdict.state).toBe(state);
  });

  it("reports the daemon set counters", () => {
    const verdict = judge("DaemonSet", {
      status: {
        desiredNumberScheduled: 6,
        currentNumberScheduled: 6,
        updatedNumberScheduled: 4,
        numberReady: 5,
        numberAvailable: 3,
      },
    });
    expect(verdict).toMatchObject({ desired: 6, updated: 4, ready: 5, available: 3 });
  });

  it("reports the counters even when not gateable", () => {
    const verdict = judge("DaemonSet", {
      strategy: "OnDelete",
      status: { desiredNumberScheduled: 2, updatedNumberScheduled: 1, numberReady: 2, numberAvailable: 2 },
    });
    expect(verdict).toMatchObject({ state: "not-gateable", desired: 2, updated: 1, ready: 2, available: 2 });
  });
});

describe("judgeRollout: StatefulSet", () => {
  // kubectl's TestStatefulSetStatusViewerStatus uses 3 replicas; its rows come first.
  const rows: Row[] = [
    {
      name: "kubectl: on delete is not gateable",
      rollout: {
        strategy: "OnDelete",
        generation: 1,
        observedGeneration: 1,
        replicas: 3,
        status: { replicas: 0, readyReplicas: 1, updatedReplicas: 0 },
      },
      state: "not-gateable",
      message: onlyRollingUpdate,
    },
    {
      name: "kubectl: unobserved update is not complete",
      rollout: {
        generation: 2,
        observedGeneration: 1,
        replicas: 3,
        partition: undefined,
        status: { replicas: 3, readyReplicas: 3, updatedReplicas: 0 },
      },
      state: "progressing",
      message: "Waiting for statefulset spec update to be observed...",
    },
    {
      name: "kubectl: if all pods are not ready the update is not complete",
      rollout: {
        generation: 1,
        observedGeneration: 2,
        replicas: 3,
        partition: undefined,
        status: { replicas: 3, readyReplicas: 2, updatedReplicas: 0 },
      },
      state: "progressing",
      message: "Waiting for 1 pods to be ready...",
    },
    {
      name: "kubectl: partition update completes when all replicas above the partition are updated",
      rollout: {
        generation: 1,
        observedGeneration: 2,
        replicas: 3,
        partition: 2,
        status: { replicas: 3, readyReplicas: 3, updatedReplicas: 1 },
      },
      state: "complete",
      message: "partitioned roll out complete: 1 new pods have been updated...",
    },
    {
      name: "kubectl: partition update is in progress if all pods above the partition have not been updated",
      rollout: {
        generation: 1,
        observedGeneration: 2,
        replicas: 3,
        partition: 2,
        status: { replicas: 3, readyReplicas: 3, updatedReplicas: 0 },
      },
      state: "progressing",
      message: "Waiting for partitioned roll out to finish: 0 out of 1 new pods have been updated...",
    },
    {
      name: "kubectl: update completes when all replicas are current",
      rollout: {
        generation: 1,
        observedGeneration: 2,
        replicas: 3,
        partition: undefined,
        status: { replicas: 3, readyReplicas: 3, updatedReplicas: 3, currentRevision: "foo", updateRevision: "foo" },
      },
      state: "complete",
      message: "statefulset rolling update complete 3 pods at revision foo...",
    },
    {
      name: "revisions differ: rolling update in progress",
      rollout: {
        generation: 2,
        observedGeneration: 2,
        replicas: 3,
        partition: undefined,
        status: {
          replicas: 3,
          readyReplicas: 3,
          updatedReplicas: 1,
          currentRevision: "foo-1",
          updateRevision: "foo-2",
        },
      },
      state: "progressing",
      message: "waiting for statefulset rolling update to complete 1 pods at revision foo-2...",
    },
    {
      name: "the API default partition 0 waits for every replica",
      rollout: {
        generation: 2,
        observedGeneration: 2,
        replicas: 3,
        partition: 0,
        status: { replicas: 3, readyReplicas: 3, updatedReplicas: 2, currentRevision: "foo-1", updateRevision: "foo-2" },
      },
      state: "progressing",
      message: "Waiting for partitioned roll out to finish: 2 out of 3 new pods have been updated...",
    },
    {
      name: "the API default partition 0 completes with every replica updated",
      rollout: {
        generation: 2,
        observedGeneration: 2,
        replicas: 3,
        partition: 0,
        status: { replicas: 3, readyReplicas: 3, updatedReplicas: 3, currentRevision: "foo-2", updateRevision: "foo-2" },
      },
      state: "complete",
      message: "partitioned roll out complete: 3 new pods have been updated...",
    },
    {
      name: "observedGeneration 0 is never observed, even for generation 0",
      rollout: { generation: 0, observedGeneration: 0, replicas: 3, status: { readyReplicas: 3, updatedReplicas: 3 } },
      state: "progressing",
      message: "Waiting for statefulset spec update to be observed...",
    },
    {
      name: "fresh object: no status at all",
      rollout: { generation: 1, observedGeneration: 0, replicas: 3, status: {} },
      state: "progressing",
      message: "Waiting for statefulset spec update to be observed...",
    },
    {
      name: "spec.replicas unset means 1",
      rollout: { generation: 1, observedGeneration: 1, replicas: undefined, status: {} },
      state: "progressing",
      message: "Waiting for 1 pods to be ready...",
    },
    {
      name: "scaled to zero is rolled out",
      rollout: { generation: 3, observedGeneration: 3, replicas: 0, partition: 0, status: {} },
      state: "complete",
      message: "partitioned roll out complete: 0 new pods have been updated...",
    },
    {
      name: "an unset strategy is the API default RollingUpdate",
      rollout: { strategy: undefined, replicas: 3, status: { readyReplicas: 1 } },
      state: "progressing",
      message: "Waiting for 2 pods to be ready...",
    },
  ];

  it.each(rows)("$name", ({ rollout, state, message }) => {
    const verdict = judge("StatefulSet", rollout);
    expect(verdict.message).toBe(message);
    expect(verdict.state).toBe(state);
  });

  it("reports spec.replicas and the replica counters", () => {
    const verdict = judge("StatefulSet", {
      replicas: 4,
      status: { replicas: 4, updatedReplicas: 2, readyReplicas: 3, availableReplicas: 1 },
    });
    expect(verdict).toEqual({
      state: "progressing",
      desired: 4,
      updated: 2,
      ready: 3,
      available: 1,
      message: "Waiting for 1 pods to be ready...",
    });
  });
});

describe("judgeRollout: Job and CronJob", () => {
  it.each([
    ["Job", 'job "foo" has no rollout: its pods run to completion and are never replaced'],
    ["CronJob", 'cronjob "foo" has no rollout: the jobs it creates from now on use the new image'],
  ] as const)("a %s is not applicable", (kind, message) => {
    expect(judge(kind, {})).toEqual({
      state: "not-applicable",
      desired: 0,
      updated: 0,
      ready: 0,
      available: 0,
      message,
    });
  });
});

describe("aWorkload's defaults", () => {
  it.each([
    ["Deployment", 'deployment "web" successfully rolled out'],
    ["DaemonSet", 'daemon set "web" successfully rolled out'],
    ["StatefulSet", "partitioned roll out complete: 3 new pods have been updated..."],
  ] as const)("a default %s has a finished rollout of 3", (kind, message) => {
    expect(judgeRollout(aWorkload(kind))).toEqual({
      state: "complete",
      desired: 3,
      updated: 3,
      ready: 3,
      available: 3,
      message,
    });
  });

  it("completeRollout sizes the rollout", () => {
    const workload = aWorkload("Deployment", { rollout: completeRollout("Deployment", 7) });
    expect(judgeRollout(workload)).toMatchObject({ state: "complete", desired: 7, available: 7 });
  });
});
