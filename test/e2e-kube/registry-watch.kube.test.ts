import type { CoreV1Event, V1Deployment } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AvailabilityStatus } from "../../gen/updatemanager/v1/available_update_pb.js";
import { UpdateState } from "../../gen/updatemanager/v1/update_pb.js";
import { deploymentApi } from "../../src/cluster/kubernetes/kind-api.js";
import type { KubeWorkloadObject } from "../../src/cluster/kubernetes/kube-objects.js";
import { createRestClient } from "../../src/cluster/kubernetes/rest-client.js";
import { toWorkload } from "../../src/cluster/kubernetes/to-workload.js";
import { judgeRollout } from "../../src/core/domain/judge-rollout.js";
import { waitForObject } from "../cluster/kubernetes/kube-contract-harness.js";
import { dashboardPanels } from "../kube/monitoring/monitoring-files.js";
import { panelQueryProblems } from "../support/dashboard-panel-queries.js";
import { type PrometheusProcess, startPrometheus } from "../support/prometheus.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { startTogether } from "../support/start-together.js";
import { deploymentManifest, type KubeE2eEnvironment, type ManagerUnderTest, startKubeE2eEnvironment } from "./kube-e2e-environment.js";

// The registry watcher end to end: a real control plane (1.20.2) with the fake node, a real registry on 127.0.0.1
// with htpasswd auth, and the manager as its own process and ServiceAccount with exactly kube/'s RBAC and the
// durable store (UpdateRuns, Lease, the `update-manager-watch` ConfigMap). The only credentials for the registry are
// in a `kubernetes.io/dockerconfigjson` Secret the workloads name in `imagePullSecrets`.
let env: KubeE2eEnvironment;
let registry: TestRegistry;
let prometheus: PrometheusProcess | undefined;

beforeAll(async () => {
  [env, registry] = await startTogether(startKubeE2eEnvironment(), startRegistry({ auth: "htpasswd" }));
});

afterAll(async () => {
  await prometheus?.stop();
  await Promise.all([env?.stop(), registry?.stop()]);
});

const classifier = "watch";
const managerNamespace = "update-manager";
const requester = "registry-watcher";

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, detail = () => ""): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${detail()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A Deployment opted in with the classifier, watched by `annotations`, pulling with the Secret `regcred`. */
function watchedDeployment(name: string, image: string, annotations: Record<string, string>): V1Deployment {
  const manifest = deploymentManifest(name, image, { classifier });
  manifest.metadata = { ...manifest.metadata, annotations };
  manifest.spec!.template.spec!.imagePullSecrets = [{ name: "regcred" }];
  return manifest;
}

function imageOf(deployment: V1Deployment): string | undefined {
  return deployment.spec?.template.spec?.containers[0]?.image;
}

describe("registry watching on a real Kubernetes 1.20 control plane, by a least-privilege manager process", () => {
  it("rolls out the patch release the policy allows through the engine, and only reports the new major and digest", async () => {
    const repo = "team/app";
    const image = (tag: string) => `${registry.host}/${repo}:${tag}`;
    await registry.pushImage(repo, "1.0.0");
    const edgeBefore = await registry.pushImage(repo, "edge", { variant: "edge-1" });

    const namespace = await env.createNamespace("watch");
    await env.core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: "regcred" },
        type: "kubernetes.io/dockerconfigjson",
        data: { ".dockerconfigjson": Buffer.from(JSON.stringify(registry.dockerConfigJson())).toString("base64") },
      },
    });
    // The node reports what the registry holds for `edge` as the pods' imageID, as a real kubelet does.
    env.kubelet.behave({ digests: new Map([[image("edge"), edgeBefore]]) });
    await env.apps.createNamespacedDeployment({
      namespace,
      body: watchedDeployment("web", image("1.0.0"), { "update-manager.io/policy": "semver:patch" }),
    });
    await env.apps.createNamespacedDeployment({
      namespace,
      body: watchedDeployment("edge", image("edge"), { "update-manager.io/policy": "digest", "update-manager.io/mode": "notify" }),
    });
    const admin = createRestClient(env.adminKubeConfig);
    for (const name of ["web", "edge"]) {
      await waitForObject<KubeWorkloadObject>(
        env.adminKubeConfig,
        admin,
        deploymentApi,
        namespace,
        name,
        (object) => judgeRollout(toWorkload("Deployment", object)).state === "complete",
        60_000,
      );
    }

    const manager: ManagerUnderTest = await env.startManager({
      env: {
        UPDATE_MANAGER_STORE: "kubernetes",
        POD_NAMESPACE: managerNamespace,
        POD_NAME: "update-manager-watch-e2e",
        UPDATE_MANAGER_WATCH_INTERVAL: "30s",
        UPDATE_MANAGER_INSECURE_REGISTRIES: registry.host,
      },
    });
    // Debian's Prometheus scraping the manager, for the dashboard's registry panel; a failed start fails the test.
    prometheus = await startPrometheus({ targets: [`127.0.0.1:${manager.server.adminPort}`] });
    const logs = () => manager.server.logs;
    const recentLogs = () => `\nmanager log (last 30 lines):\n${logs().slice(-30).map((line) => JSON.stringify(line)).join("\n")}`;
    const cycles = () => logs().filter((line) => line.msg === "registry watch cycle done" && Number(line.workloadsChecked) >= 2);

    // The first check of both workloads: nothing newer than 1.0.0, and `edge` runs what its tag names.
    await until("the watcher's first check of both workloads", async () => cycles()[0], 60_000, recentLogs);
    expect(cycles()[0]?.errors).toEqual([]);
    expect((await manager.client.listAvailableUpdates({ namespace })).availableUpdates).toEqual([]);

    await registry.pushImage(repo, "1.0.1");
    await registry.pushImage(repo, "2.0.0");
    const edgeAfter = await registry.pushImage(repo, "edge", { variant: "edge-2" });
    expect(edgeAfter).not.toBe(edgeBefore);

    // The next check (the workloads' 30 s schedule): the watcher's own update of web to 1.0.1, through the engine.
    const update = await until(
      "an update by the registry watcher",
      async () => (await manager.client.listUpdates({ classifier, requester })).updates[0],
      90_000,
      recentLogs,
    );
    expect(update.image).toBe(image("1.0.1"));
    expect(update.plan?.workloads.map((target) => `${target.workload?.namespace}/${target.workload?.name}`)).toEqual([
      `${namespace}/web`,
    ]);
    const finished = await until(
      `update ${update.id} finished`,
      async () => {
        const { update: current } = await manager.client.getUpdate({ updateId: update.id });
        return current !== undefined && current.finishTime !== undefined ? current : undefined;
      },
      90_000,
      recentLogs,
    );
    expect(finished.state).toBe(UpdateState.SUCCEEDED);
    const web = await env.apps.readNamespacedDeployment({ namespace, name: "web" });
    expect(imageOf(web)).toBe(image("1.0.1"));
    expect(imageOf(await env.apps.readNamespacedDeployment({ namespace, name: "edge" }))).toBe(image("edge"));
    // One update in all: neither 2.0.0 nor the new digest was applied.
    expect((await manager.client.listUpdates({ classifier })).updates.map((entry) => entry.id)).toEqual([update.id]);

    // What it found and did not apply, with why.
    const { availableUpdates } = await manager.client.listAvailableUpdates({ namespace });
    const found = availableUpdates.map((entry) => ({
      workload: entry.workload?.name,
      image: entry.availableImage,
      status: AvailabilityStatus[entry.status],
      updateId: entry.updateId,
    }));
    expect(found).toContainEqual({ workload: "web", image: image("2.0.0"), status: "BEYOND_POLICY", updateId: "" });
    expect(found).toContainEqual({ workload: "edge", image: `${image("edge")}@${edgeAfter}`, status: "NOTIFY", updateId: "" });
    // 1.0.1 is listed as APPLYING until the next check sees web running it; nothing else is.
    expect(found.filter((entry) => entry.status !== "BEYOND_POLICY" && entry.status !== "NOTIFY")).toEqual(
      found.some((entry) => entry.image === image("1.0.1"))
        ? [{ workload: "web", image: image("1.0.1"), status: "APPLYING", updateId: update.id }]
        : [],
    );

    // Each finding is announced once as an Event on its Deployment (kubectl describe selects them by uid).
    const events = await until(
      "UpdateAvailable Events for 1.0.1, 2.0.0 and the new edge digest",
      async () => {
        const list = await env.core.listNamespacedEvent({ namespace, fieldSelector: "reason=UpdateAvailable" });
        return list.items.length >= 3 ? list.items : undefined;
      },
      30_000,
      recentLogs,
    );
    expect(events).toHaveLength(3);
    const eventFor = (needle: string): CoreV1Event => {
      const event = events.find((candidate) => candidate.message?.includes(needle));
      expect(event, `an Event naming ${needle}`).toBeDefined();
      return event!;
    };
    const beyond = eventFor(`${image("2.0.0")} is available`);
    expect(beyond.type).toBe("Normal");
    expect(beyond.involvedObject).toMatchObject({ kind: "Deployment", namespace, name: "web", uid: web.metadata?.uid });
    expect(beyond.message).toContain(`Container app: ${image("2.0.0")} is available (running ${image("1.0.0")}, policy semver:patch`);
    expect(beyond.message).toContain("not applied: beyond what policy semver:patch applies by itself");
    expect(eventFor(`${image("1.0.1")} is available`).message).toContain(`being applied by update ${update.id}`);
    const edgeEvent = eventFor(`${image("edge")}@${edgeAfter} is available`);
    expect(edgeEvent.involvedObject.name).toBe("edge");
    expect(edgeEvent.message).toContain("not applied: the mode is notify");

    // The durable state, in the ConfigMap kube/'s Role lets the manager create, read and patch.
    const state = await env.core.readNamespacedConfigMap({ namespace: managerNamespace, name: "update-manager-watch" });
    const attempts = JSON.parse(state.data?.["attempts.json"] ?? "{}") as Record<string, { updateId: string }>;
    expect(Object.values(attempts).map((attempt) => attempt.updateId)).toContain(update.id);
    expect(Object.keys(JSON.parse(state.data?.["first-seen.json"] ?? "{}") as object)).toEqual(
      expect.arrayContaining([expect.stringContaining(`${repo}:1.0.1`), expect.stringContaining(`${repo}:2.0.0`)]),
    );
    expect(state.data?.["available.json"]).toContain(image("2.0.0"));

    // The dashboard's registry requests panel answers through Prometheus, with the watcher's requests to this registry.
    // (Its registry errors panel stays exempt, as on the embedded cluster: nothing failed here.)
    const panel = "Registry requests per second by registry and code";
    await prometheus.waitFor(`sum(update_manager_registry_requests_total{registry="${registry.host}"}) > 0`, (s) => s.length === 1);
    expect(await panelQueryProblems(prometheus, { panels: [panel] })).toEqual([]);
    const answer = await prometheus.query(dashboardPanels().find((candidate) => candidate.title === panel)!.targets![0]!.expr);
    const series = answer.status === "success" ? answer.data.result.map((sample) => sample.metric) : [];
    expect(series, JSON.stringify(answer)).toContainEqual({ registry: registry.host, code: "200" });

    // Nothing the watcher did was refused: no registry, RBAC or Event errors in its log.
    const problems = logs().filter((line) => Number(line.level) >= 40 && line.component === "registry-watch");
    expect(problems).toEqual([]);
    await manager.stop();
  }, 240_000);
});
