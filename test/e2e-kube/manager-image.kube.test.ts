import { chown, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UpdateState } from "../../gen/updatemanager/v1/update_pb.js";
import { UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";
import { RolloutState } from "../../gen/updatemanager/v1/workload_pb.js";
import { builtImage, type ManagerContainer, runManagerContainer } from "../support/container-image.js";
import {
  deploymentManifest,
  type KubeE2eEnvironment,
  kubeconfigFile,
  migrationTemplateManifest,
  startKubeE2eEnvironment,
} from "./kube-e2e-environment.js";

// The manager as it ships: the container image (scripts/image/build-image.sh), run with podman on the host network,
// read-only, as uid 65532, with its ServiceAccount's kubeconfig mounted read-only, against the real 1.20 control
// plane with the RBAC of kube/overlays/test-1.20. Durable UpdateRuns (the default store) in its namespace.
const classifier = "shop";
const waitMs = 60_000;

let env: KubeE2eEnvironment;
let container: ManagerContainer | undefined;
let client: Client<typeof UpdateService>;
let secrets: string | undefined;

beforeAll(async () => {
  const image = builtImage();
  env = await startKubeE2eEnvironment();
  secrets = await mkdtemp(join(tmpdir(), "um-image-kubeconfig-"));
  const kubeconfig = join(secrets, "kubeconfig.json");
  await writeFile(kubeconfig, JSON.stringify(kubeconfigFile(env.plane.server, env.plane.caPem, env.managerToken)), {
    mode: 0o400,
  });
  // Readable by the container's user only, as a Secret volume with fsGroup would be.
  await chown(kubeconfig, 65532, 65532);
  container = await runManagerContainer(image, {
    env: {
      UPDATE_MANAGER_CLUSTER: "kubernetes",
      KUBECONFIG: "/etc/update-manager/kubeconfig.json",
      UPDATE_MANAGER_API_KEY: env.apiKey,
      POD_NAME: "update-manager-image-test",
      POD_NAMESPACE: "update-manager",
    },
    podmanOptions: ["--volume", `${kubeconfig}:/etc/update-manager/kubeconfig.json:ro`],
  });
  const bearer: Interceptor = (next) => (request) => {
    request.header.set("authorization", `Bearer ${env.apiKey}`);
    return next(request);
  };
  client = createClient(UpdateService, createGrpcTransport({ baseUrl: container.apiUrl, interceptors: [bearer] }));
});

afterAll(async () => {
  await container?.remove();
  await env?.stop();
  if (secrets) await rm(secrets, { recursive: true, force: true });
});

describe("the manager's container image on a real Kubernetes 1.20 control plane", () => {
  it("runs the migration and rolls a Deployment out: Update streams to SUCCEEDED", async () => {
    const namespace = await env.createNamespace("image");
    const repo = `registry.example.com/${namespace}/web`;
    await env.batch.createNamespacedJob({ namespace, body: migrationTemplateManifest("migrate", `${repo}:1.0.0`, classifier) });
    await env.apps.createNamespacedDeployment({
      namespace,
      body: deploymentManifest("web", `${repo}:1.0.0`, { classifier }),
    });
    // The manager's cache has the Deployment rolled out before the update starts.
    const deadline = Date.now() + waitMs;
    for (;;) {
      const { targets } = await client.listTargets({ namespace });
      const web = targets.find((target) => target.workload?.name === "web");
      if (web?.rollout?.state === RolloutState.COMPLETE) break;
      if (Date.now() > deadline) throw new Error(`the manager never saw web rolled out: ${JSON.stringify(targets.length)} targets`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    const { update } = await client.update({ image: `${repo}:1.1.0`, classifier, updateTimeout: { seconds: 60n } });
    const kinds: string[] = [];
    let state: UpdateState | undefined;
    for await (const message of client.watchUpdate({ updateId: update!.id }, { timeoutMs: 120_000 })) {
      if (message.message.case !== "event") continue;
      const kind = message.message.value.kind;
      kinds.push(kind.case ?? "");
      if (kind.case === "finished") state = kind.value.state;
    }
    expect(kinds).toContain("migrationSucceeded");
    expect(kinds.at(-1)).toBe("finished");
    expect(state).toBe(UpdateState.SUCCEEDED);
    const web = await env.apps.readNamespacedDeployment({ name: "web", namespace });
    expect(web.spec?.template.spec?.containers[0]?.image).toBe(`${repo}:1.1.0`);
  });
});
