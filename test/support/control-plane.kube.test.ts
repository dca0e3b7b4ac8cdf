import { randomBytes } from "node:crypto";
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  makeInformer,
  type V1Deployment,
  type V1Job,
  type V1Pod,
  VersionApi,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, startControlPlane } from "./control-plane.js";
import { createFakeKubelet, type FakeKubelet } from "./fake-kubelet.js";

// One control plane for the file; every test works in its own namespace and its own images, so the kubelet's
// image rules of one test never match another's pods.
let plane: ControlPlane;
let kubelet: FakeKubelet;
let kc: KubeConfig;
let core: CoreV1Api;
let apps: AppsV1Api;
let batch: BatchV1Api;

beforeAll(async () => {
  const started = Date.now();
  plane = await startControlPlane();
  kc = plane.kubeConfig();
  kubelet = createFakeKubelet(kc);
  await kubelet.start();
  console.info(`control plane + fake kubelet ready in ${Date.now() - started} ms`);
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
  batch = kc.makeApiClient(BatchV1Api);
});

afterAll(async () => {
  const started = Date.now();
  await kubelet?.stop();
  await plane?.stop();
  console.info(`stopped in ${Date.now() - started} ms`);
});

describe("control plane harness", () => {
  it("serves the Kubernetes version it was built as", async () => {
    const version = await kc.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toBe("v1.20.2");
    expect(`${version.major}.${version.minor}`).toBe("1.20");
  });

  it("rolls a Deployment out to available pods that report digests and serve a Service", async () => {
    const namespace = await createNamespace("deploy");
    const image = "registry.test/harness/web:1.0";
    const digest = `sha256:${"ab".repeat(32)}`;
    kubelet.behave({ digests: new Map([[image, digest]]) });
    const started = Date.now();
    await apps.createNamespacedDeployment({ namespace, body: deployment("web", image, 2) });
    await core.createNamespacedService({
      namespace,
      body: {
        metadata: { name: "web" },
        spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }] },
      },
    });

    await until("deployment web available", deploymentsIn(namespace), (items) => isAvailable(items[0], 2));
    console.info(`Deployment with 2 replicas available in ${Date.now() - started} ms`);

    const pods = (await core.listNamespacedPod({ namespace, labelSelector: "app=web" })).items;
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      expect(pod.spec?.nodeName).toBe(kubelet.nodeName);
      expect(pod.status?.phase).toBe("Running");
      expect(pod.status?.podIP).toMatch(/^198\.51\.100\.\d+$/);
      expect(pod.status?.containerStatuses?.[0]?.imageID).toBe(`docker-pullable://registry.test/harness/web@${digest}`);
    }
    // EndpointSlice/Endpoints controllers accept the pod IPs: the Service gets both pods as ready addresses.
    await until(
      "service web endpoints",
      {
        path: `/api/v1/namespaces/${namespace}/endpoints`,
        list: () => core.listNamespacedEndpoints({ namespace }),
      },
      (items) => items.find((e) => e.metadata?.name === "web")?.subsets?.[0]?.addresses?.length === 2,
    );

    // Scaling down deletes pods: the kubelet finishes their graceful deletion.
    await apps.patchNamespacedDeploymentScale(
      { name: "web", namespace, body: [{ op: "replace", path: "/spec/replicas", value: 0 }] },
    );
    await until("pods of web gone", podsIn(namespace), (items) => items.length === 0);
  });

  it("runs a Job to completion, and fails it when told to", async () => {
    const namespace = await createNamespace("job");
    const good = "registry.test/harness/migrate:ok";
    const bad = "registry.test/harness/migrate:broken";
    kubelet.behave({ failJob: (image) => image === bad });
    await batch.createNamespacedJob({ namespace, body: job("migrate-ok", good) });
    await batch.createNamespacedJob({ namespace, body: job("migrate-bad", bad) });

    const jobs = await until("both jobs finished", jobsIn(namespace), (items) => {
      const finished = items.filter((j) => j.status?.conditions?.some((c) => c.status === "True"));
      return finished.length === 2;
    });
    const byName = new Map(jobs.map((j) => [j.metadata?.name, j]));
    expect(byName.get("migrate-ok")?.status?.succeeded).toBe(1);
    expect(byName.get("migrate-ok")?.status?.conditions?.map((c) => c.type)).toContain("Complete");
    const failed = byName.get("migrate-bad")?.status?.conditions?.find((c) => c.type === "Failed");
    expect(failed?.reason).toBe("BackoffLimitExceeded");
    const badPod = (await core.listNamespacedPod({ namespace, labelSelector: "job-name=migrate-bad" })).items[0];
    expect(badPod?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(1);
  });

  it("reports a crash-looping Deployment as ProgressDeadlineExceeded", async () => {
    const namespace = await createNamespace("crash");
    const image = "registry.test/harness/crasher:2.0";
    kubelet.behave({ crashLoop: (i) => i === image });
    const body = deployment("crasher", image, 1);
    body.spec!.progressDeadlineSeconds = 10;
    await apps.createNamespacedDeployment({ namespace, body });

    const [stuck] = await until("deployment crasher past its deadline", deploymentsIn(namespace), (items) =>
      items[0]?.status?.conditions?.some((c) => c.type === "Progressing" && c.reason === "ProgressDeadlineExceeded") ??
      false,
    );
    expect(stuck?.status?.availableReplicas ?? 0).toBe(0);
    const [pod] = await until("crash-looping pod restarted", podsIn(namespace), (items) =>
      (items[0]?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1,
    );
    const status = pod?.status?.containerStatuses?.[0];
    expect(pod?.status?.phase).toBe("Running");
    expect(status?.ready).toBe(false);
    expect(status?.state?.waiting?.reason).toBe("CrashLoopBackOff");
  });

  it("keeps pods whose image cannot be pulled Pending in ImagePullBackOff", async () => {
    const namespace = await createNamespace("pull");
    const image = "registry.test/harness/missing:0.0";
    kubelet.behave({ imagePull: (i) => i === image });
    await apps.createNamespacedDeployment({ namespace, body: deployment("missing", image, 1) });

    const [pod] = await until("pod in ImagePullBackOff", podsIn(namespace), (items) =>
      items[0]?.status?.containerStatuses?.[0]?.state?.waiting?.reason === "ImagePullBackOff",
    );
    expect(pod?.status?.phase).toBe("Pending");
    expect(pod?.status?.containerStatuses?.[0]?.ready).toBe(false);
  });
});

interface Source<T extends KubernetesObject> {
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
}

const deploymentsIn = (namespace: string): Source<V1Deployment> => ({
  path: `/apis/apps/v1/namespaces/${namespace}/deployments`,
  list: () => apps.listNamespacedDeployment({ namespace }),
});
const jobsIn = (namespace: string): Source<V1Job> => ({
  path: `/apis/batch/v1/namespaces/${namespace}/jobs`,
  list: () => batch.listNamespacedJob({ namespace }),
});
const podsIn = (namespace: string): Source<V1Pod> => ({
  path: `/api/v1/namespaces/${namespace}/pods`,
  list: () => core.listNamespacedPod({ namespace }),
});

/**
 * Resolves with the objects once `done` holds for them, re-checked on every watch event (no polling); rejects
 * after `timeoutMs` showing what was last seen.
 */
async function until<T extends KubernetesObject>(
  what: string,
  source: Source<T>,
  done: (items: T[]) => boolean,
  timeoutMs = 60_000,
): Promise<T[]> {
  const informer = makeInformer(kc, source.path, source.list);
  try {
    return await new Promise<T[]>((resolve, reject) => {
      // Checked only once start() resolved: stopping an informer whose watch is still being opened leaks the watch.
      let watching = false;
      const check = () => {
        if (!watching) return;
        const items = [...informer.list()];
        if (!done(items)) return;
        clearTimeout(timer);
        resolve(items);
      };
      const timer = setTimeout(() => {
        const seen = informer.list().map((o) => ({ name: o.metadata?.name, status: (o as { status?: unknown }).status }));
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${JSON.stringify(seen)}`));
      }, timeoutMs);
      for (const event of ["add", "update", "delete"] as const) informer.on(event, () => check());
      informer.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      informer.start().then(() => {
        watching = true;
        check();
      }, reject);
    });
  } finally {
    await informer.stop();
  }
}

/** A fresh namespace whose default ServiceAccount already has its token (pods are rejected before that). */
async function createNamespace(prefix: string): Promise<string> {
  const namespace = `${prefix}-${randomBytes(3).toString("hex")}`;
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  await until(
    `default ServiceAccount token in ${namespace}`,
    { path: `/api/v1/namespaces/${namespace}/serviceaccounts`, list: () => core.listNamespacedServiceAccount({ namespace }) },
    (items) => (items.find((sa) => sa.metadata?.name === "default")?.secrets?.length ?? 0) > 0,
    30_000,
  );
  return namespace;
}

function isAvailable(d: V1Deployment | undefined, replicas: number): boolean {
  const s = d?.status;
  return (
    !!s &&
    (s.observedGeneration ?? 0) >= (d?.metadata?.generation ?? 1) &&
    s.updatedReplicas === replicas &&
    s.availableReplicas === replicas &&
    (s.conditions?.some((c) => c.type === "Available" && c.status === "True") ?? false)
  );
}

function deployment(name: string, image: string, replicas: number): V1Deployment {
  return {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name, image, ports: [{ containerPort: 8080 }] }] },
      },
    },
  };
}

function job(name: string, image: string): V1Job {
  return {
    metadata: { name },
    spec: {
      // One try: a failure ends the Job at once instead of after the controller's growing back-off.
      backoffLimit: 0,
      template: { spec: { restartPolicy: "Never", containers: [{ name, image }] } },
    },
  };
}
