import { describe, expect, it } from "vitest";
import { findObject, type KubeObject, parseYamlDocuments } from "./kustomize-files.js";
import { runKubectl } from "./kubectl.js";

describe("kube/registry-egress rendered by kubectl's kustomize", () => {
  it("has the base's egress rules plus the registries' ports", async () => {
    const result = await runKubectl(["kustomize", "kube/registry-egress"]);
    expect(result.code, result.stderr).toBe(0);
    const objects = parseYamlDocuments(result.stdout, "kubectl kustomize kube/registry-egress") as KubeObject[];
    const policy = findObject(objects, "NetworkPolicy", "update-manager");
    const egress = (policy.spec as { egress: { ports: { port: number }[] }[] }).egress;
    expect(egress.map((rule) => rule.ports.map((p) => p.port))).toEqual([
      [53, 53],
      [443, 6443],
      [5000, 80],
    ]);
    // The rest of the base is untouched.
    findObject(objects, "Deployment", "update-manager");
  });
});
