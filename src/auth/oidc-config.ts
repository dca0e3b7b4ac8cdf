import { type AccessGrant, parseAccessGrant } from "./access-grant.js";
import { isRecord, parseConfigDocument, unknownFields } from "./config-document.js";
import { isAllowedUrl } from "./jwks-cache.js";

/** Signature algorithms accepted: asymmetric only, what GitHub Actions and GitLab CI sign with. */
export const acceptedAlgorithms = ["RS256", "ES256"] as const;

/** A token matches a rule when every listed claim has one of the listed values. */
export interface ClaimRule {
  /** For the audit log and messages. */
  readonly name: string;
  /** Claim name -> accepted values (compared exactly, as strings: `"true"`, `"123"`). */
  readonly claims: Readonly<Record<string, readonly string[]>>;
  readonly grant: AccessGrant;
}

export interface OidcIssuer {
  /** Short and stable; prefixes principal names: `github` gives `github:<sub>`. */
  readonly name: string;
  /** Exactly the tokens' `iss`. */
  readonly issuer: string;
  /** The `aud` tokens must carry for this service. */
  readonly audience: string;
  /** Skips discovery. Default: discovery's `jwks_uri`. */
  readonly jwksUri?: string;
  readonly rules: readonly ClaimRule[];
}

export interface OidcConfig {
  readonly issuers: readonly OidcIssuer[];
  /**
   * Tolerated clock difference with the issuer for `exp`, `nbf` and `iat`, in seconds. Default 30:
   * CI tokens live minutes (GitHub: 5-10 min), so half a minute absorbs ordinary drift without
   * prolonging a token's life much.
   */
  readonly clockToleranceSeconds: number;
  /** Least time between two key fetches caused by unknown key ids (see JwksCache). Default 60. */
  readonly jwksRefreshIntervalSeconds: number;
}

const topFields = ["issuers", "clockToleranceSeconds", "jwksRefreshIntervalSeconds"] as const;
const issuerFields = ["name", "issuer", "audience", "jwksUri", "rules"] as const;
const ruleFields = ["name", "claims", "rpcs", "classifiers", "namespaces", "repositories"] as const;
const issuerNamePattern = /^[a-z0-9][a-z0-9-]{0,30}$/;
const claimNamePattern = /^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$/;

/**
 * Parses the OIDC document (YAML or JSON; see docs/access-control.md). Returns the config or every
 * problem found, each prefixed with `source`.
 */
export function parseOidcConfig(text: string, source: string): { config: OidcConfig } | { problems: string[] } {
  const document = parseConfigDocument(text, source);
  if ("problem" in document) return { problems: [document.problem] };
  const raw = document.value;
  const problems: string[] = [];
  const top = unknownFields(raw, topFields, source);
  if (top !== undefined) problems.push(top);

  const clockToleranceSeconds = readSeconds(raw, "clockToleranceSeconds", 30, 0, 300, source, problems);
  const jwksRefreshIntervalSeconds = readSeconds(raw, "jwksRefreshIntervalSeconds", 60, 1, 3600, source, problems);

  const rawIssuers = raw["issuers"];
  if (!Array.isArray(rawIssuers) || rawIssuers.length === 0) {
    problems.push(`${source}: "issuers" must be a non-empty list`);
    return { problems };
  }
  const issuers: OidcIssuer[] = [];
  const names = new Set<string>();
  const urls = new Set<string>();
  rawIssuers.forEach((rawIssuer: unknown, index) => {
    const where = `${source}: issuers[${index}]`;
    if (!isRecord(rawIssuer)) {
      problems.push(`${where} must be a mapping with name, issuer, audience and rules`);
      return;
    }
    const before = problems.length;
    const unknown = unknownFields(rawIssuer, issuerFields, where);
    if (unknown !== undefined) problems.push(unknown);
    const { name, issuer, audience, jwksUri } = rawIssuer;
    if (typeof name !== "string" || !issuerNamePattern.test(name)) {
      problems.push(`${where}: "name" is required: up to 31 lowercase letters, digits and "-" (e.g. "github")`);
    } else if (names.has(name)) {
      problems.push(`${where}: another issuer is named ${JSON.stringify(name)}`);
    }
    if (typeof issuer !== "string" || !isAllowedUrl(issuer)) {
      problems.push(`${where}: "issuer" is required: the tokens' iss, an https URL (plain http only on loopback)`);
    } else if (urls.has(issuer)) {
      problems.push(`${where}: the issuer ${issuer} is listed twice; put all its rules under one entry`);
    }
    if (typeof audience !== "string" || audience.trim() === "") {
      problems.push(`${where}: "audience" is required: the aud your pipelines request, e.g. "https://update-manager.example.com"`);
    }
    if (jwksUri !== undefined && (typeof jwksUri !== "string" || !isAllowedUrl(jwksUri))) {
      problems.push(`${where}: "jwksUri" must be an https URL (plain http only on loopback)`);
    }
    const rules = parseRules(rawIssuer["rules"], where, problems);
    if (typeof name === "string") names.add(name);
    if (typeof issuer === "string") urls.add(issuer);
    if (problems.length > before || rules === undefined) return;
    issuers.push({
      name: name as string,
      issuer: issuer as string,
      audience: audience as string,
      ...(jwksUri === undefined ? {} : { jwksUri: jwksUri as string }),
      rules,
    });
  });
  if (problems.length > 0) return { problems };
  return { config: { issuers, clockToleranceSeconds, jwksRefreshIntervalSeconds } };
}

function parseRules(raw: unknown, where: string, problems: string[]): ClaimRule[] | undefined {
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.push(`${where}: "rules" must be a non-empty list: without a rule no token of this issuer may do anything`);
    return undefined;
  }
  const rules: ClaimRule[] = [];
  const before = problems.length;
  raw.forEach((rawRule: unknown, index) => {
    const at = `${where}.rules[${index}]`;
    if (!isRecord(rawRule)) {
      problems.push(`${at} must be a mapping with name, claims, rpcs, classifiers, namespaces and repositories`);
      return;
    }
    const name = rawRule["name"];
    const label = typeof name === "string" ? `${at} (${name})` : at;
    const unknown = unknownFields(rawRule, ruleFields, label);
    if (unknown !== undefined) problems.push(unknown);
    if (typeof name !== "string" || name.trim() === "") problems.push(`${at}: "name" is required`);
    const claims = parseClaims(rawRule["claims"], label, problems);
    const grant = parseAccessGrant(rawRule, label, problems);
    if (claims !== undefined && grant !== undefined && typeof name === "string") rules.push({ name, claims, grant });
  });
  return problems.length > before ? undefined : rules;
}

function parseClaims(raw: unknown, where: string, problems: string[]): Record<string, string[]> | undefined {
  if (!isRecord(raw) || Object.keys(raw).length === 0) {
    problems.push(
      `${where}: "claims" is required: the conditions a token must meet, e.g. {repository_id: "123456", ref: refs/heads/main}`,
    );
    return undefined;
  }
  const claims: Record<string, string[]> = {};
  let ok = true;
  for (const [claim, value] of Object.entries(raw)) {
    if (!claimNamePattern.test(claim)) {
      problems.push(`${where}: ${JSON.stringify(claim)} is not a claim name`);
      ok = false;
      continue;
    }
    const values = Array.isArray(value) ? value : [value];
    if (values.length === 0 || !values.every(isScalar)) {
      problems.push(`${where}: claim "${claim}" must be a string, number or boolean, or a non-empty list of them`);
      ok = false;
      continue;
    }
    claims[claim] = values.map(String);
  }
  return ok ? claims : undefined;
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean";
}

function readSeconds(
  raw: Record<string, unknown>,
  field: string,
  fallback: number,
  min: number,
  max: number,
  source: string,
  problems: string[],
): number {
  const value = raw[field];
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    problems.push(`${source}: "${field}" must be a whole number of seconds from ${min} to ${max}`);
    return fallback;
  }
  return value;
}
