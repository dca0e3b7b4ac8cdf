/** A workload's image pull secret (`kubernetes.io/dockerconfigjson`), as read by name. */
export interface PullSecret {
  readonly namespace: string;
  readonly name: string;
  /** Changes whenever the secret changes: part of the credential's identity, so a rotated secret is used at once. */
  readonly resourceVersion: string;
  /** The Secret's `type`, e.g. "kubernetes.io/dockerconfigjson". */
  readonly type: string;
  /** The decoded `.dockerconfigjson` (undefined when the Secret has no such key). */
  readonly dockerConfigJson: string | undefined;
}

/**
 * Reads the pull secrets a workload names in its pod template (`spec.imagePullSecrets`), one GET by name each:
 * the manager never lists Secrets, and reads only those its watched workloads name.
 */
export interface PullSecretsPort {
  /** Undefined when the Secret does not exist. Throws DomainError for other failures (forbidden, unreachable). */
  getPullSecret(namespace: string, name: string): Promise<PullSecret | undefined>;
}
