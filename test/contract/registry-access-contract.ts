import { afterEach, describe, expect, it } from "vitest";
import type { WorkloadRef } from "../../src/core/domain/workload.js";
import type { PullSecretsPort } from "../../src/core/ports/pull-secrets.js";
import type { RunningImagesPort } from "../../src/core/ports/running-images.js";

/** What an implementation of the registry watcher's cluster reads provides to run the contract. */
export interface RegistryAccessHarness {
  readonly access: PullSecretsPort & RunningImagesPort;
  /** Where `putSecret` and `seedDeployment` create objects; no other test uses it. */
  readonly namespace: string;
  /** Creates or replaces a Secret. */
  putSecret(name: string, type: string, dockerConfigJson: string): Promise<void>;
  /** A Deployment running `image` in container `app`, rolled out, its pods reporting image IDs. */
  seedDeployment(name: string, image: string): Promise<WorkloadRef>;
  teardown(): Promise<void>;
}

const config = JSON.stringify({ auths: { "registry.example.com": { auth: Buffer.from("robot:s3cret").toString("base64") } } });

/** PullSecretsPort and RunningImagesPort, held alike for the simulated cluster (unit tier) and Kubernetes (kube tier). */
export function describeRegistryAccessContract(name: string, setup: () => Promise<RegistryAccessHarness>): void {
  describe(`PullSecretsPort and RunningImagesPort contract: ${name}`, () => {
    let harness: RegistryAccessHarness | undefined;
    const open = async () => {
      harness = await setup();
      return harness;
    };
    afterEach(async () => {
      await harness?.teardown();
      harness = undefined;
    });

    it("reads a pull secret by name with its type and decoded docker config, and a rotation changes its version", async () => {
      const h = await open();
      expect(await h.access.getPullSecret(h.namespace, "absent")).toBeUndefined();
      await h.putSecret("registry", "kubernetes.io/dockerconfigjson", config);
      const first = await h.access.getPullSecret(h.namespace, "registry");
      expect(first).toMatchObject({ namespace: h.namespace, name: "registry", type: "kubernetes.io/dockerconfigjson", dockerConfigJson: config });
      await h.putSecret("registry", "kubernetes.io/dockerconfigjson", config.replace("registry.example.com", "ghcr.io"));
      const rotated = await h.access.getPullSecret(h.namespace, "registry");
      expect(rotated?.dockerConfigJson).toContain("ghcr.io");
      expect(rotated?.resourceVersion).not.toBe(first?.resourceVersion);
    });

    it("reports the image IDs the current template's pods run, by container, and nothing for a missing workload", async () => {
      const h = await open();
      const ref = await h.seedDeployment("web", "registry.example.com/contract/web:1.0.0");
      const ids = await h.access.runningImageIds(ref);
      expect([...ids.keys()]).toEqual(["app"]);
      expect(ids.get("app")).toMatch(/registry\.example\.com\/contract\/web@sha256:[0-9a-f]{64}$/);
      expect((await h.access.runningImageIds({ ...ref, name: "absent" })).size).toBe(0);
    });
  });
}
