import { randomBytes } from "node:crypto";
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { createRestClient, type RestClient } from "../../../src/cluster/kubernetes/rest-client.js";
import { kubectlOk } from "../../kube/kubectl.js";
import { type ControlPlane, startControlPlane } from "../../support/control-plane.js";

/** One control plane with the UpdateRun CRD installed (as kube/base installs it), and fresh namespaces on demand. */
export interface CrdPlane {
  readonly plane: ControlPlane;
  readonly kubeConfig: KubeConfig;
  readonly rest: RestClient;
  createNamespace(prefix: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startCrdPlane(): Promise<CrdPlane> {
  const plane = await startControlPlane();
  try {
    await installUpdateRunCrd(plane.kubeconfigPath);
    const kubeConfig = plane.kubeConfig();
    const core = kubeConfig.makeApiClient(CoreV1Api);
    return {
      plane,
      kubeConfig,
      rest: createRestClient(kubeConfig),
      async createNamespace(prefix) {
        const name = `${prefix}-${randomBytes(3).toString("hex")}`;
        await core.createNamespace({ body: { metadata: { name } } });
        return name;
      },
      stop: () => plane.stop(),
    };
  } catch (error) {
    await plane.stop();
    throw error;
  }
}

/** Applies kube/base/update-run-crd.yaml and waits until the API server serves it. */
export async function installUpdateRunCrd(kubeconfig: string): Promise<void> {
  await kubectlOk(["apply", "-f", "kube/base/update-run-crd.yaml"], { kubeconfig });
  await kubectlOk(["wait", "--for=condition=Established", "--timeout=60s", "crd/updateruns.updatemanager.io"], { kubeconfig });
}
