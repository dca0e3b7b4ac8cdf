import { describe, expect, it } from "vitest";
import { findObject, type KubeObject, parseYamlDocuments } from "./kustomize-files.js";
import { kubectlOk, runKubectl } from "./kubectl.js";

interface DeploymentObject {
  spec: { template: { spec: { containers: { name: string; env?: { name: string; value?: string }[] }[] } } };
}

const identity = (object: KubeObject) => `${object.kind}/${object.metadata.namespace ?? ""}/${object.metadata.name}`;

describe("kube/node-plans rendered by kubectl's kustomize", () => {
  it("is every object of kube/base plus the plans' namespace and grants, with node plans turned on in the Deployment", async () => {
    const result = await runKubectl(["kustomize", "kube/node-plans"]);
    expect(result.code, result.stderr).toBe(0);
    const objects = parseYamlDocuments(result.stdout, "kubectl kustomize kube/node-plans") as KubeObject[];
    const base = parseYamlDocuments(await kubectlOk(["kustomize", "kube/base"]), "kubectl kustomize kube/base") as KubeObject[];
    expect(objects.map(identity).filter((id) => !base.map(identity).includes(id)).sort()).toEqual([
      "ClusterRole//update-manager-node-plans",
      "ClusterRoleBinding//update-manager-node-plans",
      "Namespace//system-upgrade",
      "Role/system-upgrade/update-manager-node-plans",
      "RoleBinding/system-upgrade/update-manager-node-plans",
    ]);
    expect(base.map(identity).filter((id) => !objects.map(identity).includes(id))).toEqual([]);
    expect(findObject(objects, "Namespace", "system-upgrade").metadata.labels?.["pod-security.kubernetes.io/enforce"]).toBe("privileged");
    // The patch adds to the base's environment (strategic merge by name), it does not replace it.
    const [container] = (findObject(objects, "Deployment", "update-manager") as unknown as DeploymentObject).spec.template.spec.containers;
    const [baseContainer] = (findObject(base, "Deployment", "update-manager") as unknown as DeploymentObject).spec.template.spec.containers;
    const names = (container!.env ?? []).map((variable) => variable.name);
    expect(names).toEqual(expect.arrayContaining((baseContainer!.env ?? []).map((variable) => variable.name)));
    expect(container!.env).toContainEqual({ name: "UPDATE_MANAGER_NODE_PLANS", value: "true" });
    expect(container!.env).toContainEqual({ name: "UPDATE_MANAGER_PLAN_NAMESPACE", value: "system-upgrade" });
  });
});
