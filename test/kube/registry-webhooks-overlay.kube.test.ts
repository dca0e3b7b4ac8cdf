import { describe, expect, it } from "vitest";
import { findObject, type KubeObject, parseYamlDocuments } from "./kustomize-files.js";
import { runKubectl } from "./kubectl.js";

describe("kube/registry-webhooks rendered by kubectl's kustomize", () => {
  it("has the webhooks ConfigMap, and the file and Secret mounted in the manager's one container", async () => {
    const result = await runKubectl(["kustomize", "kube/registry-webhooks"]);
    expect(result.code, result.stderr).toBe(0);
    const objects = parseYamlDocuments(result.stdout, "kubectl kustomize kube/registry-webhooks") as KubeObject[];
    findObject(objects, "ConfigMap", "update-manager-webhooks");
    const deployment = findObject(objects, "Deployment", "update-manager");
    const pod = (deployment.spec as { template: { spec: unknown } }).template.spec as {
      containers: { env?: { name: string }[]; volumeMounts?: { name: string }[] }[];
      volumes?: { name: string }[];
    };
    // Merged into the base's container, not added beside it; the base's /tmp volume is kept.
    expect(pod.containers).toHaveLength(1);
    expect(pod.containers[0]!.env?.map((e) => e.name)).toContain("UPDATE_MANAGER_WEBHOOKS_FILE");
    expect(pod.containers[0]!.volumeMounts?.map((m) => m.name).sort()).toEqual(["tmp", "webhook-secrets", "webhooks-config"]);
    expect(pod.volumes?.map((v) => v.name).sort()).toEqual(["tmp", "webhook-secrets", "webhooks-config"]);
  });
});
