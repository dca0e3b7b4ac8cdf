import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UpdateState } from "../../gen/updatemanager/v1/update_pb.js";
import { RolloutState } from "../../gen/updatemanager/v1/workload_pb.js";
import { kubectlOk } from "../kube/kubectl.js";
import {
  deploymentManifest,
  type KubeE2eEnvironment,
  type ManagerUnderTest,
  migrationTemplateManifest,
  startKubeE2eEnvironment,
  until,
} from "./kube-e2e-environment.js";

// One control plane (1.20.2, which serves events.k8s.io/v1) and one fake node. The manager is the real server
// process with UpdateRuns (UPDATE_MANAGER_STORE=kubernetes), as ServiceAccount update-manager/update-manager with the
// RBAC of kube/: the Events it writes are what an operator reads with kubectl.
let env: KubeE2eEnvironment;
let manager: ManagerUnderTest;
const managerNamespace = "update-manager";
const podName = "update-manager-events-0";

beforeAll(async () => {
  env = await startKubeE2eEnvironment();
  manager = await env.startManager({
    env: { UPDATE_MANAGER_STORE: "kubernetes", POD_NAME: podName, POD_NAMESPACE: managerNamespace },
  });
});

afterAll(async () => {
  await env?.stop();
});

const classifier = "shop";
const waitMs = 60_000;

/** kubectl as the cluster's admin (an operator), from the repository root. */
const kubectl = (args: string[]) => kubectlOk(args, { kubeconfig: env.plane.kubeconfigPath });

/** Creates an opted-in Deployment (2 replicas) and waits until the manager lists it rolled out. */
async function seedDeployment(namespace: string, name: string, image: string): Promise<void> {
  await env.apps.createNamespacedDeployment({ namespace, body: deploymentManifest(name, image, { classifier, replicas: 2 }) });
  await until(
    `the manager lists ${namespace}/${name} rolled out`,
    async () => {
      const { targets } = await manager.client.listTargets({ namespace });
      const target = targets.find((t) => t.workload?.name === name);
      return target?.rollout?.state === RolloutState.COMPLETE ? true : undefined;
    },
    waitMs,
  );
}

async function finished(updateId: string) {
  return until(
    `update ${updateId} finishes`,
    async () => {
      const { update } = await manager.client.getUpdate({ updateId });
      return update !== undefined && update.finishTime !== undefined ? update : undefined;
    },
    120_000,
  );
}

/** The Events section of `kubectl describe`, once it names every reason (they are written asynchronously). */
async function describedEvents(args: string[], reasons: readonly string[]): Promise<string> {
  let last = "";
  try {
    return await until(
      `kubectl describe ${args.join(" ")} shows ${reasons.join(", ")}`,
      async () => {
        last = await kubectl(["describe", ...args]);
        const section = last.slice(last.indexOf("\nEvents:"));
        return reasons.every((reason) => section.includes(reason)) ? section : undefined;
      },
      30_000,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; it shows:\n${last}`);
  }
}

/**
 * `kubectl get events` in a namespace, as an operator would select them: one line per event, oldest first,
 * "type reason component instance message".
 */
async function eventsOf(namespace: string, fieldSelector: string): Promise<string[]> {
  const output = await kubectl(["get", "events", "-n", namespace, "--field-selector", fieldSelector, "-o", "json"]);
  const { items } = JSON.parse(output) as {
    items: { eventTime?: string; type: string; reason: string; reportingComponent: string; reportingInstance: string; message: string }[];
  };
  return items
    .sort((a, b) => (a.eventTime ?? "").localeCompare(b.eventTime ?? ""))
    .map((event) => `${event.type} ${event.reason} ${event.reportingComponent} ${event.reportingInstance} ${event.message}`);
}

describe("step Events of an update on a real Kubernetes 1.20 control plane", () => {
  it("shows each step on the Deployment and the migration template with kubectl describe, and the update's on its UpdateRun", async () => {
    const namespace = await env.createNamespace("events");
    const repo = `registry.example.com/${namespace}/web`;
    await env.batch.createNamespacedJob({ namespace, body: migrationTemplateManifest("migrate", `${repo}:1.0.0`, classifier) });
    await seedDeployment(namespace, "web", `${repo}:1.0.0`);

    const { update } = await manager.client.update({ image: `${repo}:1.1.0`, classifier, updateTimeout: { seconds: 60n } });
    const id = update!.id;
    expect((await finished(id)).state).toBe(UpdateState.SUCCEEDED);

    const onDeployment = await describedEvents(["deployment", "web", "-n", namespace], ["WorkloadPatched", "WorkloadHealthy"]);
    // "Type Reason Age From Message": Normal events from the manager naming the update and the images.
    expect(onDeployment).toMatch(
      new RegExp(`Normal\\s+WorkloadPatched\\s+.*update-manager.*\\s+Update ${id} set container app: ${repo}:1.0.0 -> ${repo}:1.1.0`),
    );
    expect(onDeployment).toMatch(new RegExp(`Normal\\s+WorkloadHealthy\\s+.*update-manager.*\\s+Update ${id} \\(${repo}:1.1.0\\): rolled out and healthy`));
    // The manager's own milestones only: never one per progress report.
    expect(onDeployment.match(/Workload[A-Za-z]+/g)).toEqual(["WorkloadPatched", "WorkloadHealthy"]);

    const onTemplate = await describedEvents(["job", "migrate", "-n", namespace], ["MigrationStarted", "MigrationSucceeded"]);
    expect(onTemplate).toContain(`migration Job ${update!.plan!.migrations[0]!.jobName} succeeded`);

    // The UpdateRun (named by the update's id) holds the update-level events, written by this pod.
    const runEvents = await until(
      "the UpdateRun's events",
      async () => {
        const lines = await eventsOf(managerNamespace, `involvedObject.kind=UpdateRun,involvedObject.name=${id}`);
        return lines.length >= 2 ? lines : undefined;
      },
      30_000,
    );
    expect(runEvents).toEqual([
      `Normal UpdateStarted update-manager ${podName} Update ${id} started: ${repo}:1.1.0 for classifier ${classifier}, 1 workload to patch, 1 migration`,
      `Normal UpdateSucceeded update-manager ${podName} Update ${id} (${repo}:1.1.0) succeeded`,
    ]);
    const onRun = await describedEvents(["updaterun", id, "-n", managerNamespace], ["UpdateStarted", "UpdateSucceeded"]);
    expect(onRun).toContain(`Update ${id} (${repo}:1.1.0) succeeded`);
    // Written through events.k8s.io/v1 (which 1.20 serves), so the reporting controller is set.
    const v1 = JSON.parse(await kubectl(["get", "events.v1.events.k8s.io", "-n", namespace, "-o", "json"])) as {
      items: {
        reason: string;
        reportingController: string;
        reportingInstance: string;
        regarding: { kind: string; name: string; uid: string };
        related?: { kind: string; name: string };
      }[];
    };
    const healthy = v1.items.filter((event) => event.reason === "WorkloadHealthy");
    const deployment = await env.apps.readNamespacedDeployment({ name: "web", namespace });
    expect(healthy).toHaveLength(1);
    expect(healthy[0]).toMatchObject({
      reportingController: "update-manager",
      reportingInstance: podName,
      regarding: { kind: "Deployment", name: "web", uid: deployment.metadata?.uid },
      related: { kind: "UpdateRun", name: id },
    });
  });

  it("warns of a crash-looping rollout and tells of its rollback on the Deployment and the UpdateRun", async () => {
    const namespace = await env.createNamespace("events-crash");
    const repo = `registry.example.com/${namespace}/web`;
    await seedDeployment(namespace, "web", `${repo}:1.0.0`);
    env.rules.crashLoop.add(`${namespace}/${repo}:2.0.0`);

    const { update } = await manager.client.update({ image: `${repo}:2.0.0`, classifier, updateTimeout: { seconds: 60n } });
    const id = update!.id;
    expect((await finished(id)).state).toBe(UpdateState.ROLLED_BACK);

    const onDeployment = await describedEvents(["deployment", "web", "-n", namespace], ["WorkloadPatched", "WorkloadFailed", "WorkloadRolledBack"]);
    expect(onDeployment).toMatch(/Warning\s+WorkloadFailed\s+.*update-manager.*CrashLoopBackOff/);
    expect(onDeployment).toContain(`Update ${id} restored container app: ${repo}:2.0.0 -> ${repo}:1.0.0`);
    const warnings = await eventsOf(managerNamespace, `involvedObject.name=${id},type=Warning`);
    expect(warnings.map((line) => line.split(" ").slice(0, 2).join(" "))).toEqual(["Warning RollbackStarted", "Warning UpdateRolledBack"]);
  });
});
