import { describe, expect, it } from "vitest";
import { parseYamlDocuments, type KubeObject, findObject } from "./kustomize-files.js";
import { runKubectl } from "./kubectl.js";

describe("kube/otlp-egress rendered by kubectl's kustomize", () => {
  it("has the base's egress rules plus the OTLP one, and the OTEL endpoint on the manager's container", async () => {
    const result = await runKubectl(["kustomize", "kube/otlp-egress"]);
    expect(result.code, result.stderr).toBe(0);
    const objects = parseYamlDocuments(result.stdout, "kubectl kustomize kube/otlp-egress") as KubeObject[];
    const policy = findObject(objects, "NetworkPolicy", "update-manager");
    const egress = (policy.spec as { egress: { ports: { port: number }[] }[] }).egress;
    expect(egress.map((rule) => rule.ports.map((p) => p.port))).toEqual([
      [53, 53],
      [443, 6443],
      [4318, 4317],
    ]);
    const deployment = findObject(objects, "Deployment", "update-manager");
    const containers = (deployment.spec as { template: { spec: { containers: { env?: { name: string }[] }[] } } }).template.spec
      .containers;
    expect(containers[0]!.env?.map((e) => e.name)).toContain("OTEL_EXPORTER_OTLP_ENDPOINT");
  });
});
