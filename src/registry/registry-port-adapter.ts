import { DomainError, type DomainErrorCode } from "../core/domain/domain-error.js";
import type { PullSecret } from "../core/ports/pull-secrets.js";
import type { RegistryCredential, RegistryPort } from "../core/ports/registry.js";
import { findRegistryCredentials, parseDockerConfigJson, type RegistryCredentials } from "./docker-config.js";
import type { RegistryClient } from "./registry-client.js";
import { isRegistryError, type RegistryErrorKind } from "./registry-error.js";

export interface RegistryPortAdapterOptions {
  readonly client: RegistryClient;
  /** Called with each failure's registry and kind (metrics). Default: none. */
  readonly onError?: (registry: string, kind: RegistryErrorKind) => void;
}

const dockerConfigJsonType = "kubernetes.io/dockerconfigjson";

/** RegistryError kinds as core error codes: the one mapping of the watcher's registry failures. */
const codeOfKind: Record<RegistryErrorKind, DomainErrorCode> = {
  unauthorized: "permission-denied",
  "not-found": "not-found",
  "rate-limited": "resource-exhausted",
  unavailable: "unavailable",
  invalid: "failed-precondition",
};

/**
 * The registry client behind the core's RegistryPort. Credentials come only from the pull secrets the core
 * passes (the workload's own); the client has no default credentials, so "anonymous" means anonymous. The
 * user name and password stay here, keyed by the opaque handle the core groups checks with.
 */
export function createRegistryPortAdapter(options: RegistryPortAdapterOptions): RegistryPort {
  const { client } = options;
  const secretsOf = new WeakMap<RegistryCredential, RegistryCredentials>();
  /** Handles per (registry, secret, resourceVersion): equal inputs give the same handle, so checks group. */
  const handles = new Map<string, RegistryCredential>();

  const translate = (error: unknown, registry: string, repository: string): DomainError => {
    if (!isRegistryError(error)) {
      return new DomainError("internal", "REGISTRY_ERROR", `${registry}/${repository}: ${String(error)}`, {
        cause: error,
        metadata: { registry, repository, registry_error: "internal" },
      });
    }
    options.onError?.(registry, error.kind);
    return new DomainError(codeOfKind[error.kind], "REGISTRY_ERROR", error.message, {
      cause: error,
      ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
      metadata: { registry, repository, registry_error: error.kind },
    });
  };

  return {
    credentialFor(registry, secrets: readonly PullSecret[]) {
      for (const secret of secrets) {
        if (secret.type !== dockerConfigJsonType || secret.dockerConfigJson === undefined) continue;
        const handleKey = `${registry}\0${secret.namespace}/${secret.name}@${secret.resourceVersion}`;
        const known = handles.get(handleKey);
        if (known !== undefined) return known;
        let credentials: RegistryCredentials | undefined;
        try {
          credentials = findRegistryCredentials(parseDockerConfigJson(secret.dockerConfigJson), registry);
        } catch (error) {
          // The parser never quotes the secret's content; its message names the bad entry only.
          throw new DomainError(
            "failed-precondition",
            "REGISTRY_ERROR",
            `pull secret ${secret.namespace}/${secret.name}: ${(error as Error).message}`,
            { metadata: { registry, registry_error: "invalid" } },
          );
        }
        if (credentials === undefined) continue;
        const handle: RegistryCredential = {
          key: `${secret.namespace}/${secret.name}@${secret.resourceVersion}`,
          namespace: secret.namespace,
          secret: secret.name,
        };
        secretsOf.set(handle, credentials);
        // A rotated secret gets a new resourceVersion: drop the handles of its old versions.
        for (const key of handles.keys()) {
          if (key.startsWith(`${registry}\0${secret.namespace}/${secret.name}@`)) handles.delete(key);
        }
        handles.set(handleKey, handle);
        return handle;
      }
      return undefined;
    },
    async listTags(location, credential) {
      const credentials = credential === undefined ? undefined : secretsOf.get(credential);
      try {
        return await client.listTags(
          { registry: location.registry, repository: location.repository },
          credentials === undefined ? {} : { credentials },
        );
      } catch (error) {
        throw translate(error, location.registry, location.repository);
      }
    },
    async getDigest(location, tag, credential) {
      const credentials = credential === undefined ? undefined : secretsOf.get(credential);
      try {
        const { digest } = await client.getDigest(
          { registry: location.registry, repository: location.repository, tag },
          credentials === undefined ? {} : { credentials },
        );
        return digest;
      } catch (error) {
        throw translate(error, location.registry, location.repository);
      }
    },
  };
}
