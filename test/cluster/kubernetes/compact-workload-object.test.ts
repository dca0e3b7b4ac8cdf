import type { V1DaemonSet, V1Deployment, V1Job, V1StatefulSet } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { compactWorkloadObject } from "../../../src/cluster/kubernetes/compact-workload-object.js";
import { buildImagePatch } from "../../../src/cluster/kubernetes/image-patch.js";
import type { KubeWorkloadObject } from "../../../src/cluster/kubernetes/kube-objects.js";
import { isOptedIn } from "../../../src/cluster/kubernetes/opt-in.js";
import { slimObject } from "../../../src/cluster/kubernetes/slim-object.js";
import { toWorkload } from "../../../src/cluster/kubernetes/to-workload.js";
import { createMetadataKeys } from "../../../src/core/domain/metadata-keys.js";
import type { WorkloadKind } from "../../../src/core/domain/workload.js";

const keys = createMetadataKeys();

/** A pod template as real manifests have them: most of it is what the manager never reads. */
const podSpec = {
  imagePullSecrets: [{ name: "registry-shop" }],
  initContainers: [{ name: "migrate", image: "registry.example.com/shop/web:1.4.0", command: ["./migrate"], env: [{ name: "A", value: "1" }] }],
  containers: [
    {
      name: "web",
      image: "registry.example.com/shop/web:1.4.0",
      ports: [{ containerPort: 8080 }],
      env: Array.from({ length: 20 }, (_, i) => ({ name: `VAR_${i}`, value: "x".repeat(40) })),
      resources: { limits: { cpu: "1", memory: "512Mi" }, requests: { cpu: "100m", memory: "128Mi" } },
      readinessProbe: { httpGet: { path: "/ready", port: 8080 }, periodSeconds: 5 },
      volumeMounts: [{ name: "config", mountPath: "/etc/web" }],
    },
    { name: "proxy", image: "envoyproxy/envoy:v1.30", args: ["--config", "/etc/envoy.yaml"] },
  ],
  volumes: [{ name: "config", configMap: { name: "web" } }],
  serviceAccountName: "web",
};

const metadata = {
  name: "web",
  namespace: "shop",
  uid: "3f1c",
  resourceVersion: "812",
  generation: 4,
  creationTimestamp: "2026-12-01T10:00:00Z" as unknown as Date,
  labels: { app: "web", [keys.classifierLabel]: "backend" },
  annotations: { "deployment.kubernetes.io/revision": "3", "kubectl.kubernetes.io/last-applied-configuration": "{\"huge\":true}" },
  managedFields: [
    { manager: "argocd-controller", operation: "Apply", fieldsV1: { "f:spec": { "f:template": {} } } },
    { manager: "kube-controller-manager", operation: "Update", subresource: "status", fieldsV1: { "f:status": {} } },
    { manager: "argocd-controller", operation: "Update", fieldsV1: {} },
  ],
};

const deployment: V1Deployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata,
  spec: {
    replicas: 3,
    paused: false,
    revisionHistoryLimit: 10,
    selector: { matchLabels: { app: "web" } },
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } },
    progressDeadlineSeconds: 600,
    template: { metadata: { labels: { app: "web" }, annotations: { "checksum/config": "abc" } }, spec: podSpec },
  },
  status: {
    observedGeneration: 3,
    replicas: 4,
    updatedReplicas: 1,
    readyReplicas: 3,
    availableReplicas: 3,
    conditions: [{ type: "Available", status: "True", reason: "MinimumReplicasAvailable", message: "ok" }],
  },
};

const statefulSet: V1StatefulSet = {
  metadata,
  spec: {
    replicas: 2,
    serviceName: "db",
    selector: { matchLabels: { app: "db" } },
    updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 1 } },
    template: { spec: podSpec },
  },
  status: { observedGeneration: 4, replicas: 2, currentRevision: "db-1", updateRevision: "db-2", updatedReplicas: 1 },
};

const daemonSet: V1DaemonSet = {
  metadata,
  spec: { selector: { matchLabels: { app: "agent" } }, updateStrategy: { type: "OnDelete" }, template: { spec: podSpec } },
  status: { currentNumberScheduled: 3, desiredNumberScheduled: 3, numberMisscheduled: 0, numberReady: 2, updatedNumberScheduled: 1 },
};

describe("compactWorkloadObject", () => {
  const cases: [WorkloadKind, KubeWorkloadObject][] = [
    ["Deployment", deployment],
    ["StatefulSet", statefulSet],
    ["DaemonSet", daemonSet],
  ];

  it.each(cases)("keeps of a %s everything the manager reads: the same Workload, opt-in, image patch and pod selector", (kind, object) => {
    const original = structuredClone(object);
    const compact = compactWorkloadObject(kind, object);
    // What the cache held before (the object slimmed in place) gives the same Workload.
    expect(toWorkload(kind, compact)).toEqual(toWorkload(kind, slimObject(structuredClone(original))));
    expect(isOptedIn(compact, keys, true)).toBe(true);
    const patches = [
      { container: "web", init: false, expectedImage: "registry.example.com/shop/web:1.4.0", newImage: "registry.example.com/shop/web:1.5.0" },
      { container: "migrate", init: true, expectedImage: "registry.example.com/shop/web:1.4.0", newImage: "registry.example.com/shop/web:1.5.0" },
    ];
    expect(buildImagePatch(kind, compact, patches)).toEqual(buildImagePatch(kind, original, patches));
    expect((compact.spec as { selector?: unknown }).selector).toEqual((original.spec as { selector?: unknown }).selector);
    // The object the API server sent is left as it was (the watch may hand it to others).
    expect(object).toEqual(original);
  });

  it("drops what it does not read: the pod template's other fields, field sets, kubectl's last-applied copy", () => {
    const compact = compactWorkloadObject("Deployment", deployment) as V1Deployment;
    expect(compact.spec?.template.spec).toEqual({
      imagePullSecrets: [{ name: "registry-shop" }],
      initContainers: [{ name: "migrate", image: "registry.example.com/shop/web:1.4.0" }],
      containers: [
        { name: "web", image: "registry.example.com/shop/web:1.4.0" },
        { name: "proxy", image: "envoyproxy/envoy:v1.30" },
      ],
    });
    expect(compact.metadata?.managedFields).toEqual([{ manager: "argocd-controller" }, { manager: "kube-controller-manager" }]);
    expect(compact.metadata?.annotations).toEqual({ "deployment.kubernetes.io/revision": "3" });
    expect(JSON.stringify(compact).length).toBeLessThan(JSON.stringify(deployment).length / 3);
  });

  it("keeps a Job (a migration template, copied whole) but for its field sets and last-applied copy", () => {
    const job: V1Job = {
      metadata: structuredClone(metadata),
      spec: { backoffLimit: 0, parallelism: 0, template: { spec: { ...structuredClone(podSpec), restartPolicy: "Never" } } },
    };
    const compact = compactWorkloadObject("Job", structuredClone(job)) as V1Job;
    expect(compact.spec).toEqual(job.spec);
    expect(compact.metadata?.annotations).toEqual({ "deployment.kubernetes.io/revision": "3" });
    expect(compact.metadata?.managedFields?.every((entry) => !("fieldsV1" in entry))).toBe(true);
  });
});
