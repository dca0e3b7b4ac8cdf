import { describe, expect, it } from "vitest";
import { findObject, type KubeObject, parseYamlDocuments } from "./kustomize-files.js";
import { runKubectl } from "./kubectl.js";

describe("kube/notifications rendered by kubectl's kustomize", () => {
  it("has the base's egress rules plus SMTP and HTTPS, the routes ConfigMap, and the file and Secret mounted", async () => {
    const result = await runKubectl(["kustomize", "kube/notifications"]);
    expect(result.code, result.stderr).toBe(0);
    const objects = parseYamlDocuments(result.stdout, "kubectl kustomize kube/notifications") as KubeObject[];
    const policy = findObject(objects, "NetworkPolicy", "update-manager");
    const egress = (policy.spec as { egress: { ports: { port: number }[] }[] }).egress;
    expect(egress.map((rule) => rule.ports.map((p) => p.port))).toEqual([[53, 53], [443, 6443], [25, 465, 587], [443]]);
    findObject(objects, "ConfigMap", "update-manager-notification-routes");
    const deployment = findObject(objects, "Deployment", "update-manager");
    const pod = (deployment.spec as { template: { spec: unknown } }).template.spec as {
      containers: { env?: { name: string }[]; volumeMounts?: { name: string }[] }[];
      volumes?: { name: string }[];
    };
    // Merged into the base's container, not added beside it; the base's /tmp volume is kept.
    expect(pod.containers).toHaveLength(1);
    expect(pod.containers[0]!.env?.map((e) => e.name)).toContain("UPDATE_MANAGER_NOTIFICATIONS_FILE");
    expect(pod.containers[0]!.volumeMounts?.map((m) => m.name).sort()).toEqual(["notification-credentials", "notification-routes", "tmp"]);
    expect(pod.volumes?.map((v) => v.name).sort()).toEqual(["notification-credentials", "notification-routes", "tmp"]);
  });
});
