import type { PullSecret } from "./pull-secrets.js";

/**
 * A credential for one registry, taken from one pull secret. Opaque to the core: it names where it came from
 * (for grouping checks and for messages), never the user name or password, which stay in the adapter.
 */
export interface RegistryCredential {
  /**
   * Identity for grouping: `<namespace>/<secret>@<resourceVersion>`. Two workloads share a check only when
   * they share this key (or both are anonymous), so one tenant's credential never answers for another's workload.
   */
  readonly key: string;
  readonly namespace: string;
  readonly secret: string;
}

/** A repository on a registry: "127.0.0.1:5000" and "team/web". */
export interface RepositoryLocation {
  readonly registry: string;
  readonly repository: string;
}

/**
 * The registry as the watcher sees it: tag lists and digests (the OCI distribution API). Every failure is a
 * DomainError with reason REGISTRY_ERROR and metadata `registry`, `repository` and `registry_error`
 * (unauthorized, not-found, rate-limited, unavailable, invalid); its code follows the kind:
 * permission-denied, not-found, resource-exhausted (with `retryAfterMs`), unavailable, failed-precondition.
 */
export interface RegistryPort {
  /**
   * The credential the workload's pull secrets hold for `registry`: the first secret, in the order the workload
   * lists them, whose `.dockerconfigjson` has an entry for the host (as the kubelet tries them). Undefined: anonymous.
   * Throws DomainError failed-precondition (REGISTRY_ERROR) when a secret of the right type cannot be read.
   */
  credentialFor(registry: string, secrets: readonly PullSecret[]): RegistryCredential | undefined;
  /** Every tag of the repository. */
  listTags(location: RepositoryLocation, credential: RegistryCredential | undefined): Promise<readonly string[]>;
  /** The digest ("sha256:...") behind `tag`: one HEAD, never a manifest GET unless the registry omits the header. */
  getDigest(location: RepositoryLocation, tag: string, credential: RegistryCredential | undefined): Promise<string>;
}
