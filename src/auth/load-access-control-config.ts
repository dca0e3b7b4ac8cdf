import { readFileSync } from "node:fs";
import { ConfigError } from "../config/config-error.js";
import type { ApiKeyEntry } from "./api-key-verifier.js";
import { parseApiKeys } from "./api-keys-file.js";
import { type OidcConfig, parseOidcConfig } from "./oidc-config.js";
import { defaultReadLimit, defaultWriteLimit, type RateLimit } from "./rate-limiter.js";

/** The access-control settings (UPDATE_MANAGER_API_KEY itself stays with src/config). */
export interface AccessControlConfig {
  /** Named, scoped keys. Default: none. */
  readonly keys: readonly ApiKeyEntry[];
  /** CI identity tokens. Default: not accepted. */
  readonly oidc?: OidcConfig;
  /** Per principal. Default: 10 a minute, burst 5. */
  readonly writeLimit: RateLimit;
  /** Per principal. Default: 100 a minute, burst 50. */
  readonly readLimit: RateLimit;
  /** Default: "open". */
  readonly reflection: "open" | "authenticated";
}

/**
 * The variables `loadAccessControlConfig` reads:
 *
 * | Variable | Default | Meaning |
 * | --- | --- | --- |
 * | `UPDATE_MANAGER_API_KEYS_FILE` | (none) | Keys document (YAML or JSON), e.g. a mounted Secret: named keys as SHA-256 hashes with their scopes. |
 * | `UPDATE_MANAGER_API_KEYS` | (none) | The same document inline (e.g. from a Secret through `valueFrom`). Not together with the file. |
 * | `UPDATE_MANAGER_OIDC_CONFIG_FILE` | (none) | OIDC document (YAML or JSON), e.g. a mounted ConfigMap: trusted CI issuers, audiences and claim rules. |
 * | `UPDATE_MANAGER_WRITE_RATE_PER_MINUTE` | 10 | Update, CancelUpdate and ClearQuarantine calls a minute per principal; 0 turns the limit off. |
 * | `UPDATE_MANAGER_WRITE_BURST` | 5 | Write calls possible at once. |
 * | `UPDATE_MANAGER_READ_RATE_PER_MINUTE` | 100 | Other calls a minute per principal; 0 turns the limit off. |
 * | `UPDATE_MANAGER_READ_BURST` | 50 | Read calls possible at once. |
 * | `UPDATE_MANAGER_REFLECTION_ACCESS` | open | `open`, or `authenticated` (any valid credential). |
 */
export const accessControlVariables = [
  "UPDATE_MANAGER_API_KEYS_FILE",
  "UPDATE_MANAGER_API_KEYS",
  "UPDATE_MANAGER_OIDC_CONFIG_FILE",
  "UPDATE_MANAGER_WRITE_RATE_PER_MINUTE",
  "UPDATE_MANAGER_WRITE_BURST",
  "UPDATE_MANAGER_READ_RATE_PER_MINUTE",
  "UPDATE_MANAGER_READ_BURST",
  "UPDATE_MANAGER_REFLECTION_ACCESS",
] as const;

/** Reads a file's text; throws when it cannot. Replaceable in tests. */
export type ReadText = (path: string) => string;

/**
 * Loads the access-control settings from the environment (an empty variable counts as unset).
 *
 * @throws ConfigError listing every problem found, none quoting a key hash or a secret.
 */
export function loadAccessControlConfig(
  env: Readonly<Record<string, string | undefined>>,
  readText: ReadText = (path) => readFileSync(path, "utf8"),
): AccessControlConfig {
  const problems: string[] = [];
  const variable = (name: (typeof accessControlVariables)[number]) => {
    const value = env[name];
    return value === undefined || value.trim() === "" ? undefined : value;
  };
  const read = (name: string, path: string): string | undefined => {
    try {
      return readText(path);
    } catch (error) {
      problems.push(`${name}: cannot read ${path}: ${(error as { code?: string }).code ?? (error as Error).message}`);
      return undefined;
    }
  };

  let keys: readonly ApiKeyEntry[] = [];
  const keysFile = variable("UPDATE_MANAGER_API_KEYS_FILE");
  const keysInline = variable("UPDATE_MANAGER_API_KEYS");
  if (keysFile !== undefined && keysInline !== undefined) {
    problems.push("UPDATE_MANAGER_API_KEYS_FILE and UPDATE_MANAGER_API_KEYS are both set: set one");
  } else if (keysFile !== undefined || keysInline !== undefined) {
    const source = keysFile === undefined ? "UPDATE_MANAGER_API_KEYS" : `UPDATE_MANAGER_API_KEYS_FILE (${keysFile})`;
    const text = keysFile === undefined ? keysInline : read("UPDATE_MANAGER_API_KEYS_FILE", keysFile);
    if (text !== undefined) {
      const parsed = parseApiKeys(text, source);
      if ("problems" in parsed) problems.push(...parsed.problems);
      else keys = parsed.keys;
    }
  }

  let oidc: OidcConfig | undefined;
  const oidcFile = variable("UPDATE_MANAGER_OIDC_CONFIG_FILE");
  if (oidcFile !== undefined) {
    const text = read("UPDATE_MANAGER_OIDC_CONFIG_FILE", oidcFile);
    if (text !== undefined) {
      const parsed = parseOidcConfig(text, `UPDATE_MANAGER_OIDC_CONFIG_FILE (${oidcFile})`);
      if ("problems" in parsed) problems.push(...parsed.problems);
      else oidc = parsed.config;
    }
  }

  const count = (name: (typeof accessControlVariables)[number], fallback: number, min: number): number => {
    const text = variable(name);
    if (text === undefined) return fallback;
    const value = Number(text.trim());
    if (!/^\d+$/.test(text.trim()) || value < min || value > 1_000_000) {
      problems.push(`${name} must be a whole number from ${min} to 1000000, got ${JSON.stringify(text.slice(0, 40))}`);
      return fallback;
    }
    return value;
  };
  const writeLimit = {
    perMinute: count("UPDATE_MANAGER_WRITE_RATE_PER_MINUTE", defaultWriteLimit.perMinute, 0),
    burst: count("UPDATE_MANAGER_WRITE_BURST", defaultWriteLimit.burst, 1),
  };
  const readLimit = {
    perMinute: count("UPDATE_MANAGER_READ_RATE_PER_MINUTE", defaultReadLimit.perMinute, 0),
    burst: count("UPDATE_MANAGER_READ_BURST", defaultReadLimit.burst, 1),
  };

  const reflectionText = variable("UPDATE_MANAGER_REFLECTION_ACCESS")?.trim().toLowerCase() ?? "open";
  if (reflectionText !== "open" && reflectionText !== "authenticated") {
    problems.push(`UPDATE_MANAGER_REFLECTION_ACCESS must be "open" or "authenticated"`);
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    keys,
    ...(oidc === undefined ? {} : { oidc }),
    writeLimit,
    readLimit,
    reflection: reflectionText === "authenticated" ? "authenticated" : "open",
  };
}
