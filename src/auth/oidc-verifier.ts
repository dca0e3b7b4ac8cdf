import { decodeJwt, decodeProtectedHeader, errors, jwtVerify } from "jose";
import { DomainError } from "../core/domain/domain-error.js";
import type { Clock } from "../core/ports/clock.js";
import type { CountFailure } from "../core/ports/failure-counter.js";
import type { CoreLogger } from "../core/ports/logger.js";
import type { AccessPrincipal } from "./access-principal.js";
import { matchClaimRules } from "./claim-rules.js";
import { createJwksCache, type JwksCache, JwksUnavailableError } from "./jwks-cache.js";
import { acceptedAlgorithms, type OidcConfig, type OidcIssuer } from "./oidc-config.js";

export interface OidcVerifierOptions {
  readonly config: OidcConfig;
  readonly clock: Clock;
  /** Default: the global fetch. */
  readonly fetch?: typeof fetch;
  /** Time limit of one key fetch. Default: 5 000 ms. */
  readonly fetchTimeoutMs?: number;
  /** Where failed key refreshes are reported. Default: silentLogger. */
  readonly logger?: CoreLogger;
  /** Counts failed key refreshes. Default: none. */
  readonly countFailure?: CountFailure;
}

export interface OidcVerifier {
  /** The principal of a valid token that matches at least one rule. */
  verify(token: string): Promise<AccessPrincipal>;
  /** The key cache of each issuer, by issuer URL (for metrics and tests). */
  readonly caches: ReadonlyMap<string, JwksCache>;
}

/** Longer tokens are refused before any parsing (CI tokens are about 1-2 KiB). */
export const maxTokenLength = 16 * 1024;

/** Three base64url parts: what a compact JWS looks like. */
const jwtShape = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export function looksLikeJwt(credential: string): boolean {
  return credential.length <= maxTokenLength && jwtShape.test(credential);
}

/**
 * Verifies CI identity tokens (OIDC JWTs from GitHub Actions, GitLab CI, ...) and maps their claims
 * to grants. Only configured issuers (exact `iss`), only their configured audience, only RS256 and
 * ES256 (so `alg: none` and HMAC, where a public key could be abused as the secret, never verify),
 * `exp` and `sub` required, `exp`/`nbf`/`iat` checked with the configured clock tolerance.
 *
 * Errors are DomainErrors: UNAUTHENTICATED for a bad token, worded without quoting its content;
 * PERMISSION_DENIED when it is valid but no rule matches (naming the claims the rules check, with
 * the token's values, which its holder knows); UNAVAILABLE when the issuer's keys cannot be fetched.
 */
export function createOidcVerifier(options: OidcVerifierOptions): OidcVerifier {
  const { config, clock } = options;
  const byIssuer = new Map<string, { issuer: OidcIssuer; cache: JwksCache }>();
  for (const issuer of config.issuers) {
    const cache = createJwksCache({
      issuer: issuer.issuer,
      ...(issuer.jwksUri === undefined ? {} : { jwksUri: issuer.jwksUri }),
      clock,
      minRefreshIntervalMs: config.jwksRefreshIntervalSeconds * 1000,
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      ...(options.fetchTimeoutMs === undefined ? {} : { timeoutMs: options.fetchTimeoutMs }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.countFailure === undefined ? {} : { countFailure: options.countFailure }),
    });
    byIssuer.set(issuer.issuer, { issuer, cache });
  }

  async function verify(token: string): Promise<AccessPrincipal> {
    if (!looksLikeJwt(token)) throw unauthenticated("the credential is not a valid token");
    let alg: unknown;
    let iss: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
      iss = decodeJwt(token).iss;
    } catch {
      throw unauthenticated("the credential is not a valid token");
    }
    if (typeof alg !== "string" || !(acceptedAlgorithms as readonly string[]).includes(alg)) {
      throw unauthenticated(`the token's signature algorithm is not accepted: only ${acceptedAlgorithms.join(" and ")}`);
    }
    const entry = typeof iss === "string" ? byIssuer.get(iss) : undefined;
    if (entry === undefined) throw unauthenticated("the token's issuer is not trusted by this service");
    const { issuer, cache } = entry;

    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, cache.getKey, {
        issuer: issuer.issuer,
        audience: issuer.audience,
        algorithms: [...acceptedAlgorithms],
        clockTolerance: config.clockToleranceSeconds,
        currentDate: clock.now(),
        requiredClaims: ["exp", "sub"],
      }));
    } catch (error) {
      throw translate(error, issuer);
    }

    const sub = payload["sub"];
    if (typeof sub !== "string" || sub === "") throw unauthenticated("the token has no subject (sub)");
    const name = `${issuer.name}:${sub}`;
    const match = matchClaimRules(issuer.rules, payload);
    const claims = { iss: issuer.issuer, sub, ...match.claimsUsed };
    if (match.grants.length === 0) {
      const shown = Object.entries(match.claimsUsed)
        .map(([claim, value]) => `${claim}=${JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}…` : value)}`)
        .join(", ");
      throw new DomainError(
        "permission-denied",
        "PERMISSION_DENIED",
        `no access rule of issuer ${issuer.name} matches ${name}: the rules check ${shown}`,
        { metadata: { principal: name, claims: Object.keys(match.claimsUsed).join(",") } },
      );
    }
    return { name, kind: "oidc", grants: match.grants, claims, rules: match.rules };
  }

  return {
    verify,
    caches: new Map([...byIssuer].map(([url, { cache }]) => [url, cache])),
  };

  function translate(error: unknown, issuer: OidcIssuer): DomainError {
    if (error instanceof JwksUnavailableError) {
      return new DomainError(
        "unavailable",
        "ISSUER_UNAVAILABLE",
        `the token cannot be verified now: the signing keys of issuer ${issuer.name} cannot be fetched; retry later`,
        { retryAfterMs: error.retryAfterMs, cause: error },
      );
    }
    if (error instanceof errors.JWTExpired) return unauthenticated("the token has expired: request a new one");
    if (error instanceof errors.JWTClaimValidationFailed) {
      switch (error.claim) {
        case "nbf":
          return unauthenticated("the token is not valid yet (nbf is in the future)");
        case "iat":
          return unauthenticated("the token was issued in the future (iat)");
        case "aud":
          return unauthenticated(
            `the token is not meant for this service: request it with the audience ${JSON.stringify(issuer.audience)}`,
          );
        case "iss":
          return unauthenticated("the token's issuer is not trusted by this service");
        default:
          return unauthenticated(`the token lacks a valid "${error.claim}" claim`);
      }
    }
    if (error instanceof errors.JWKSNoMatchingKey) {
      return unauthenticated(`the token is signed with a key issuer ${issuer.name} does not publish`);
    }
    if (error instanceof errors.JWSSignatureVerificationFailed) return unauthenticated("the token's signature is not valid");
    if (error instanceof errors.JOSEAlgNotAllowed) {
      return unauthenticated(`the token's signature algorithm is not accepted: only ${acceptedAlgorithms.join(" and ")}`);
    }
    return unauthenticated("the credential is not a valid token");
  }
}

function unauthenticated(message: string): DomainError {
  return new DomainError("unauthenticated", "UNAUTHENTICATED", message);
}
