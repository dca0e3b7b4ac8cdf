import { createHash } from "node:crypto";
import type { NodeUpgradePlanSpec } from "./node-upgrade-plan.js";

/**
 * The plan's hash (status.latestHash, the value of each upgraded node's plan label). As the seed computes it, a
 * SHA-224 over the resolved version, the ServiceAccount and the contents of each Secret not marked
 * `ignoreUpdates`; beyond the seed it also covers what the Job runs (`upgrade`, `prepare`, `secrets`), so that
 * changing the upgrade command runs the plan again. What only steers the rollout (concurrency, nodeSelector,
 * window, drain, tolerations, ...) is left out: changing it must not upgrade every node again.
 *
 * @param secretDigests one digest per Secret of `spec.secrets` not marked `ignoreUpdates`, in that order
 *   (the Kubernetes adapter computes them from the Secrets' data). Default: none.
 */
export function planHash(latestVersion: string, spec: NodeUpgradePlanSpec, secretDigests: readonly string[] = []): string {
  const hash = createHash("sha224");
  hash.update(latestVersion);
  hash.update(spec.serviceAccountName);
  hash.update(canonicalJson({ upgrade: spec.upgrade, prepare: spec.prepare ?? null, secrets: spec.secrets }));
  for (const digest of secretDigests) hash.update(digest);
  return hash.digest("hex");
}

/** JSON with object keys sorted, so equal specs hash equally whatever order their fields came in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
