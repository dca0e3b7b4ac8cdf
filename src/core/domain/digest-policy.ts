import { noChange, type VersionPolicy } from "./version-policy.js";

/**
 * The policy of a mutable tag ("latest", "1.27", "stable"): the tag itself never changes; the registry
 * watcher compares the digest behind it with the running one and updates to `tag@newDigest`. Choosing
 * among tags is therefore always "no change".
 */
export function createDigestPolicy(): VersionPolicy {
  return { description: "digest", choose: () => noChange };
}
