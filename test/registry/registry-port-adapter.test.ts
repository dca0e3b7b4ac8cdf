import { describeRegistryCredentialContract } from "../contract/registry-credential-contract.js";
import { describe, expect, it } from "vitest";
import { isDomainError } from "../../src/core/domain/domain-error.js";
import type { PullSecret } from "../../src/core/ports/pull-secrets.js";
import type { CallOptions, RegistryClient } from "../../src/registry/registry-client.js";
import { RegistryError } from "../../src/registry/registry-error.js";
import { createRegistryPortAdapter } from "../../src/registry/registry-port-adapter.js";

function secret(namespace: string, name: string, auths: Record<string, unknown>, resourceVersion = "1"): PullSecret {
  return { namespace, name, resourceVersion, type: "kubernetes.io/dockerconfigjson", dockerConfigJson: JSON.stringify({ auths }) };
}

const basic = (user: string, password: string) => ({ auth: Buffer.from(`${user}:${password}`).toString("base64") });

function recordingClient(failure?: RegistryError) {
  const calls: { image: unknown; options: CallOptions | undefined }[] = [];
  const client: RegistryClient = {
    async listTags(image, options) {
      calls.push({ image, options });
      if (failure) throw failure;
      return ["1.0.0"];
    },
    async getDigest(image, options) {
      calls.push({ image, options });
      if (failure) throw failure;
      return { digest: `sha256:${"c".repeat(64)}`, mediaType: "" };
    },
    async getManifest() {
      throw new Error("the watcher never fetches manifests");
    },
  };
  return { client, calls };
}

describe("the registry port adapter", () => {
  it("uses the first pull secret with an entry for the registry, and its credentials only for that handle", async () => {
    const { client, calls } = recordingClient();
    const port = createRegistryPortAdapter({ client });
    const other = secret("team-a", "other", { "ghcr.io": basic("x", "y") });
    const mine = secret("team-a", "regcred", { "https://registry.example.com/v1/": basic("team-a", "s3cret") });

    const credential = port.credentialFor("registry.example.com", [other, mine]);
    await port.listTags({ registry: "registry.example.com", repository: "team/web" }, credential);
    await port.listTags({ registry: "registry.example.com", repository: "team/web" }, undefined);

    expect(credential).toEqual({ key: "team-a/regcred@1", namespace: "team-a", secret: "regcred" });
    expect(JSON.stringify(credential)).not.toContain("s3cret");
    expect(calls.map((call) => call.options?.credentials)).toEqual([{ username: "team-a", password: "s3cret" }, undefined]);
  });

  it("gives the same handle for the same secret version, a new one once the secret changed, none without an entry", () => {
    const port = createRegistryPortAdapter({ client: recordingClient().client });
    const v1 = secret("team-a", "regcred", { "registry.example.com": basic("a", "1") }, "1");
    const v2 = secret("team-a", "regcred", { "registry.example.com": basic("a", "2") }, "2");
    expect(port.credentialFor("registry.example.com", [v1])).toBe(port.credentialFor("registry.example.com", [v1]));
    expect(port.credentialFor("registry.example.com", [v2])?.key).toBe("team-a/regcred@2");
    expect(port.credentialFor("ghcr.io", [v2])).toBeUndefined();
    expect(port.credentialFor("registry.example.com", [{ ...v2, type: "Opaque" }])).toBeUndefined();
  });

  it("refuses an unreadable pull secret without quoting it", () => {
    const port = createRegistryPortAdapter({ client: recordingClient().client });
    const broken = { ...secret("team-a", "regcred", {}), dockerConfigJson: '{"auths": {"r": {"auth": "bm9jb2xvbg=="}}} trailing s3cret' };
    expect(() => port.credentialFor("r", [broken])).toThrowError(/pull secret team-a\/regcred: .dockerconfigjson is not JSON/);
    try {
      port.credentialFor("r", [broken]);
    } catch (error) {
      expect(String(error)).not.toContain("s3cret");
    }
  });

  it("maps registry error kinds to core codes, keeping Retry-After, and counts them", async () => {
    const seen: string[] = [];
    const failure = new RegistryError("rate-limited", "rate limited (HTTP 429)", { retryAfterMs: 5000, status: 429 });
    const port = createRegistryPortAdapter({ client: recordingClient(failure).client, onError: (registry, kind) => seen.push(`${registry} ${kind}`) });
    const error = await port.getDigest({ registry: "r.example", repository: "team/web" }, "latest", undefined).catch((e: unknown) => e);
    expect(isDomainError(error, "resource-exhausted")).toBe(true);
    expect(error).toMatchObject({ reason: "REGISTRY_ERROR", retryAfterMs: 5000, metadata: { registry: "r.example", registry_error: "rate-limited" } });
    expect(seen).toEqual(["r.example rate-limited"]);
    for (const [kind, code] of [
      ["unauthorized", "permission-denied"],
      ["not-found", "not-found"],
      ["unavailable", "unavailable"],
      ["invalid", "failed-precondition"],
    ] as const) {
      const mapped = await createRegistryPortAdapter({ client: recordingClient(new RegistryError(kind, kind)).client })
        .listTags({ registry: "r.example", repository: "x" }, undefined)
        .catch((e: unknown) => e);
      expect(isDomainError(mapped, code)).toBe(true);
    }
  });
});

describeRegistryCredentialContract("the real adapter", () => createRegistryPortAdapter({ client: recordingClient().client }));
