import { timingSafeEqual } from "node:crypto";
import type { AccessGrant } from "./access-grant.js";
import { hashApiKey } from "./api-key-hash.js";

/** A named, scoped API key, as configured: never the key itself, only its SHA-256. */
export interface ApiKeyEntry {
  /** Recorded as the requester of its updates and in the audit log. */
  readonly name: string;
  /** SHA-256 of the key (32 bytes). */
  readonly sha256: Buffer;
  readonly grant: AccessGrant;
}

/** Finds the entry of a presented key; undefined when none matches. */
export type ApiKeyVerifier = (presented: string) => ApiKeyEntry | undefined;

/**
 * Matches a presented key against every configured key's hash, exactly (a prefix or an extension
 * of a key is a different hash) and in constant time: every entry is compared, with
 * `timingSafeEqual` on equal-length digests, whether or not an earlier one matched, so the time
 * taken tells nothing about which key, or how much of one, was right.
 */
export function createApiKeyVerifier(entries: readonly ApiKeyEntry[]): ApiKeyVerifier {
  for (const entry of entries) {
    if (entry.sha256.length !== 32) throw new Error(`API key ${entry.name}: the SHA-256 must be 32 bytes`);
  }
  return (presented) => {
    const digest = hashApiKey(presented);
    let found: ApiKeyEntry | undefined;
    for (const entry of entries) {
      // No early exit: the loop's duration does not depend on where (or whether) a match is.
      if (timingSafeEqual(digest, entry.sha256) && found === undefined) found = entry;
    }
    return found;
  };
}
