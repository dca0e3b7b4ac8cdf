import type { Client } from "@connectrpc/connect";
import type { V1Deployment } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UpdateEvent } from "../../gen/updatemanager/v1/event_pb.js";
import { UpdateState } from "../../gen/updatemanager/v1/update_pb.js";
import type { UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";
import { createRestClient, type RestClient } from "../../src/cluster/kubernetes/rest-client.js";
import { judgeRollout } from "../../src/core/domain/judge-rollout.js";
import { toWorkload } from "../../src/cluster/kubernetes/to-workload.js";
import type { KubeWorkloadObject } from "../../src/cluster/kubernetes/kube-objects.js";
import { updateRunsPath } from "../../src/store/kubernetes/update-run-codec.js";
import {
  deploymentManifest,
  type KubeE2eEnvironment,
  type ManagerUnderTest,
  migrationTemplateManifest,
  startKubeE2eEnvironment,
  until,
} from "../e2e-kube/kube-e2e-environment.js";

// Managers as separate OS processes, as their own ServiceAccount, sharing UpdateRuns and a Lease in namespace
// update-manager. Lease timings are shortened so that a failover takes seconds, not a quarter of a minute.
const lease = { durationMs: 4000, renewDeadlineMs: 2500, retryPeriodMs: 500 };
const classifier = "ha";
const managerNamespace = "update-manager";
let env: KubeE2eEnvironment;
let admin: RestClient;

beforeAll(async () => {
  env = await startKubeE2eEnvironment();
  admin = createRestClient(env.adminKubeConfig);
});

afterAll(async () => {
  await env?.stop();
});

function startManager(podName: string): Promise<ManagerUnderTest> {
  return env.startManager({
    env: {
      UPDATE_MANAGER_STORE: "kubernetes",
      POD_NAME: podName,
      POD_NAMESPACE: managerNamespace,
      UPDATE_MANAGER_LEASE_DURATION: `${lease.durationMs / 1000}s`,
      UPDATE_MANAGER_LEASE_RENEW_DEADLINE: `${lease.renewDeadlineMs}ms`,
      UPDATE_MANAGER_LEASE_RETRY_PERIOD: `${lease.retryPeriodMs}ms`,
    },
  });
}

/** SIGKILL: no shutdown, no Lease release, no last write. */
async function kill(manager: ManagerUnderTest): Promise<void> {
  const exited = new Promise((resolve) => manager.server.child.once("exit", resolve));
  manager.server.child.kill("SIGKILL");
  await exited;
}

async function leaseHolder(): Promise<string | undefined> {
  const object = await admin.request<{ spec: { holderIdentity?: string } }>({
    method: "GET",
    path: `/apis/coordination.k8s.io/v1/namespaces/${managerNamespace}/leases/update-manager-leader`,
  });
  return object.spec.holderIdentity ?? undefined;
}

interface RunStatus {
  phase?: string;
  executor?: string;
  recentEvents?: { type: string }[];
}

async function runStatus(updateId: string): Promise<RunStatus | undefined> {
  const list = await admin.request<{ items: { spec: { id: string }; status?: RunStatus }[] }>({
    method: "GET",
    path: updateRunsPath(managerNamespace),
  });
  return list.items.find((item) => item.spec.id === updateId)?.status;
}

function imageOf(deployment: V1Deployment | undefined): string | undefined {
  return deployment?.spec?.template.spec?.containers[0]?.image;
}

async function seed(namespace: string, names: string[], image: string, minReadySeconds = 0): Promise<void> {
  for (const name of names) {
    await env.apps.createNamespacedDeployment({ namespace, body: deploymentManifest(name, image, { classifier, minReadySeconds }) });
  }
  for (const name of names) {
    await until(`${name} rolled out`, async () => {
      const object = await env.apps.readNamespacedDeployment({ namespace, name });
      return judgeRollout(toWorkload("Deployment", object as KubeWorkloadObject)).state === "complete" ? true : undefined;
    });
  }
}

async function waitForTargets(client: Client<typeof UpdateService>, namespace: string, count: number): Promise<void> {
  await until(`${count} targets listed`, async () => {
    const { targets } = await client.listTargets({ namespace });
    return targets.length === count ? true : undefined;
  });
}

/** Every event of a WatchUpdate stream until it ends (with gapless sequences and one `finished`, last). */
async function watchToEnd(client: Client<typeof UpdateService>, updateId: string): Promise<UpdateEvent[]> {
  const events: UpdateEvent[] = [];
  for await (const message of client.watchUpdate({ updateId }, { timeoutMs: 120_000 })) {
    if (message.message.case === "event") events.push(message.message.value);
  }
  expect(events.map((event) => Number(event.sequence))).toEqual(events.map((_, index) => index + 1));
  expect(events.filter((event) => event.kind.case === "finished")).toHaveLength(1);
  return events;
}

function finalState(events: UpdateEvent[]): UpdateState | undefined {
  const last = events.at(-1)?.kind;
  return last?.case === "finished" ? last.value.state : undefined;
}

/** How often the Deployment's template image was set to `image` by anyone, from its ReplicaSets' revisions. */
async function revisionsWith(namespace: string, app: string, image: string): Promise<number> {
  const list = await env.apps.listNamespacedReplicaSet({ namespace, labelSelector: `app=${app}` });
  return list.items.filter((set) => set.spec?.template?.spec?.containers[0]?.image === image).length;
}

describe("two replicas", () => {
  it("serves WatchUpdate from the follower while the leader executes, and the follower finishes the run after the leader is killed", async () => {
    const namespace = await env.createNamespace("failover");
    const repo = `registry.example.com/${namespace}/web`;
    await seed(namespace, ["api", "worker"], `${repo}:1.0.0`, 1);
    const a = await startManager("ha-a");
    await until("ha-a leads", async () => ((await leaseHolder()) === "ha-a" ? true : undefined));
    const b = await startManager("ha-b");
    await waitForTargets(b.client, namespace, 2);
    try {
      // Accepted by the follower, executed by the leader.
      const { update } = await b.client.update({ image: `${repo}:2.0.0`, classifier, updateTimeout: { seconds: 120n } });
      const id = update!.id;
      const watched = watchToEnd(b.client, id);
      await until("api patched by ha-a", async () => {
        const status = await runStatus(id);
        return status?.executor === "ha-a" && imageOf(await env.apps.readNamespacedDeployment({ namespace, name: "api" })) === `${repo}:2.0.0`
          ? true
          : undefined;
      });
      await kill(a);
      const killedAt = Date.now();

      const events = await watched;
      const finishedAfterMs = Date.now() - killedAt;
      expect(finalState(events)).toBe(UpdateState.SUCCEEDED);
      expect(finishedAfterMs).toBeLessThan(lease.durationMs + 5000);
      expect((await runStatus(id))?.executor).toBe("ha-b");
      expect(await leaseHolder()).toBe("ha-b");
      // Nothing done twice, nothing lost: each Deployment was changed to the new image exactly once.
      for (const name of ["api", "worker"]) {
        expect(imageOf(await env.apps.readNamespacedDeployment({ namespace, name }))).toBe(`${repo}:2.0.0`);
        expect(await revisionsWith(namespace, name, `${repo}:2.0.0`)).toBe(1);
      }
      const patched = events.filter((event) => event.kind.case === "workloadPatched").map((event) => (event.kind.value as { workload?: { name: string } }).workload?.name);
      expect(patched).toEqual(["api", "worker"]);
    } finally {
      await a.stop().catch(() => undefined);
      await b.stop();
    }
  });
});

describe("a manager killed with SIGKILL and started again", () => {
  it("resumes after the migration Job copy was created: the copy runs once and the rollout completes", async () => {
    const namespace = await env.createNamespace("kill-job");
    const repo = `registry.example.com/${namespace}/web`;
    await env.batch.createNamespacedJob({ namespace, body: migrationTemplateManifest("migrate", `${repo}:1.0.0`, classifier) });
    await seed(namespace, ["api"], `${repo}:1.0.0`);
    const first = await startManager("solo");
    await waitForTargets(first.client, namespace, 2);
    const { update } = await first.client.update({ image: `${repo}:2.0.0`, classifier, updateTimeout: { seconds: 120n } });
    const copyName = update!.plan!.migrations[0]!.jobName;
    await until("the migration copy exists", async () => (await env.batch.readNamespacedJob({ namespace, name: copyName })) ?? undefined);
    await kill(first);

    const second = await startManager("solo");
    try {
      const events = await watchToEnd(second.client, update!.id);
      expect(finalState(events)).toBe(UpdateState.SUCCEEDED);
      const copies = await env.batch.listNamespacedJob({ namespace });
      expect(copies.items.map((job) => job.metadata?.name).sort()).toEqual([copyName, "migrate"].sort());
      expect(imageOf(await env.apps.readNamespacedDeployment({ namespace, name: "api" }))).toBe(`${repo}:2.0.0`);
    } finally {
      await second.stop();
    }
  });

  it("resumes after the first workload was patched: every workload is changed exactly once", async () => {
    const namespace = await env.createNamespace("kill-patch");
    const repo = `registry.example.com/${namespace}/web`;
    await seed(namespace, ["api", "worker"], `${repo}:1.0.0`, 2);
    const first = await startManager("solo");
    await waitForTargets(first.client, namespace, 2);
    const { update } = await first.client.update({ image: `${repo}:2.0.0`, classifier, updateTimeout: { seconds: 120n } });
    await until("api patched", async () =>
      imageOf(await env.apps.readNamespacedDeployment({ namespace, name: "api" })) === `${repo}:2.0.0` ? true : undefined,
    );
    await kill(first);

    const second = await startManager("solo");
    try {
      const events = await watchToEnd(second.client, update!.id);
      expect(finalState(events)).toBe(UpdateState.SUCCEEDED);
      for (const name of ["api", "worker"]) {
        expect(imageOf(await env.apps.readNamespacedDeployment({ namespace, name }))).toBe(`${repo}:2.0.0`);
        expect(await revisionsWith(namespace, name, `${repo}:2.0.0`)).toBe(1);
      }
      // The locks went with the run: nothing is left on the workloads.
      const api = await env.apps.readNamespacedDeployment({ namespace, name: "api" });
      expect(Object.keys(api.metadata?.annotations ?? {}).filter((key) => key.includes("locked-by"))).toEqual([]);
    } finally {
      await second.stop();
    }
  });

  it("resumes mid-rollback and restores the previous images", async () => {
    const namespace = await env.createNamespace("kill-rollback");
    const repo = `registry.example.com/${namespace}/web`;
    await seed(namespace, ["api"], `${repo}:1.0.0`, 3);
    env.rules.crashLoop.add(`${namespace}/${repo}:2.0.0`);
    const first = await startManager("solo");
    await waitForTargets(first.client, namespace, 1);
    const { update } = await first.client.update({ image: `${repo}:2.0.0`, classifier, updateTimeout: { seconds: 120n } });
    await until("the rollback started", async () => {
      const status = await runStatus(update!.id);
      return status?.recentEvents?.some((event) => event.type === "rollback-started") ? true : undefined;
    });
    await kill(first);

    const second = await startManager("solo");
    try {
      const events = await watchToEnd(second.client, update!.id);
      expect(finalState(events)).toBe(UpdateState.ROLLED_BACK);
      expect(imageOf(await env.apps.readNamespacedDeployment({ namespace, name: "api" }))).toBe(`${repo}:1.0.0`);
      expect(events.filter((event) => event.kind.case === "rollbackStarted")).toHaveLength(1);
    } finally {
      await second.stop();
    }
  });
});

describe("the manager's own Deployment", () => {
  it("updates its own Deployment like any other opted-in workload, and a replacement process finishes the run", async () => {
    // The manager's Deployment runs no pods here (its processes run outside the cluster): opting it in makes it
    // a target whose rollout the new process gates, as a new manager pod would after the old one is replaced.
    await env.apps.patchNamespacedDeployment(
      { name: "update-manager", namespace: managerNamespace, body: [{ op: "add", path: "/metadata/labels/update-manager.io~1classifier", value: "self" }] },
    );
    const own = await env.apps.readNamespacedDeployment({ name: "update-manager", namespace: managerNamespace });
    const oldImage = imageOf(own)!;
    const newImage = oldImage.replace(/:[^:/@]+$/, ":0.2.0");
    const first = await startManager("self-a");
    await until("the manager lists itself", async () => {
      const { targets } = await first.client.listTargets({ namespace: managerNamespace });
      return targets.length === 1 ? true : undefined;
    });
    const { update } = await first.client.update({ image: newImage, classifier: "self", updateTimeout: { seconds: 120n } });
    await until("its own Deployment patched", async () =>
      imageOf(await env.apps.readNamespacedDeployment({ name: "update-manager", namespace: managerNamespace })) === newImage ? true : undefined,
    );
    // Kubernetes would now replace the old manager pod by a new one, with another name.
    await kill(first);
    const second = await startManager("self-b");
    try {
      const events = await watchToEnd(second.client, update!.id);
      expect(finalState(events)).toBe(UpdateState.SUCCEEDED);
      expect(imageOf(await env.apps.readNamespacedDeployment({ name: "update-manager", namespace: managerNamespace }))).toBe(newImage);
    } finally {
      await second.stop();
    }
  });
});
