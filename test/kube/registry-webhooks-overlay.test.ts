import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { parseWebhooksConfig } from "../../src/webhooks/load-webhooks-config.js";
import { type KubeObject, kubeDir, readKustomization, readYamlFile } from "./kustomize-files.js";

const dir = join(kubeDir, "registry-webhooks");

describe("kube/registry-webhooks", () => {
  const kustomization = readKustomization(dir);

  it("uses only what kubectl 1.20's kustomize understands, over kube/base", () => {
    expect(Object.keys(kustomization).sort()).toEqual(["apiVersion", "bases", "kind", "patchesStrategicMerge", "resources"]);
    expect(kustomization.bases).toEqual(["../base"]);
  });

  it("mounts a webhooks file the manager accepts, whose secrets are files of the mounted Secret", () => {
    const [deployment] = readYamlFile(join(dir, kustomization.patchesStrategicMerge![0]!)) as KubeObject[];
    const pod = (deployment!.spec as { template: { spec: unknown } }).template.spec as {
      containers: { env: { name: string; value: string }[]; volumeMounts: { name: string; mountPath: string }[] }[];
      volumes: { name: string; configMap?: { name: string }; secret?: { secretName: string } }[];
    };
    const container = pod.containers[0]!;
    const file = container.env.find((e) => e.name === "UPDATE_MANAGER_WEBHOOKS_FILE")?.value;
    expect(file).toBe("/etc/update-manager/webhooks/webhooks.yaml");
    const [configMap] = readYamlFile(join(dir, "webhooks-config.yaml")) as KubeObject[];
    const volumeOf = (path: string) => container.volumeMounts.find((mount) => path.startsWith(`${mount.mountPath}/`))?.name;
    expect(pod.volumes.find((volume) => volume.name === volumeOf(file!))?.configMap?.name).toBe(configMap!.metadata.name);

    const [example] = readYamlFile(join(dir, "webhook-secrets.example.yaml")) as KubeObject[];
    const secretMount = container.volumeMounts.find((mount) => pod.volumes.find((v) => v.name === mount.name)?.secret?.secretName === example!.metadata.name);
    const secretFiles = Object.fromEntries(
      Object.entries((example as unknown as { stringData: Record<string, string> }).stringData).map(([key, value]) => [`${secretMount!.mountPath}/${key}`, value]),
    );
    const document = parse((configMap as unknown as { data: Record<string, string> }).data["webhooks.yaml"]!) as Record<string, unknown>;
    const config = parseWebhooksConfig(document, "webhooks-config.yaml", (path) => {
      const text = secretFiles[path];
      if (text === undefined) throw Object.assign(new Error("not in the Secret"), { code: "ENOENT" });
      return text;
    });
    expect(config.endpoints.map((endpoint) => `${endpoint.type}:${endpoint.name}`)).toEqual([
      "distribution:in-cluster-registry",
      "github:github",
      "dockerhub:hub",
    ]);
  });
});
