import { createHash, timingSafeEqual } from "node:crypto";
import type { ConnectError, Interceptor } from "@connectrpc/connect";
import { DomainError } from "../core/domain/domain-error.js";
import { toConnectError } from "./connect-error.js";
import { anonymous, type Principal, principalKey } from "./principal.js";

export interface AuthOptions {
  /**
   * The single full-scope key (UPDATE_MANAGER_API_KEY). Undefined: no key is configured.
   */
  apiKey?: string;
  /**
   * Insecure demo mode: callers without credentials may call every RPC. Default false.
   * A caller that does present a credential must still present a valid one.
   */
  insecureDemo?: boolean;
  /** Fully qualified service names that are always open (health, reflection). Default: none. */
  openServices?: readonly string[];
  /** RPCs that change something (method names of UpdateService). */
  mutatingMethods: ReadonlySet<string>;
}

/**
 * Authentication in one place. Accepts `Authorization: Bearer <key>` and the original's
 * `Authorization: APIKey <key>`; compares the whole key in constant time (the original accepted
 * any token that merely started with the key). Never echoes key material in errors.
 */
export function createAuthInterceptor(options: AuthOptions): Interceptor {
  const expected = options.apiKey === undefined ? undefined : digest(options.apiKey);
  const open = new Set(options.openServices ?? []);
  return (next) => async (req) => {
    if (open.has(req.service.typeName)) return next(req);
    const credential = readCredential(req.header.get("authorization"));
    let principal: Principal = anonymous;
    if (credential !== undefined) {
      if (expected === undefined || !timingSafeEqual(digest(credential), expected)) {
        throw unauthenticated("the credential is not valid");
      }
      principal = { name: "api-key", authenticated: true };
    } else if (expected !== undefined && !options.insecureDemo) {
      throw unauthenticated("missing credential: send `Authorization: Bearer <key>`");
    } else if (!options.insecureDemo && options.mutatingMethods.has(req.method.name)) {
      throw toConnectError(
        new DomainError(
          "permission-denied",
          "PERMISSION_DENIED",
          `${req.method.name} changes the cluster and needs a credential: configure UPDATE_MANAGER_API_KEY (or enable insecure demo mode)`,
        ),
      );
    }
    req.contextValues.set(principalKey, principal);
    return next(req);
  };
}

function digest(value: string): Buffer {
  // Hashing first gives equal-length inputs to timingSafeEqual whatever the key's length.
  return createHash("sha256").update(value, "utf8").digest();
}

function readCredential(header: string | null): string | undefined {
  if (header === null) return undefined;
  const match = /^\s*(Bearer|APIKey)\s+(\S+)\s*$/i.exec(header);
  if (match === null) throw unauthenticated("malformed Authorization header: expected `Bearer <key>` or `APIKey <key>`");
  return match[2];
}

function unauthenticated(message: string): ConnectError {
  return toConnectError(new DomainError("unauthenticated", "UNAUTHENTICATED", message));
}

