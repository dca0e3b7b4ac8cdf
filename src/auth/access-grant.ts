import { parseRepositoryPattern, type RepositoryPattern, type ScopeGrant } from "../core/domain/access-scope.js";
import { validateClassifier } from "../core/domain/classifier.js";
import { isDomainError } from "../core/domain/domain-error.js";
import { allMethods, resolveRpcs } from "./rpc-permissions.js";

/** One thing a principal may do: these RPCs, on what the scope covers. */
export interface AccessGrant {
  /** UpdateService and NodePlanService method names (`Update`, `GetUpdate`, `ListNodePlans`, ...). */
  readonly rpcs: ReadonlySet<string>;
  readonly scope: ScopeGrant;
}

/** Every RPC on everything: `UPDATE_MANAGER_API_KEY`, and anonymous callers in insecure demo mode. */
export const fullAccess: AccessGrant = { rpcs: new Set(allMethods), scope: {} };

/** Kubernetes namespace names are DNS labels. */
const namespacePattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Reads the access part of a key entry or an OIDC rule. Every field is required, so that nothing
 * is granted by omission: `rpcs` (list), and `classifiers`, `namespaces`, `repositories`, each a
 * non-empty list or `"*"` (any). Problems are appended to `problems`, prefixed with `where`;
 * the result is undefined when there were any.
 */
export function parseAccessGrant(raw: Record<string, unknown>, where: string, problems: string[]): AccessGrant | undefined {
  const before = problems.length;
  const problem = (text: string) => problems.push(`${where}: ${text}`);

  let rpcs: ReadonlySet<string> | undefined;
  const rawRpcs = raw["rpcs"];
  if (rawRpcs === undefined) {
    problem(`"rpcs" is required: list the RPCs it may call, e.g. ["Update", "GetUpdate", "WatchUpdate"], ["read"] or ["*"]`);
  } else if (!isStringList(rawRpcs) || rawRpcs.length === 0) {
    problem(`"rpcs" must be a non-empty list of RPC names`);
  } else {
    const resolved = resolveRpcs(rawRpcs);
    if ("problem" in resolved) problem(`"rpcs": ${resolved.problem}`);
    else rpcs = resolved.rpcs;
  }

  const classifiers = readDimension(raw, "classifiers", problem, (value) => {
    try {
      validateClassifier(value);
      return undefined;
    } catch (error) {
      if (isDomainError(error)) return error.message.replace(/^classifier /, "");
      throw error;
    }
  });
  const namespaces = readDimension(raw, "namespaces", problem, (value) =>
    value.length <= 63 && namespacePattern.test(value) ? undefined : `${JSON.stringify(value)} is not a namespace name`,
  );
  const repositories: RepositoryPattern[] = [];
  const repositoryTexts = readDimension(raw, "repositories", problem, (value) => {
    try {
      repositories.push(parseRepositoryPattern(value, "repository"));
      return undefined;
    } catch (error) {
      if (isDomainError(error)) return error.message;
      throw error;
    }
  });

  if (problems.length > before || rpcs === undefined) return undefined;
  return {
    rpcs,
    scope: {
      ...(classifiers === "*" ? {} : { classifiers }),
      ...(namespaces === "*" ? {} : { namespaces }),
      ...(repositoryTexts === "*" ? {} : { repositories }),
    },
  };
}

/** `"*"`, or the validated list; undefined after a problem. */
function readDimension(
  raw: Record<string, unknown>,
  field: "classifiers" | "namespaces" | "repositories",
  problem: (text: string) => void,
  check: (value: string) => string | undefined,
): "*" | string[] | undefined {
  const value = raw[field];
  if (value === undefined) {
    problem(`"${field}" is required: a list, or "*" for any`);
    return undefined;
  }
  if (value === "*") return "*";
  if (!isStringList(value) || value.length === 0) {
    problem(`"${field}" must be a non-empty list of strings, or "*" for any`);
    return undefined;
  }
  let ok = true;
  for (const entry of value) {
    const why = check(entry);
    if (why !== undefined) {
      problem(`"${field}": ${why}`);
      ok = false;
    }
  }
  return ok ? [...new Set(value)] : undefined;
}

export function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((entry) => typeof entry === "string");
}
