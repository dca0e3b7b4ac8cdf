import { DomainError, isDomainError } from "../domain/domain-error.js";
import type { RegistryCredential, RegistryPort, RepositoryLocation } from "../ports/registry.js";

/**
 * One registry request the watcher needs, shared by every workload that needs the same answer: a tag list per
 * (registry, repository, credential), a digest per (registry, repository, tag, credential).
 */
export type RegistryCheck =
  | { readonly kind: "tags"; readonly location: RepositoryLocation; readonly credential: RegistryCredential | undefined }
  | {
      readonly kind: "digest";
      readonly location: RepositoryLocation;
      readonly tag: string;
      readonly credential: RegistryCredential | undefined;
    };

export type RegistryCheckResult =
  | { readonly ok: true; readonly tags: readonly string[] }
  | { readonly ok: true; readonly digest: string }
  | { readonly ok: false; readonly error: DomainError };

/** The grouping key: equal keys are answered by one request. Anonymous checks share across namespaces. */
export function registryCheckKey(check: RegistryCheck): string {
  const who = check.credential?.key ?? "anonymous";
  const where = `${check.location.registry}/${check.location.repository}`;
  return check.kind === "tags" ? `tags ${where} ${who}` : `digest ${where}:${check.tag} ${who}`;
}

export interface RunRegistryChecksOptions {
  /** Checks in flight at once (the registry client limits per registry as well). */
  readonly concurrency: number;
  /**
   * Registries that asked to wait (429 with a long Retry-After): host -> epoch ms. Checks of a blocked registry
   * fail without a request; a rate-limited answer blocks its registry for the rest of the cycle and after it.
   */
  readonly blockedUntil: Map<string, number>;
  readonly nowMs: () => number;
}

/** Runs the checks, each once; one registry's failures never hold up another's checks. */
export async function runRegistryChecks(
  checks: ReadonlyMap<string, RegistryCheck>,
  registry: RegistryPort,
  options: RunRegistryChecksOptions,
): Promise<Map<string, RegistryCheckResult>> {
  const results = new Map<string, RegistryCheckResult>();
  const queue = [...checks];
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const [key, check] = next;
      results.set(key, await runOne(check));
    }
  };
  const runOne = async (check: RegistryCheck): Promise<RegistryCheckResult> => {
    const host = check.location.registry;
    const blocked = options.blockedUntil.get(host);
    if (blocked !== undefined && blocked > options.nowMs()) {
      const retryAfterMs = blocked - options.nowMs();
      return {
        ok: false,
        error: new DomainError(
          "resource-exhausted",
          "REGISTRY_ERROR",
          `${host} asked to wait (rate limited); the next request goes out in ${Math.ceil(retryAfterMs / 1000)} s`,
          { retryAfterMs, metadata: { registry: host, repository: check.location.repository, registry_error: "rate-limited" } },
        ),
      };
    }
    try {
      return check.kind === "tags"
        ? { ok: true, tags: await registry.listTags(check.location, check.credential) }
        : { ok: true, digest: await registry.getDigest(check.location, check.tag, check.credential) };
    } catch (error) {
      const domainError = isDomainError(error)
        ? error
        : new DomainError("internal", "REGISTRY_ERROR", `checking ${host}/${check.location.repository} failed: ${String(error)}`, {
            cause: error,
            metadata: { registry: host, repository: check.location.repository, registry_error: "internal" },
          });
      if (domainError.code === "resource-exhausted") {
        const until = options.nowMs() + (domainError.retryAfterMs ?? 60_000);
        options.blockedUntil.set(host, Math.max(options.blockedUntil.get(host) ?? 0, until));
      }
      return { ok: false, error: domainError };
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, queue.length)) }, worker));
  return results;
}
