import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findObject, type KubeObject, kubeDir, readKustomization, readYamlFile } from "./kustomize-files.js";

const dir = join(kubeDir, "registry-egress");

interface EgressRule {
  to?: unknown[];
  ports: { port: number; protocol: string }[];
}

describe("kube/registry-egress", () => {
  const kustomization = readKustomization(dir);

  it("uses only what kubectl 1.20's kustomize understands, over kube/base", () => {
    expect(Object.keys(kustomization).sort()).toEqual(["apiVersion", "bases", "kind", "patchesJson6902"]);
    expect(kustomization.bases).toEqual(["../base"]);
  });

  it("appends one egress rule for registries on 5000 and 80 and keeps DNS and the API server", () => {
    const [patchRef] = kustomization.patchesJson6902!;
    expect(patchRef!.target).toEqual({
      group: "networking.k8s.io",
      version: "v1",
      kind: "NetworkPolicy",
      name: "update-manager",
      namespace: "update-manager",
    });
    const [operations] = readYamlFile(join(dir, patchRef!.path)) as [{ op: string; path: string; value: EgressRule }[]];
    // Appending, never replacing: a replaced list would cut DNS and the API server off.
    expect(operations.map((operation) => [operation.op, operation.path])).toEqual([["add", "/spec/egress/-"]]);
    const policy = findObject(readYamlFile(join(kubeDir, "base", "network-policy.yaml")) as KubeObject[], "NetworkPolicy");
    const egress = [...((policy.spec as { egress: EgressRule[] }).egress), operations[0]!.value];
    const ports = egress.map((rule) => rule.ports.map((p) => `${p.protocol}/${p.port}`).join(","));
    expect(ports).toEqual(["UDP/53,TCP/53", "TCP/443,TCP/6443", "TCP/5000,TCP/80"]);
  });
});
