import { describe, expect, it } from "vitest";
import { parsePolicyConfig } from "../../src/policy/load-policy-config.js";
import { findObject, type KubeObject, parseYamlDocuments } from "./kustomize-files.js";
import { runKubectl } from "./kubectl.js";

describe("kube/alert-gate rendered by kubectl's kustomize", () => {
  it("adds the Prometheus egress rule to the base's, mounts the policies file, and its policies are valid", async () => {
    const result = await runKubectl(["kustomize", "kube/alert-gate"]);
    expect(result.code, result.stderr).toBe(0);
    const objects = parseYamlDocuments(result.stdout, "kubectl kustomize kube/alert-gate") as KubeObject[];
    const policy = findObject(objects, "NetworkPolicy", "update-manager");
    const egress = (policy.spec as { egress: { ports: { port: number }[] }[] }).egress;
    expect(egress.map((rule) => rule.ports.map((p) => p.port))).toEqual([
      [53, 53],
      [443, 6443],
      [9090],
    ]);
    const deployment = findObject(objects, "Deployment", "update-manager");
    const containers = (deployment.spec as { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } }).template.spec
      .containers;
    expect(containers[0]!.env).toContainEqual({ name: "UPDATE_MANAGER_POLICIES_FILE", value: "/etc/update-manager/policies/policies.yaml" });
    const configMap = findObject(objects, "ConfigMap", "update-manager-policies");
    const parsed = parsePolicyConfig((configMap as unknown as { data: Record<string, string> }).data["policies.yaml"] ?? "", "kube/alert-gate");
    expect(parsed).toMatchObject({ config: { windows: [{ name: "office-hours" }, { name: "node-nights" }], alertGates: { policies: [{ name: "no-pages" }] } } });
  });
});
