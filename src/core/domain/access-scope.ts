import { DomainError, invalidArgument } from "./domain-error.js";
import { parseImageReference, repositoryName } from "./image-reference.js";
import type { UpdatePlan } from "./update.js";

/**
 * Repositories a grant covers. Exact: the normalised repository (`docker.io/library/nginx`), compared
 * whole, so `registry.example.com/shop/web` never covers `registry.example.com/shop/web-admin`. Prefix:
 * written `registry.example.com/shop/*`, it covers every repository below that path, segment by segment:
 * `registry.example.com/shop/web` and `registry.example.com/shop/team/api`, never `registry.example.com/shop-admin/x`.
 */
export interface RepositoryPattern {
  /** The normalised repository (exact), or the normalised path the prefix rule covers (no trailing `/`). */
  readonly repository: string;
  readonly prefix: boolean;
}

/**
 * One set of things a principal may touch. Each list left undefined means "any"; an empty list
 * means "none". A request is covered when its classifier, every repository and every namespace are.
 */
export interface ScopeGrant {
  readonly classifiers?: readonly string[];
  readonly namespaces?: readonly string[];
  readonly repositories?: readonly RepositoryPattern[];
}

/**
 * What a caller may touch. A request is allowed when ONE grant covers all of it: grants are
 * alternatives (an API key has one; a CI token gets one per matching rule), never merged
 * dimension by dimension, so "classifier a in namespace x" plus "classifier b in namespace y"
 * never allows "classifier a in namespace y".
 */
export interface AccessScope {
  /** Who holds the scope, for messages: the key's name or the token's subject. */
  readonly principal: string;
  /** Empty: nothing is allowed. */
  readonly grants: readonly ScopeGrant[];
}

/** What a request touches. A dimension left undefined is not checked (quarantines have no classifier). */
export interface AccessRequest {
  readonly classifier?: string;
  /** Normalised repositories (see `repositoryName`). */
  readonly repositories?: readonly string[];
  readonly namespaces?: readonly string[];
}

export type AccessDimension = "classifier" | "namespace" | "repository";

export interface AccessDenial {
  readonly dimension: AccessDimension;
  readonly value: string;
  /** What the closest grant allows in that dimension, for the message. */
  readonly allowed: readonly string[];
}

/**
 * Parses `registry.example.com/shop/web` (exact) or `registry.example.com/shop/*` (path prefix) into
 * its normalised form. Docker Hub shorthand is normalised like image references: `nginx` is
 * `docker.io/library/nginx`, `myorg/*` is `docker.io/myorg/*`.
 *
 * @throws DomainError invalid-argument naming `field` when it is no repository (a tag or digest included).
 */
export function parseRepositoryPattern(input: string, field = "repository"): RepositoryPattern {
  if (input.endsWith("/*")) {
    const path = input.slice(0, -2);
    if (path.length === 0 || path.includes("*")) {
      throw invalidPattern(field, input, `"*" is only allowed as the last path segment after a registry or path, e.g. "registry.example.com/shop/*"`);
    }
    // Parsed with two placeholder segments, so that normalisation sees a repository below the path
    // ("myorg/*" is docker.io/myorg/..., not the official-image shorthand docker.io/library/myorg).
    const placeholder = "/x/y";
    const reference = parseImageReference(`${path}${placeholder}`, field);
    if (reference.tag !== undefined || reference.digest !== undefined) {
      throw invalidPattern(field, input, "a repository pattern names no tag or digest");
    }
    return { repository: repositoryName(reference).slice(0, -placeholder.length), prefix: true };
  }
  if (input.includes("*")) {
    throw invalidPattern(field, input, `"*" is only allowed as a whole last path segment ("registry.example.com/shop/*")`);
  }
  const reference = parseImageReference(input, field);
  if (reference.tag !== undefined || reference.digest !== undefined) {
    throw invalidPattern(field, input, "a repository names no tag or digest");
  }
  return { repository: repositoryName(reference), prefix: false };
}

/** `registry.example.com/shop/*` or the exact repository: how a pattern reads in messages and config. */
export function formatRepositoryPattern(pattern: RepositoryPattern): string {
  return pattern.prefix ? `${pattern.repository}/*` : pattern.repository;
}

/** True when the normalised `repository` is covered by one of the patterns. */
export function repositoryAllowed(patterns: readonly RepositoryPattern[], repository: string): boolean {
  return patterns.some((pattern) =>
    pattern.prefix ? repository.startsWith(`${pattern.repository}/`) : repository === pattern.repository,
  );
}

/** What one grant does not cover of the request; empty when it covers all of it. */
export function grantDenials(grant: ScopeGrant, request: AccessRequest): AccessDenial[] {
  const denials: AccessDenial[] = [];
  if (request.classifier !== undefined && grant.classifiers !== undefined && !grant.classifiers.includes(request.classifier)) {
    denials.push({ dimension: "classifier", value: request.classifier, allowed: grant.classifiers });
  }
  if (grant.repositories !== undefined) {
    const patterns = grant.repositories;
    for (const repository of unique(request.repositories ?? [])) {
      if (!repositoryAllowed(patterns, repository)) {
        denials.push({ dimension: "repository", value: repository, allowed: patterns.map(formatRepositoryPattern) });
      }
    }
  }
  if (grant.namespaces !== undefined) {
    for (const namespace of unique(request.namespaces ?? [])) {
      if (!grant.namespaces.includes(namespace)) {
        denials.push({ dimension: "namespace", value: namespace, allowed: grant.namespaces });
      }
    }
  }
  return denials;
}

/**
 * Undefined when one grant covers the whole request; otherwise what the closest grant (fewest
 * denials, first on ties) does not cover. A scope without grants denies everything it is asked.
 */
export function accessDenials(scope: AccessScope, request: AccessRequest): readonly AccessDenial[] | undefined {
  let closest: AccessDenial[] | undefined;
  for (const grant of scope.grants) {
    const denials = grantDenials(grant, request);
    if (denials.length === 0) return undefined;
    if (closest === undefined || denials.length < closest.length) closest = denials;
  }
  if (closest !== undefined) return closest;
  const everything = grantDenials({ classifiers: [], namespaces: [], repositories: [] }, request);
  return everything.length > 0 ? everything : [{ dimension: "classifier", value: "*", allowed: [] }];
}

/** True when one grant of the scope covers the whole request. */
export function isAllowed(scope: AccessScope, request: AccessRequest): boolean {
  return accessDenials(scope, request) === undefined;
}

/**
 * Refuses a request the scope does not cover with PERMISSION_DENIED, naming every value denied
 * (ErrorInfo metadata `denied`, e.g. `namespace:legacy`) and what the principal may touch instead.
 *
 * @param action what was asked, for the message: `update docker.io/library/nginx (classifier "edge")`.
 */
export function authorizeAccess(scope: AccessScope, request: AccessRequest, action: string): void {
  const denials = accessDenials(scope, request);
  if (denials === undefined) return;
  throw accessDeniedError(scope.principal, action, denials);
}

export function accessDeniedError(principal: string, action: string, denials: readonly AccessDenial[]): DomainError {
  const parts = denials.map((denial) => {
    const allowed = denial.allowed.length === 0 ? "none" : denial.allowed.join(", ");
    return `${denial.dimension} ${JSON.stringify(denial.value)} is outside its ${denial.dimension === "repository" ? "repositories" : `${denial.dimension}s`} (${allowed})`;
  });
  return new DomainError("permission-denied", "PERMISSION_DENIED", `${principal} may not ${action}: ${parts.join("; ")}`, {
    metadata: {
      principal,
      denied: denials.map((denial) => `${denial.dimension}:${denial.value}`).join(","),
    },
  });
}

/** Every namespace a plan touches: its workloads' and its migration templates'. */
export function planNamespaces(plan: UpdatePlan): string[] {
  return unique([
    ...plan.workloads.map((workload) => workload.workload.namespace),
    ...plan.migrations.map((migration) => migration.template.namespace),
  ]);
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function invalidPattern(field: string, input: string, why: string): DomainError {
  return invalidArgument(field, `${field} ${JSON.stringify(input)} is not a repository pattern: ${why}`);
}
