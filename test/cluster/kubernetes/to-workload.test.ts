import type { V1CronJob, V1DaemonSet, V1Deployment, V1Job, V1StatefulSet } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { judgeRollout } from "../../../src/core/domain/judge-rollout.js";
import { toJobInfo, toWorkload } from "../../../src/cluster/kubernetes/to-workload.js";

// Objects as the API server sends them (JSON), trimmed to what matters plus some noise.
const deployment: V1Deployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: {
    name: "web",
    namespace: "shop",
    uid: "3f1c",
    resourceVersion: "812",
    generation: 4,
    labels: { app: "web", "update-manager.io/classifier": "backend" },
    annotations: { "deployment.kubernetes.io/revision": "3" },
    managedFields: [
      { manager: "argocd-controller", operation: "Apply" },
      { manager: "kube-controller-manager", operation: "Update", subresource: "status" },
      { manager: "argocd-controller", operation: "Update" },
    ],
  },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: "web" } },
    strategy: { type: "RollingUpdate" },
    progressDeadlineSeconds: 600,
    template: {
      metadata: { labels: { app: "web" } },
      spec: {
        initContainers: [{ name: "migrate-schema", image: "registry.example.com/shop/web:1.4.0" }],
        containers: [
          { name: "web", image: "registry.example.com/shop/web:1.4.0" },
          { name: "proxy", image: "envoyproxy/envoy:v1.30" },
        ],
      },
    },
  },
  status: {
    observedGeneration: 3,
    replicas: 4,
    updatedReplicas: 1,
    readyReplicas: 3,
    availableReplicas: 3,
    conditions: [
      { type: "Available", status: "True", reason: "MinimumReplicasAvailable", message: "Deployment has minimum availability." },
      { type: "Progressing", status: "True", reason: "ReplicaSetUpdated" },
    ],
  },
};

describe("toWorkload", () => {
  it("translates a Deployment: init containers first, distinct field managers, rollout facts with Kubernetes' names", () => {
    expect(toWorkload("Deployment", deployment)).toEqual({
      ref: { kind: "Deployment", namespace: "shop", name: "web" },
      uid: "3f1c",
      resourceVersion: "812",
      labels: { app: "web", "update-manager.io/classifier": "backend" },
      annotations: { "deployment.kubernetes.io/revision": "3" },
      containers: [
        { name: "migrate-schema", image: "registry.example.com/shop/web:1.4.0", init: true },
        { name: "web", image: "registry.example.com/shop/web:1.4.0", init: false },
        { name: "proxy", image: "envoyproxy/envoy:v1.30", init: false },
      ],
      fieldManagers: ["argocd-controller", "kube-controller-manager"],
      rollout: {
        generation: 4,
        observedGeneration: 3,
        replicas: 3,
        paused: false,
        strategy: "RollingUpdate",
        progressDeadlineSeconds: 600,
        status: {
          replicas: 4,
          updatedReplicas: 1,
          readyReplicas: 3,
          availableReplicas: 3,
          conditions: [
            { type: "Available", status: "True", reason: "MinimumReplicasAvailable", message: "Deployment has minimum availability." },
            { type: "Progressing", status: "True", reason: "ReplicaSetUpdated" },
          ],
        },
      },
    });
  });

  it("gives judgeRollout what kubectl would read: a newer generation is not yet observed", () => {
    expect(judgeRollout(toWorkload("Deployment", deployment))).toMatchObject({
      state: "progressing",
      message: "Waiting for deployment spec update to be observed...",
    });
  });

  it("reads a paused Deployment as paused", () => {
    const paused = { ...deployment, spec: { ...deployment.spec!, paused: true } };
    expect(judgeRollout(toWorkload("Deployment", paused)).state).toBe("paused");
  });

  it("translates a StatefulSet with its partition and revisions", () => {
    const statefulSet: V1StatefulSet = {
      metadata: { name: "db", namespace: "shop", uid: "u", resourceVersion: "9", generation: 2 },
      spec: {
        serviceName: "db",
        replicas: 3,
        selector: { matchLabels: { app: "db" } },
        updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 1 } },
        template: { spec: { containers: [{ name: "db", image: "postgres:16" }] } },
      },
      status: {
        observedGeneration: 2,
        replicas: 3,
        readyReplicas: 3,
        updatedReplicas: 2,
        currentRevision: "db-5d8f",
        updateRevision: "db-6c9a",
      },
    };
    const workload = toWorkload("StatefulSet", statefulSet);
    expect(workload.rollout).toEqual({
      generation: 2,
      observedGeneration: 2,
      replicas: 3,
      strategy: "RollingUpdate",
      partition: 1,
      status: { replicas: 3, readyReplicas: 3, updatedReplicas: 2, currentRevision: "db-5d8f", updateRevision: "db-6c9a" },
    });
    expect(judgeRollout(workload).message).toBe("partitioned roll out complete: 2 new pods have been updated...");
  });

  it("takes partition 0 when rollingUpdate is set without one (the API server's default)", () => {
    const statefulSet: V1StatefulSet = {
      metadata: { name: "db", namespace: "shop", generation: 1 },
      spec: {
        serviceName: "db",
        selector: {},
        updateStrategy: { type: "RollingUpdate", rollingUpdate: {} },
        template: {},
      },
    };
    expect(toWorkload("StatefulSet", statefulSet).rollout.partition).toBe(0);
  });

  it("translates a DaemonSet's scheduling counters", () => {
    const daemonSet: V1DaemonSet = {
      metadata: { name: "agent", namespace: "ops", generation: 5 },
      spec: {
        selector: { matchLabels: { app: "agent" } },
        updateStrategy: { type: "OnDelete" },
        template: { spec: { containers: [{ name: "agent", image: "agent:2" }] } },
      },
      status: {
        observedGeneration: 5,
        desiredNumberScheduled: 4,
        currentNumberScheduled: 4,
        updatedNumberScheduled: 2,
        numberAvailable: 3,
        numberReady: 3,
        numberMisscheduled: 0,
      },
    };
    const workload = toWorkload("DaemonSet", daemonSet);
    expect(workload.rollout).toEqual({
      generation: 5,
      observedGeneration: 5,
      strategy: "OnDelete",
      status: {
        desiredNumberScheduled: 4,
        currentNumberScheduled: 4,
        updatedNumberScheduled: 2,
        numberAvailable: 3,
        numberReady: 3,
      },
    });
    expect(judgeRollout(workload).state).toBe("not-gateable");
  });

  it("reads a CronJob's containers from its job template (batch/v1beta1 has the same shape) and its suspend flag", () => {
    const cronJob: V1CronJob = {
      apiVersion: "batch/v1beta1",
      metadata: { name: "report", namespace: "shop", generation: 1, labels: {} },
      spec: {
        schedule: "0 * * * *",
        suspend: true,
        jobTemplate: { spec: { template: { spec: { containers: [{ name: "report", image: "report:7" }] } } } },
      },
    };
    const workload = toWorkload("CronJob", cronJob);
    expect(workload.containers).toEqual([{ name: "report", image: "report:7", init: false }]);
    expect(workload.suspended).toBe(true);
    expect(judgeRollout(workload).state).toBe("not-applicable");
  });

  it("reads a Job's suspend flag, false when unset", () => {
    const job: V1Job = {
      metadata: { name: "migrate", namespace: "shop", generation: 1 },
      spec: { template: { spec: { containers: [{ name: "migrate", image: "web:1" }] } } },
    };
    expect(toWorkload("Job", job).suspended).toBe(false);
    expect(toWorkload("Job", { ...job, spec: { ...job.spec!, suspend: true } }).suspended).toBe(true);
  });

  it("reads a Job held with parallelism 0 (before Kubernetes 1.21 had spec.suspend) as suspended", () => {
    const job: V1Job = {
      metadata: { name: "migrate", namespace: "shop", generation: 1 },
      spec: { parallelism: 0, template: { spec: { containers: [{ name: "migrate", image: "web:1" }] } } },
    };
    expect(toWorkload("Job", job).suspended).toBe(true);
  });
});

describe("toJobInfo", () => {
  it("translates a finished Job copy with zeroes for missing counters", () => {
    const job: V1Job = {
      metadata: { name: "migrate-u1", namespace: "shop", labels: { "update-manager.io/update-id": "u1" } },
      spec: { template: {} },
      status: { succeeded: 1, conditions: [{ type: "Complete", status: "True" }] },
    };
    expect(toJobInfo(job)).toEqual({
      namespace: "shop",
      name: "migrate-u1",
      labels: { "update-manager.io/update-id": "u1" },
      conditions: [{ type: "Complete", status: "True" }],
      active: 0,
      succeeded: 1,
      failed: 0,
    });
  });
});

// the registry watcher reads the workload's own pull secrets by these names.
describe("pull secrets", () => {
  it("names the pod template's imagePullSecrets in order, and none when there are none", () => {
    const withSecrets: V1Deployment = {
      ...deployment,
      spec: {
        ...deployment.spec!,
        template: {
          ...deployment.spec!.template,
          spec: { ...deployment.spec!.template.spec!, imagePullSecrets: [{ name: "regcred" }, { name: "" }, { name: "mirror" }] },
        },
      },
    };
    expect(toWorkload("Deployment", withSecrets).pullSecrets).toEqual(["regcred", "mirror"]);
    expect(toWorkload("Deployment", deployment).pullSecrets).toBeUndefined();
  });
});
