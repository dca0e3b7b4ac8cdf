import { readFile } from "node:fs/promises";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { Health, HealthCheckResponse_ServingStatus } from "../gen/grpc/health/v1/health_pb.js";
import { type KubeE2eEnvironment, startKubeE2eEnvironment, until, waitReady } from "./e2e-kube/kube-e2e-environment.js";
import { kubectlOk } from "./kube/kubectl.js";

// The real server process on a real control plane, as its own ServiceAccount, with UpdateRuns in a namespace its
// RBAC does not cover yet: the engine cannot start. The process must stay up, say why on /readyz and in the
// health service, retry, and become ready on its own once the operator grants the Role.
let env: KubeE2eEnvironment;

beforeAll(async () => {
  env = await startKubeE2eEnvironment();
});

afterAll(async () => {
  await env?.stop();
});

async function readyz(adminUrl: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${adminUrl}/readyz`);
  return { status: response.status, body: await response.text() };
}

/** kube/base's Role and RoleBinding for the manager, moved into `namespace`. */
async function grantManagerRole(namespace: string): Promise<void> {
  const documents = await Promise.all(
    ["kube/base/role.yaml", "kube/base/role-binding.yaml"].map(async (path) => {
      const object = parse(await readFile(path, "utf8")) as { metadata: { namespace: string } };
      object.metadata.namespace = namespace;
      return stringify(object);
    }),
  );
  await kubectlOk(["apply", "-f", "-"], { kubeconfig: env.plane.kubeconfigPath, input: documents.join("---\n") });
}

describe("the engine's start-up on a real cluster", () => {
  it("stays not ready with the reason while RBAC refuses its UpdateRuns, retries, and gets ready once granted", async () => {
    const namespace = await env.createNamespace("unbound");
    const manager = await env.startManager({
      waitReady: false,
      env: { UPDATE_MANAGER_STORE: "kubernetes", UPDATE_MANAGER_NAMESPACE: namespace, POD_NAME: "replica-0" },
    });

    const refused = await until("/readyz names the refusal", async () => {
      const answer = await readyz(manager.server.adminUrl);
      return /could not start/.test(answer.body) ? answer : undefined;
    });
    expect(refused.status).toBe(503);
    expect(refused.body).toMatch(/service account may not list updateruns.updatemanager.io in namespace unbound-/);
    const health = createClient(Health, createGrpcTransport({ baseUrl: manager.server.apiUrl }));
    expect((await health.check({})).status).toBe(HealthCheckResponse_ServingStatus.NOT_SERVING);
    // Retried, each attempt logged, and the process is still there.
    await until("a second attempt", async () =>
      manager.server.logs.filter((line) => line.msg === "the update engine could not start; retrying").length >= 2 ? true : undefined,
    );
    expect(manager.server.child.exitCode).toBeNull();

    await grantManagerRole(namespace);
    await waitReady(manager.server, 60_000);
    expect((await health.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect((await readyz(manager.server.adminUrl)).body).toBe("ready\n");
  });
});
