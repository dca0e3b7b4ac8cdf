import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { parseNotificationsConfig } from "../../src/notify/load-notifications-config.js";
import { findObject, type KubeObject, kubeDir, readKustomization, readYamlFile } from "./kustomize-files.js";

const dir = join(kubeDir, "notifications");

interface EgressRule {
  to?: unknown[];
  ports: { port: number; protocol: string }[];
}

describe("kube/notifications", () => {
  const kustomization = readKustomization(dir);

  it("uses only what kubectl 1.20's kustomize understands, over kube/base", () => {
    expect(Object.keys(kustomization).sort()).toEqual(["apiVersion", "bases", "kind", "patchesJson6902", "patchesStrategicMerge", "resources"]);
    expect(kustomization.bases).toEqual(["../base"]);
  });

  it("appends egress for SMTP (25, 465, 587) and HTTPS (443) and keeps DNS and the API server", () => {
    const [patchRef] = kustomization.patchesJson6902!;
    expect(patchRef!.target).toMatchObject({ kind: "NetworkPolicy", name: "update-manager", namespace: "update-manager" });
    const [operations] = readYamlFile(join(dir, patchRef!.path)) as [{ op: string; path: string; value: EgressRule }[]];
    expect(operations.map((operation) => [operation.op, operation.path])).toEqual([
      ["add", "/spec/egress/-"],
      ["add", "/spec/egress/-"],
    ]);
    const policy = findObject(readYamlFile(join(kubeDir, "base", "network-policy.yaml")) as KubeObject[], "NetworkPolicy");
    const egress = [...(policy.spec as { egress: EgressRule[] }).egress, ...operations.map((operation) => operation.value)];
    expect(egress.map((rule) => rule.ports.map((p) => `${p.protocol}/${p.port}`).join(","))).toEqual([
      "UDP/53,TCP/53",
      "TCP/443,TCP/6443",
      "TCP/25,TCP/465,TCP/587",
      "TCP/443",
    ]);
  });

  it("mounts a routes file the manager accepts, whose credentials are files of the mounted Secret", () => {
    const [deployment] = readYamlFile(join(dir, kustomization.patchesStrategicMerge![0]!)) as KubeObject[];
    const pod = (deployment!.spec as { template: { spec: unknown } }).template.spec as {
      containers: { env: { name: string; value: string }[]; volumeMounts: { name: string; mountPath: string }[] }[];
      volumes: { name: string; configMap?: { name: string }; secret?: { secretName: string } }[];
    };
    const container = pod.containers[0]!;
    const file = container.env.find((e) => e.name === "UPDATE_MANAGER_NOTIFICATIONS_FILE")?.value;
    expect(file).toBe("/etc/update-manager/notifications/notifications.yaml");
    const [routes] = readYamlFile(join(dir, "notification-routes.yaml")) as KubeObject[];
    const volumeOf = (path: string) => container.volumeMounts.find((mount) => path.startsWith(`${mount.mountPath}/`))?.name;
    expect(pod.volumes.find((volume) => volume.name === volumeOf(file!))?.configMap?.name).toBe(routes!.metadata.name);

    const [example] = readYamlFile(join(dir, "notification-credentials.example.yaml")) as KubeObject[];
    const secretMount = container.volumeMounts.find((mount) => pod.volumes.find((v) => v.name === mount.name)?.secret?.secretName === example!.metadata.name);
    const secretFiles = Object.fromEntries(
      Object.entries((example as unknown as { stringData: Record<string, string> }).stringData).map(([key, value]) => [`${secretMount!.mountPath}/${key}`, value]),
    );
    const document = parse((routes as unknown as { data: Record<string, string> }).data["notifications.yaml"]!) as Record<string, unknown>;
    const config = parseNotificationsConfig(document, "notification-routes.yaml", (path) => {
      const text = secretFiles[path];
      if (text === undefined) throw Object.assign(new Error("missing"), { code: "ENOENT" });
      return text;
    });
    expect(config.channels.map((channel) => channel.type)).toEqual(["webhook", "slack", "smtp", "telegram"]);
  });
});
