import { createContextKey } from "@connectrpc/connect";
import type { AccessScope, ScopeGrant } from "../core/domain/access-scope.js";
import type { AccessGrant } from "./access-grant.js";

export type PrincipalKind = "api-key" | "oidc" | "anonymous";

/** An authenticated caller and what it may do. */
export interface AccessPrincipal {
  /**
   * Stable and recorded as an update's requester: the key's name (`api-key` for
   * UPDATE_MANAGER_API_KEY), `<issuer name>:<sub>` for a CI token (`github:repo:org/app:ref:refs/heads/main`),
   * or `anonymous`.
   */
  readonly name: string;
  readonly kind: PrincipalKind;
  /** Alternatives: a call is allowed when one grant covers it whole. */
  readonly grants: readonly AccessGrant[];
  /** CI tokens: `iss`, `sub` and the claims the matching rules used, for the audit log. Never the token. */
  readonly claims?: Readonly<Record<string, string>>;
  /** CI tokens: the names of the rules that matched, for the audit log. */
  readonly rules?: readonly string[];
}

/** The caller of the current call, set by the access-control interceptor (undefined on open services). */
export const accessPrincipalKey = createContextKey<AccessPrincipal | undefined>(undefined, {
  description: "update-manager access principal",
});

/**
 * The scope the use case enforces for the current call (start-update's `RequestContext.scope`);
 * undefined when the caller is unrestricted for this RPC.
 */
export const accessScopeKey = createContextKey<AccessScope | undefined>(undefined, {
  description: "update-manager access scope",
});

/**
 * A note the handler leaves for the call's audit line (a warning such as "nothing matched"); the
 * access-control interceptor writes it as the line's `detail`.
 */
export const auditDetailKey = createContextKey<string | undefined>(undefined, {
  description: "update-manager audit detail",
});

/** The grants that allow `method`. */
export function grantsFor(principal: AccessPrincipal, method: string): AccessGrant[] {
  return principal.grants.filter((grant) => grant.rpcs.has(method));
}

/**
 * The scope to enforce for `method`: undefined when a grant allowing it restricts nothing (no
 * check needed), otherwise the scopes of the grants that allow it (possibly none: deny all).
 */
export function scopeFor(principal: AccessPrincipal, method: string): AccessScope | undefined {
  const grants = grantsFor(principal, method);
  if (grants.some((grant) => isUnrestricted(grant.scope))) return undefined;
  return { principal: principal.name, grants: grants.map((grant) => grant.scope) };
}

function isUnrestricted(scope: ScopeGrant): boolean {
  return scope.classifiers === undefined && scope.namespaces === undefined && scope.repositories === undefined;
}
