import { parseAccessGrant } from "./access-grant.js";
import { sha256HexPattern } from "./api-key-hash.js";
import type { ApiKeyEntry } from "./api-key-verifier.js";
import { isRecord, parseConfigDocument, unknownFields } from "./config-document.js";

/** Names no configured key may take: the env key's and the anonymous caller's. */
export const reservedKeyNames: readonly string[] = ["api-key", "anonymous"];

/** Letters, digits, ".", "_" and "-"; no ":", so a key never looks like a CI identity (`github:...`). */
const keyNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

const keyFields = ["name", "sha256", "description", "rpcs", "classifiers", "namespaces", "repositories"] as const;

/**
 * Parses a keys document (YAML or JSON; see docs/access-control.md):
 *
 * ```yaml
 * keys:
 *   - name: shop-ci
 *     sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
 *     rpcs: [Update, GetUpdate, WatchUpdate]
 *     classifiers: [shop]
 *     namespaces: [shop]
 *     repositories: [registry.example.com/shop/web]
 * ```
 *
 * Returns every entry, or every problem found (prefixed with `source`), never quoting a hash.
 */
export function parseApiKeys(text: string, source: string): { keys: ApiKeyEntry[] } | { problems: string[] } {
  const document = parseConfigDocument(text, source, "strings");
  if ("problem" in document) return { problems: [document.problem] };
  const problems: string[] = [];
  const top = unknownFields(document.value, ["keys"], source);
  if (top !== undefined) problems.push(top);
  const rawKeys = document.value["keys"];
  if (!Array.isArray(rawKeys)) {
    problems.push(`${source}: "keys" must be a list of keys`);
    return { problems };
  }

  const keys: ApiKeyEntry[] = [];
  const names = new Set<string>();
  const hashes = new Map<string, string>();
  rawKeys.forEach((raw: unknown, index) => {
    const where = `${source}: keys[${index}]`;
    if (!isRecord(raw)) {
      problems.push(`${where} must be a mapping with name, sha256, rpcs, classifiers, namespaces and repositories`);
      return;
    }
    const before = problems.length;
    const name = raw["name"];
    const label = typeof name === "string" ? `${where} (${name})` : where;
    if ("key" in raw || "apiKey" in raw || "secret" in raw) {
      problems.push(`${label}: store the key's SHA-256 in "sha256", never the key itself (printf %s "$KEY" | sha256sum)`);
    } else {
      const unknown = unknownFields(raw, keyFields, label);
      if (unknown !== undefined) problems.push(unknown);
    }
    if (typeof name !== "string" || !keyNamePattern.test(name)) {
      problems.push(`${where}: "name" is required: 1 to 63 letters, digits, ".", "_" or "-", starting with a letter or digit`);
    } else if (reservedKeyNames.includes(name)) {
      problems.push(`${label}: the name ${JSON.stringify(name)} is reserved`);
    } else if (names.has(name)) {
      problems.push(`${label}: another key has the same name; names identify updates' requesters and must be unique`);
    }
    const sha256 = raw["sha256"];
    if (typeof sha256 !== "string" || !sha256HexPattern.test(sha256.toLowerCase())) {
      problems.push(`${label}: "sha256" is required: the SHA-256 of the key as 64 hex characters`);
    } else {
      const other = hashes.get(sha256.toLowerCase());
      if (other !== undefined) problems.push(`${label}: it has the same key (sha256) as ${other}; every key must be distinct`);
    }
    if (raw["description"] !== undefined && typeof raw["description"] !== "string") {
      problems.push(`${label}: "description" must be a string`);
    }
    const grant = parseAccessGrant(raw, label, problems);
    if (typeof name === "string") names.add(name);
    if (typeof sha256 === "string") hashes.set(sha256.toLowerCase(), typeof name === "string" ? name : where);
    if (problems.length > before || grant === undefined) return;
    keys.push({ name: name as string, sha256: Buffer.from((sha256 as string).toLowerCase(), "hex"), grant });
  });
  return problems.length > 0 ? { problems } : { keys };
}
