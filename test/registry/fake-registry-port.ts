import { DomainError } from "../../src/core/domain/domain-error.js";
import type { PullSecret } from "../../src/core/ports/pull-secrets.js";
import type { RegistryCredential, RegistryPort, RepositoryLocation } from "../../src/core/ports/registry.js";
import { findRegistryCredentials, parseDockerConfigJson } from "../../src/registry/docker-config.js";

export interface RegistryCall {
  readonly kind: "tags" | "digest";
  readonly where: string;
  readonly credential: string;
}

/**
 * A RegistryPort of repositories in memory ("host/repo" -> tags, "host/repo:tag" -> digest) that picks
 * credentials by the real adapter's docker-config rules (src/registry/docker-config.ts: normalised hosts, Docker
 * Hub aliases, only `kubernetes.io/dockerconfigjson` secrets, a malformed one refused naming the secret), so the
 * watcher's tests cannot pass on a matching the real adapter does not do. test/contract/registry-credential-contract.ts
 * holds both to the same answers.
 */
export function createFakeRegistryPort(tags: Map<string, string[]>, digests: Map<string, string> = new Map()) {
  const calls: RegistryCall[] = [];
  const failures = new Map<string, DomainError>();
  const port: RegistryPort = {
    credentialFor(registry: string, secrets: readonly PullSecret[]): RegistryCredential | undefined {
      for (const secret of secrets) {
        if (secret.type !== "kubernetes.io/dockerconfigjson" || secret.dockerConfigJson === undefined) continue;
        let found: ReturnType<typeof findRegistryCredentials>;
        try {
          found = findRegistryCredentials(parseDockerConfigJson(secret.dockerConfigJson), registry);
        } catch (error) {
          throw new DomainError("failed-precondition", "REGISTRY_ERROR", `pull secret ${secret.namespace}/${secret.name}: ${(error as Error).message}`, {
            metadata: { registry, registry_error: "invalid" },
          });
        }
        if (found !== undefined) return { key: `${secret.namespace}/${secret.name}@${secret.resourceVersion}`, namespace: secret.namespace, secret: secret.name };
      }
      return undefined;
    },
    async listTags(location: RepositoryLocation, credential) {
      const where = `${location.registry}/${location.repository}`;
      calls.push({ kind: "tags", where, credential: credential?.key ?? "anonymous" });
      const failure = failures.get(location.registry);
      if (failure !== undefined) throw failure;
      return tags.get(where) ?? [];
    },
    async getDigest(location, tag, credential) {
      const where = `${location.registry}/${location.repository}:${tag}`;
      calls.push({ kind: "digest", where, credential: credential?.key ?? "anonymous" });
      const failure = failures.get(location.registry);
      if (failure !== undefined) throw failure;
      const digest = digests.get(where);
      if (digest === undefined) throw new DomainError("not-found", "REGISTRY_ERROR", `${where} not found`);
      return digest;
    },
  };
  return { port, calls, failures };
}
