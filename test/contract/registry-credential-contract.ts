import { describe, expect, it } from "vitest";
import type { PullSecret } from "../../src/core/ports/pull-secrets.js";
import type { RegistryPort } from "../../src/core/ports/registry.js";

const auth = Buffer.from("robot:s3cret").toString("base64");

function secret(name: string, auths: Record<string, unknown> | string, type = "kubernetes.io/dockerconfigjson"): PullSecret {
  return {
    namespace: "shop",
    name,
    resourceVersion: "7",
    type,
    dockerConfigJson: typeof auths === "string" ? auths : JSON.stringify({ auths }),
  };
}

/**
 * How a RegistryPort picks the pull secret for a registry, held alike for the real adapter and the tests' fake:
 * docker-config matching (normalised hosts, Docker Hub aliases, ports, never a substring), only docker-config
 * secrets, a malformed secret refused by name.
 */
export function describeRegistryCredentialContract(name: string, open: () => RegistryPort): void {
  describe(`RegistryPort credentials: ${name}`, () => {
    it("matches a registry by its normalised host, not by a substring of the secret", () => {
      const port = open();
      const evil = secret("evil", { "registry.example.com.evil.net": { auth } });
      const prefixed = secret("prefixed", { "https://Registry.Example.com/v2/": { auth } });
      expect(port.credentialFor("registry.example.com", [evil])).toBeUndefined();
      expect(port.credentialFor("registry.example.com", [evil, prefixed])).toMatchObject({ namespace: "shop", secret: "prefixed" });
      expect(port.credentialFor("example.com", [prefixed])).toBeUndefined();
    });

    it("knows Docker Hub by its aliases and a registry by its port", () => {
      const port = open();
      const hub = secret("hub", { "https://index.docker.io/v1/": { auth } });
      const local = secret("local", { "registry.local:5000": { auth } });
      expect(port.credentialFor("docker.io", [hub])).toMatchObject({ secret: "hub" });
      expect(port.credentialFor("registry.local:5000", [local])).toMatchObject({ secret: "local" });
      expect(port.credentialFor("registry.local", [local])).toBeUndefined();
    });

    it("ignores secrets of another type and answers a malformed docker config by the secret's name", () => {
      const port = open();
      const opaque = secret("opaque", { "registry.example.com": { auth } }, "Opaque");
      expect(port.credentialFor("registry.example.com", [opaque])).toBeUndefined();
      const broken = secret("broken", "{not json");
      expect(() => port.credentialFor("registry.example.com", [broken])).toThrow(/pull secret shop\/broken/);
    });
  });
}
