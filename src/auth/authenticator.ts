import { DomainError } from "../core/domain/domain-error.js";
import { fullAccess } from "./access-grant.js";
import type { AccessPrincipal } from "./access-principal.js";
import { hashApiKey } from "./api-key-hash.js";
import { type ApiKeyEntry, createApiKeyVerifier } from "./api-key-verifier.js";
import { looksLikeJwt, type OidcVerifier } from "./oidc-verifier.js";

export interface AuthenticatorOptions {
  /** Named, scoped keys (UPDATE_MANAGER_API_KEYS_FILE). Default: none. */
  readonly keys?: readonly ApiKeyEntry[];
  /** UPDATE_MANAGER_API_KEY: one key with every permission, named `api-key`. Default: none. */
  readonly fullScopeKey?: string;
  /** CI identity tokens (UPDATE_MANAGER_OIDC_CONFIG_FILE). Default: not accepted. */
  readonly oidc?: OidcVerifier;
}

/**
 * Establishes who calls from the Authorization header: undefined when there is none, the
 * principal when the credential is valid, else a DomainError (UNAUTHENTICATED, or PERMISSION_DENIED
 * for a valid CI token no rule admits, or UNAVAILABLE when an issuer's keys cannot be fetched).
 * createAuthenticator throws when UPDATE_MANAGER_API_KEY is also a named key.
 */
export type Authenticate = (authorization: string | null) => Promise<AccessPrincipal | undefined>;

/** The full-scope key's principal name. */
export const fullScopeKeyName = "api-key";

export function createAuthenticator(options: AuthenticatorOptions): Authenticate {
  const entries: ApiKeyEntry[] = [...(options.keys ?? [])];
  if (options.fullScopeKey !== undefined) {
    const sha256 = hashApiKey(options.fullScopeKey);
    const twin = entries.find((entry) => entry.sha256.equals(sha256));
    if (twin !== undefined) {
      throw new Error(`UPDATE_MANAGER_API_KEY is also the key named ${twin.name} in the keys file: use distinct keys`);
    }
    entries.push({ name: fullScopeKeyName, sha256, grant: fullAccess });
  }
  const verifyKey = createApiKeyVerifier(entries);
  const anyCredential = entries.length > 0 || options.oidc !== undefined;

  return async (authorization) => {
    const credential = readCredential(authorization);
    if (credential === undefined) return undefined;
    if (!anyCredential) throw unauthenticated("this service accepts no credentials: no API key or CI identity is configured");
    const entry = verifyKey(credential);
    if (entry !== undefined) return { name: entry.name, kind: "api-key", grants: [entry.grant] };
    // Keys are tried first, so a key that happens to look like a token still works.
    if (options.oidc !== undefined && looksLikeJwt(credential)) return options.oidc.verify(credential);
    throw unauthenticated("the credential is not valid");
  };
}

/**
 * `Bearer <credential>` or the original's `APIKey <credential>` (either case). Undefined without a
 * header; UNAUTHENTICATED, without quoting the header, when it has another form.
 */
export function readCredential(header: string | null): string | undefined {
  if (header === null) return undefined;
  const match = /^\s*(Bearer|APIKey)\s+(\S+)\s*$/i.exec(header);
  if (match === null) throw unauthenticated("malformed Authorization header: expected `Bearer <credential>` or `APIKey <key>`");
  return match[2];
}

function unauthenticated(message: string): DomainError {
  return new DomainError("unauthenticated", "UNAUTHENTICATED", message);
}
