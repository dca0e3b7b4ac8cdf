import {
  ApiException,
  AppsV1Api,
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type V1Deployment,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { type ControlPlane, startControlPlane } from "../support/control-plane.js";
import { kubectlOk, runKubectl } from "./kubectl.js";
import { createRestClient } from "../../src/cluster/kubernetes/rest-client.js";
import { systemClock } from "../../src/core/ports/clock.js";
import { createConfigMapNotificationDedupeStore } from "../../src/store/kubernetes/config-map-notification-dedupe-store.js";
import { type KubeObject, parseYamlDocuments } from "./kustomize-files.js";

const managerUser = "system:serviceaccount:update-manager:update-manager";
const jsonPatch = setHeaderOptions("Content-Type", PatchStrategy.JsonPatch);

type Outcome = "allowed" | "forbidden" | `HTTP ${number}`;

/** What the API server answered to one call: RBAC's verdict is all these tests look at. */
async function outcome(call: () => Promise<unknown>): Promise<Outcome> {
  try {
    await call();
    return "allowed";
  } catch (error) {
    if (!(error instanceof ApiException)) throw error;
    return error.code === 403 ? "forbidden" : `HTTP ${error.code}`;
  }
}

/** The message of a call the server refused (RBAC names the user and what was denied). */
async function refusal(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
  } catch (error) {
    if (error instanceof ApiException) return JSON.stringify(error.body);
    throw error;
  }
  throw new Error("the call was allowed");
}

/**
 * RBAC changes reach the authorizer through an informer, a moment after the write: polls (bounded) until the call
 * gets the wanted outcome and returns the last one seen.
 */
async function eventually(call: () => Promise<unknown>, wanted: Outcome, timeoutMs = 20_000): Promise<Outcome> {
  const deadline = Date.now() + timeoutMs;
  let last = await outcome(call);
  while (last !== wanted && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    last = await outcome(call);
  }
  return last;
}

function deploymentFixture(name: string, image: string): V1Deployment {
  const labels = { app: name, "update-manager.io/classifier": "shop" };
  return {
    metadata: { name, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels }, spec: { containers: [{ name: "app", image }] } },
    },
  };
}

/** A JSON patch like the manager's: it only changes the image when the container still holds the expected one. */
function imagePatch(from: string, to: string) {
  const path = "/spec/template/spec/containers/0/image";
  return [
    { op: "test", path, value: from },
    { op: "replace", path, value: to },
  ];
}

function migrationJob(name: string) {
  return {
    metadata: { name, labels: { "update-manager.io/migration-of": "migrate" } },
    spec: {
      backoffLimit: 0,
      template: {
        spec: { restartPolicy: "Never", containers: [{ name: "migrate", image: "registry.example.com/shop/web:1.1.0" }] },
      },
    },
  };
}

/**
 * Renders an overlay with kubectl's kustomize, then applies it the way an installer would: server-side dry run
 * first, then for real. Namespaces go first: a dry run of objects in a namespace that does not exist yet fails.
 * Returns the dry run's output.
 */
async function renderAndApply(overlay: string, kubeconfig: string): Promise<{ objects: KubeObject[]; dryRun: string }> {
  const rendered = await kubectlOk(["kustomize", overlay]);
  const objects = parseYamlDocuments(rendered, overlay) as KubeObject[];
  const toYaml = (list: KubeObject[]) => list.map((o) => stringify(o)).join("---\n");
  const namespaces = objects.filter((o) => o.kind === "Namespace");
  const rest = objects.filter((o) => o.kind !== "Namespace");
  let dryRun = "";
  for (const part of [namespaces, rest].filter((p) => p.length > 0)) {
    dryRun += await kubectlOk(["apply", "--dry-run=server", "-f", "-"], { kubeconfig, input: toYaml(part) });
    await kubectlOk(["apply", "-f", "-"], { kubeconfig, input: toYaml(part) });
  }
  return { objects, dryRun };
}

/** The manager ServiceAccount's token, from the Secret 1.20's token controller creates for it. */
async function serviceAccountToken(core: CoreV1Api): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const account = await core.readNamespacedServiceAccount({ name: "update-manager", namespace: "update-manager" });
    const secretName = account.secrets?.[0]?.name;
    if (secretName) {
      const secret = await core.readNamespacedSecret({ name: secretName, namespace: "update-manager" });
      const token = secret.data?.token;
      if (secret.type === "kubernetes.io/service-account-token" && token) {
        return Buffer.from(token, "base64").toString("utf8");
      }
    }
    if (Date.now() > deadline) throw new Error("the token controller minted no token for update-manager in 30 s");
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

interface Clients {
  core: CoreV1Api;
  apps: AppsV1Api;
  batch: BatchV1Api;
  coordination: CoordinationV1Api;
  rbac: RbacAuthorizationV1Api;
}

function clientsFor(kc: KubeConfig): Clients {
  return {
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    batch: kc.makeApiClient(BatchV1Api),
    coordination: kc.makeApiClient(CoordinationV1Api),
    rbac: kc.makeApiClient(RbacAuthorizationV1Api),
  };
}

describe("kube/ manifests on a Kubernetes 1.20 API server", () => {
  let plane: ControlPlane;
  let admin: Clients;
  let manager: Clients;
  let managerToken: string;

  beforeAll(async () => {
    plane = await startControlPlane();
    admin = clientsFor(plane.kubeConfig());
    // Workloads of a team the manager serves, and a Secret it must not read.
    await admin.core.createNamespace({ body: { metadata: { name: "shop" } } });
    await admin.apps.createNamespacedDeployment({
      namespace: "shop",
      body: deploymentFixture("web", "registry.example.com/shop/web:1.0.0"),
    });
    await admin.core.createNamespacedSecret({
      namespace: "shop",
      body: { metadata: { name: "db-password" }, stringData: { password: "hunter2" } },
    });
  });

  afterAll(async () => {
    await plane?.stop();
  });

  describe("kube/overlays/test-1.20 (kube/base: cluster-wide)", () => {
    let applied: { objects: KubeObject[]; dryRun: string };

    beforeAll(async () => {
      applied = await renderAndApply("kube/overlays/test-1.20", plane.kubeconfigPath);
      managerToken = await serviceAccountToken(admin.core);
      manager = clientsFor(plane.kubeConfigForToken(managerToken, "update-manager"));
    });

    it("passes the server's validation in a dry run and creates every object", async () => {
      const names = applied.objects.map((o) => `${o.kind}/${o.metadata.name}`);
      expect(names).toEqual(
        expect.arrayContaining([
          "Namespace/update-manager",
          "ServiceAccount/update-manager",
          "ClusterRole/update-manager",
          "ClusterRoleBinding/update-manager",
          "Role/update-manager",
          "RoleBinding/update-manager",
          "Deployment/update-manager",
          "Service/update-manager",
          "PodDisruptionBudget/update-manager",
          "NetworkPolicy/update-manager",
        ]),
      );
      expect(applied.dryRun.match(/\(server dry run\)/g)?.length).toBe(applied.objects.length);

      const deployment = await admin.apps.readNamespacedDeployment({ name: "update-manager", namespace: "update-manager" });
      expect(deployment.spec?.replicas).toBe(2);
      expect(deployment.spec?.template.spec?.containers[0]?.securityContext?.readOnlyRootFilesystem).toBe(true);
      const service = await admin.core.readNamespacedService({ name: "update-manager", namespace: "update-manager" });
      expect(service.spec?.ports?.map((p) => `${p.name}:${p.port}`)).toEqual(["api:9000", "admin:9090"]);
      const pdb = await kubectlOk(["get", "pdb", "-n", "update-manager", "update-manager", "-o", "jsonpath={.spec.minAvailable}"], {
        kubeconfig: plane.kubeconfigPath,
      });
      expect(pdb).toBe("1");
    });

    it("lets the manager list Deployments in every namespace", async () => {
      expect(await eventually(() => manager.apps.listDeploymentForAllNamespaces(), "allowed")).toBe("allowed");
      const list = await manager.apps.listDeploymentForAllNamespaces();
      expect(list.items.map((d) => `${d.metadata?.namespace}/${d.metadata?.name}`)).toContain("shop/web");
      expect(await outcome(() => manager.core.listPodForAllNamespaces())).toBe("allowed");
    });

    it("grants CronJobs by resource name, whichever batch version the server serves them as", async () => {
      // 1.20 serves CronJobs as batch/v1beta1 only; client-node speaks batch/v1, so ask the authorizer through kubectl.
      const kubeconfig = await plane.writeKubeconfig(managerToken, "update-manager");
      for (const verb of ["list", "watch", "patch"]) {
        const answer = await runKubectl(["auth", "can-i", verb, "cronjobs.batch", "--all-namespaces"], { kubeconfig });
        expect(answer.stdout.trim(), `${verb} cronjobs`).toBe("yes");
      }
      const del = await runKubectl(["auth", "can-i", "delete", "cronjobs.batch", "--all-namespaces"], { kubeconfig });
      expect(del.stdout.trim()).toBe("no");
    });

    it("never lets the manager list or watch Secrets; it may only read one by the name a workload gives", async () => {
      expect(await refusal(() => manager.core.listSecretForAllNamespaces())).toContain(managerUser);
      expect(await outcome(() => manager.core.listNamespacedSecret({ namespace: "shop" }))).toBe("forbidden");
      expect(await outcome(() => manager.core.listNamespacedSecret({ namespace: "update-manager" }))).toBe("forbidden");
      // The registry watcher reads a workload's own imagePullSecrets by name; RBAC cannot narrow `get`
      // to pull secrets in namespaces it does not know (the trade-off is in kube/README.md).
      expect(await outcome(() => manager.core.readNamespacedSecret({ name: "db-password", namespace: "shop" }))).not.toBe(
        "forbidden",
      );
    });

    it("lets the manager change a Deployment's image by JSON patch, and nothing else", async () => {
      const patched = await manager.apps.patchNamespacedDeployment(
        {
          name: "web",
          namespace: "shop",
          body: imagePatch("registry.example.com/shop/web:1.0.0", "registry.example.com/shop/web:1.1.0"),
        },
        jsonPatch,
      );
      expect(patched.spec?.template.spec?.containers[0]?.image).toBe("registry.example.com/shop/web:1.1.0");
      const current = await admin.apps.readNamespacedDeployment({ name: "web", namespace: "shop" });
      expect(current.spec?.template.spec?.containers[0]?.image).toBe("registry.example.com/shop/web:1.1.0");

      expect(await outcome(() => manager.apps.deleteNamespacedDeployment({ name: "web", namespace: "shop" }))).toBe(
        "forbidden",
      );
      expect(
        await outcome(() => manager.apps.replaceNamespacedDeployment({ name: "web", namespace: "shop", body: current })),
      ).toBe("forbidden");
      expect(
        await outcome(() =>
          manager.apps.createNamespacedDeployment({ namespace: "shop", body: deploymentFixture("intruder", "busybox") }),
        ),
      ).toBe("forbidden");
      // Still there, its spec unchanged by the refused calls (the controller keeps writing its status).
      const after = await admin.apps.readNamespacedDeployment({ name: "web", namespace: "shop" });
      expect(after.metadata?.deletionTimestamp).toBeUndefined();
      expect(after.metadata?.generation).toBe(current.metadata?.generation);
    });

    it("lets the manager create migration Jobs and report Events, but not delete Jobs", async () => {
      const job = await manager.batch.createNamespacedJob({ namespace: "shop", body: migrationJob("web-migrate-1") });
      expect(job.metadata?.uid).toBeTruthy();
      expect(
        await outcome(() =>
          manager.batch.patchNamespacedJob(
            { name: "web-migrate-1", namespace: "shop", body: [{ op: "add", path: "/spec/ttlSecondsAfterFinished", value: 3600 }] },
            jsonPatch,
          ),
        ),
      ).toBe("allowed");
      expect(await outcome(() => manager.batch.deleteNamespacedJob({ name: "web-migrate-1", namespace: "shop" }))).toBe(
        "forbidden",
      );
      expect(
        await outcome(() =>
          manager.core.createNamespacedEvent({
            namespace: "shop",
            body: {
              metadata: { name: "web.update-started" },
              involvedObject: { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "web" },
              reason: "UpdateStarted",
              message: "update u-1: registry.example.com/shop/web:1.1.0",
              type: "Normal",
            },
          }),
        ),
      ).toBe("allowed");
    });

    it("lets the manager hold a leader Lease in its own namespace only", async () => {
      const lease = (name: string) => ({
        metadata: { name },
        spec: { holderIdentity: "update-manager-0", leaseDurationSeconds: 15 },
      });
      expect(
        await outcome(() =>
          manager.coordination.createNamespacedLease({ namespace: "update-manager", body: lease("update-manager-leader") }),
        ),
      ).toBe("allowed");
      expect(
        await outcome(() =>
          manager.coordination.readNamespacedLease({ name: "update-manager-leader", namespace: "update-manager" }),
        ),
      ).toBe("allowed");
      expect(
        await outcome(() => manager.coordination.createNamespacedLease({ namespace: "shop", body: lease("hijack") })),
      ).toBe("forbidden");
    });

    it("lets the manager remember the notifications it sent in its ConfigMap, and no other", async () => {
      const rest = createRestClient(plane.kubeConfigForToken(managerToken, "update-manager"));
      const open = () => createConfigMapNotificationDedupeStore({ rest, namespace: "update-manager", clock: systemClock });
      const store = open();
      expect(await store.has("mail", "finding")).toBe(false);
      store.add("mail", "finding");
      await store.flush();
      expect(await open().has("mail", "finding")).toBe(true);
      const other = createConfigMapNotificationDedupeStore({ rest, namespace: "update-manager", name: "someone-elses", clock: systemClock });
      const refused = await other.has("mail", "finding").then(
        () => undefined,
        (error: unknown) => error as { code?: string; message?: string },
      );
      expect(refused?.code).toBe("permission-denied");
    });

    it("gives the manager no way to widen its own access", async () => {
      expect(
        await outcome(() =>
          manager.rbac.createClusterRoleBinding({
            body: {
              metadata: { name: "update-manager-admin" },
              roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
              subjects: [{ kind: "ServiceAccount", name: "update-manager", namespace: "update-manager" }],
            },
          }),
        ),
      ).toBe("forbidden");
      expect(await outcome(() => manager.core.listNamespacedConfigMap({ namespace: "shop" }))).toBe("forbidden");
    });
  });

  describe("kube/overlays/test-1.20-namespaced applied over it (kube/namespaced: team-a, team-b)", () => {
    beforeAll(async () => {
      for (const namespace of ["team-a", "team-b"]) {
        await admin.core.createNamespace({ body: { metadata: { name: namespace } } });
        await admin.apps.createNamespacedDeployment({
          namespace,
          body: deploymentFixture("api", `registry.example.com/${namespace}/api:2.0.0`),
        });
      }
      await renderAndApply("kube/overlays/test-1.20-namespaced", plane.kubeconfigPath);
    });

    it("revokes the cluster-wide grant", async () => {
      expect(await eventually(() => manager.apps.listDeploymentForAllNamespaces(), "forbidden")).toBe("forbidden");
      const binding = await admin.rbac.readClusterRoleBinding({ name: "update-manager" });
      expect(binding.subjects ?? []).toEqual([]);
    });

    it("configures the manager to watch exactly team-a and team-b", async () => {
      const deployment = await admin.apps.readNamespacedDeployment({ name: "update-manager", namespace: "update-manager" });
      const env = deployment.spec?.template.spec?.containers[0]?.env ?? [];
      expect(env.find((e) => e.name === "UPDATE_MANAGER_AUTOLOAD_NAMESPACES")?.value).toBe("false");
      expect(env.find((e) => e.name === "UPDATE_MANAGER_NAMESPACES")?.value).toBe("team-a,team-b");
    });

    it("lets the manager read, patch and migrate in the watched namespaces", async () => {
      for (const namespace of ["team-a", "team-b"]) {
        expect(await eventually(() => manager.apps.listNamespacedDeployment({ namespace }), "allowed")).toBe("allowed");
        expect(await outcome(() => manager.core.listNamespacedPod({ namespace }))).toBe("allowed");
        const image = `registry.example.com/${namespace}/api`;
        expect(
          await outcome(() =>
            manager.apps.patchNamespacedDeployment(
              { name: "api", namespace, body: imagePatch(`${image}:2.0.0`, `${image}:2.1.0`) },
              jsonPatch,
            ),
          ),
        ).toBe("allowed");
        expect(
          await outcome(() => manager.batch.createNamespacedJob({ namespace, body: migrationJob("api-migrate-1") })),
        ).toBe("allowed");
        expect(await outcome(() => manager.core.listNamespacedSecret({ namespace }))).toBe("forbidden");
      }
    });

    it("refuses the manager everything in a namespace it does not watch", async () => {
      expect(await refusal(() => manager.apps.listNamespacedDeployment({ namespace: "shop" }))).toContain(managerUser);
      expect(await outcome(() => manager.core.listNamespacedPod({ namespace: "shop" }))).toBe("forbidden");
      expect(
        await outcome(() =>
          manager.apps.patchNamespacedDeployment(
            {
              name: "web",
              namespace: "shop",
              body: imagePatch("registry.example.com/shop/web:1.1.0", "registry.example.com/shop/web:1.2.0"),
            },
            jsonPatch,
          ),
        ),
      ).toBe("forbidden");
      expect(await outcome(() => manager.batch.createNamespacedJob({ namespace: "shop", body: migrationJob("web-migrate-2") }))).toBe(
        "forbidden",
      );
    });

    it("lets the manager record step Events, through either Events API, in the watched namespaces and its own only", async () => {
      const kubeconfig = await plane.writeKubeconfig(managerToken, "update-manager");
      const canI = async (verb: string, resource: string, namespace: string) =>
        (await runKubectl(["auth", "can-i", verb, resource, "-n", namespace], { kubeconfig })).stdout.trim();
      // Workload steps in team-a and team-b; the update-level ones on the UpdateRuns in update-manager.
      for (const namespace of ["team-a", "team-b", "update-manager"]) {
        for (const verb of ["create", "patch"]) {
          for (const resource of ["events", "events.events.k8s.io"]) {
            expect(await canI(verb, resource, namespace), `${verb} ${resource} in ${namespace}`).toBe("yes");
          }
        }
      }
      expect(await canI("create", "events.events.k8s.io", "shop")).toBe("no");
      expect(await canI("delete", "events", "team-a")).toBe("no");
    });

    it("keeps the manager's leader Lease", async () => {
      expect(
        await outcome(() =>
          manager.coordination.readNamespacedLease({ name: "update-manager-leader", namespace: "update-manager" }),
        ),
      ).toBe("allowed");
    });
  });
});
