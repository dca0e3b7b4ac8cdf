import type { AccessGrant } from "./access-grant.js";
import type { ClaimRule } from "./oidc-config.js";

export interface RuleMatch {
  /** One grant per matching rule: alternatives, never merged. */
  readonly grants: readonly AccessGrant[];
  /** Names of the matching rules. */
  readonly rules: readonly string[];
  /** The token's values of the claims the matching rules checked (every rule's, when none matched). */
  readonly claimsUsed: Readonly<Record<string, string>>;
}

/**
 * Matches a verified token's claims against the rules. A rule matches when every claim it lists
 * has one of its values; only string, number and boolean claims compare (as strings: `true`,
 * `123`), so an array or object claim never matches. A token may match several rules: it gets
 * each one's grant.
 */
export function matchClaimRules(rules: readonly ClaimRule[], payload: Readonly<Record<string, unknown>>): RuleMatch {
  const grants: AccessGrant[] = [];
  const names: string[] = [];
  const used: Record<string, string> = {};
  const considered: Record<string, string> = {};
  for (const rule of rules) {
    let matches = true;
    for (const [claim, accepted] of Object.entries(rule.claims)) {
      const value = claimValue(payload, claim);
      considered[claim] = value ?? "(absent)";
      if (value === undefined || !accepted.includes(value)) matches = false;
    }
    if (!matches) continue;
    grants.push(rule.grant);
    names.push(rule.name);
    for (const claim of Object.keys(rule.claims)) used[claim] = claimValue(payload, claim)!;
  }
  return { grants, rules: names, claimsUsed: grants.length > 0 ? used : considered };
}

/** A claim as a string, when it is a string, number or boolean. */
export function claimValue(payload: Readonly<Record<string, unknown>>, claim: string): string | undefined {
  if (!Object.hasOwn(payload, claim)) return undefined;
  const value = payload[claim];
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}
