import type { AccessGrant } from "../auth/access-grant.js";
import type { AccessControlConfig } from "../auth/load-access-control-config.js";
import { type AccessRequest, grantDenials } from "../core/domain/access-scope.js";
import type { ApprovalPolicy } from "../core/domain/approval-policy.js";

/** Where principals come from: the access configuration, the full-scope key, insecure demo mode. */
export interface ApproverSources {
  readonly accessControl: Pick<AccessControlConfig, "keys" | "oidc">;
  /** UPDATE_MANAGER_API_KEY is set (principal `api-key`, every RPC). */
  readonly fullScopeKey: boolean;
  /** Callers without a credential may do everything (principal `anonymous`). */
  readonly insecureDemo: boolean;
}

/** The principals that may approve what `request` names: their names, or unbounded (a CI rule not pinned to subjects). */
export interface Approvers {
  readonly names: ReadonlySet<string>;
  readonly unbounded: boolean;
}

const approveRpc = "ApproveUpdate";

/**
 * Who may approve updates of that classifier and namespaces (left out: any scope). An API key is one principal; an
 * OIDC rule granting ApproveUpdate is one principal per `sub` value it accepts, and unbounded when it does not pin
 * `sub` (any subject its other claims accept may approve).
 */
export function approversFor(sources: ApproverSources, request: AccessRequest = {}): Approvers {
  const names = new Set<string>();
  let unbounded = false;
  const allows = (grant: AccessGrant) => grant.rpcs.has(approveRpc) && grantDenials(grant.scope, request).length === 0;
  if (sources.fullScopeKey) names.add("api-key");
  if (sources.insecureDemo) names.add("anonymous");
  for (const key of sources.accessControl.keys) if (allows(key.grant)) names.add(key.name);
  for (const issuer of sources.accessControl.oidc?.issuers ?? []) {
    for (const rule of issuer.rules) {
      if (!allows(rule.grant)) continue;
      const subjects = rule.claims["sub"];
      if (subjects === undefined) unbounded = true;
      else for (const sub of subjects) names.add(`${issuer.name}:${sub}`);
    }
  }
  return { names, unbounded };
}

/**
 * The start-up check: every approval policy must be satisfiable by the principals the configuration can have,
 * counted for each classifier and namespace the policy names (an approver's scope must cover the update). One
 * problem per policy that cannot be met, naming it, what it needs and who may approve.
 */
export function checkApproverCapacity(policies: readonly ApprovalPolicy[], sources: ApproverSources, source: string): string[] {
  const problems: string[] = [];
  for (const policy of policies) {
    const classifiers: (string | undefined)[] = policy.classifiers === undefined ? [undefined] : [...policy.classifiers];
    const namespaces: (string | undefined)[] = policy.namespaces === undefined ? [undefined] : [...policy.namespaces];
    combinations: for (const classifier of classifiers) {
      for (const namespace of namespaces) {
        const request: AccessRequest = {
          ...(classifier === undefined ? {} : { classifier }),
          ...(namespace === undefined ? {} : { namespaces: [namespace] }),
        };
        const found = approversFor(sources, request);
        if (found.unbounded || found.names.size >= policy.approvers) continue;
        const where = [classifier === undefined ? "" : `classifier ${JSON.stringify(classifier)}`, namespace === undefined ? "" : `namespace ${JSON.stringify(namespace)}`]
          .filter((part) => part !== "")
          .join(" in ");
        const who = found.names.size === 0 ? "none" : [...found.names].sort().join(", ");
        problems.push(
          `${source}: approval policy ${JSON.stringify(policy.name)} needs ${policy.approvers} distinct approvers` +
            `${where === "" ? "" : ` for ${where}`}, but only ${found.names.size} principals may call ApproveUpdate there (${who}); ` +
            `grant "approve" to more API keys or CI identities, or lower "approvers"`,
        );
        break combinations;
      }
    }
  }
  return problems;
}

/** For the engine: how many principals other than `requester` may approve updates at all. */
export function approverCapacity(sources: ApproverSources): (requester: string) => number {
  const all = approversFor(sources);
  if (all.unbounded) return () => Number.POSITIVE_INFINITY;
  return (requester) => all.names.size - (all.names.has(requester) ? 1 : 0);
}
