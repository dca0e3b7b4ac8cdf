import { base64url } from "jose";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type DomainError, isDomainError } from "../../src/core/domain/domain-error.js";
import { parseOidcConfig } from "../../src/auth/oidc-config.js";
import { createOidcVerifier, type OidcVerifier } from "../../src/auth/oidc-verifier.js";
import type { HandledFailure } from "../../src/core/ports/failure-counter.js";
import { createRecordingLogger, type LogLine } from "../core/use-cases/engine-harness.js";
import { createFakeClock, type FakeClock } from "../support/fake-clock.js";
import { type LocalIssuer, type SigningKey, signingKey, startLocalIssuer } from "./local-issuer.js";

const audience = "https://update-manager.example.com";
const jwks = "/.well-known/jwks";

function configFor(issuerUrl: string) {
  const parsed = parseOidcConfig(
    `
issuers:
  - name: github
    issuer: ${issuerUrl}
    audience: ${audience}
    rules:
      - name: shop-main
        claims: { repository_id: "4711", ref: refs/heads/main }
        rpcs: [Update, GetUpdate, WatchUpdate]
        classifiers: [shop]
        namespaces: [shop]
        repositories: [registry.example.com/shop/*]
      - name: shop-production
        claims: { repository_id: "4711", environment: [production, prod] }
        rpcs: [Update]
        classifiers: [shop-prod]
        namespaces: [shop-prod]
        repositories: [registry.example.com/shop/web]
`,
    "oidc.yaml",
  );
  if ("problems" in parsed) throw new Error(parsed.problems.join("\n"));
  return parsed.config;
}

async function failure(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    if (isDomainError(error)) return error;
    throw error;
  }
  throw new Error("expected a DomainError");
}

describe("CI identity tokens", () => {
  let issuer: LocalIssuer;
  let clock: FakeClock;
  let verifier: OidcVerifier;
  let rsa: SigningKey;
  let ec: SigningKey;
  let seconds: number;

  /** GitHub Actions-like claims, valid for 5 minutes from now on the fake clock. */
  const claims = (overrides: Record<string, unknown> = {}) => ({
    iss: issuer.url,
    aud: audience,
    sub: "repo:acme/shop:ref:refs/heads/main",
    repository: "acme/shop",
    repository_id: "4711",
    ref: "refs/heads/main",
    iat: seconds,
    nbf: seconds,
    exp: seconds + 300,
    ...overrides,
  });

  // Key generation is slow (RSA): once for the file; every test gets a fresh issuer and cache.
  beforeAll(async () => {
    rsa = await signingKey("RS256", "rsa-1");
    ec = await signingKey("ES256", "ec-1");
  });

  beforeEach(async () => {
    issuer = await startLocalIssuer();
    issuer.published = [rsa, ec];
    clock = createFakeClock(new Date("2025-06-01T12:00:00Z"));
    seconds = clock.now().getTime() / 1000;
    verifier = createOidcVerifier({ config: configFor(issuer.url), clock });
  });

  afterEach(async () => {
    await issuer.close();
  });

  it("accepts RS256 and ES256 tokens, naming the principal by issuer and subject with the claims used", async () => {
    for (const key of [rsa, ec]) {
      const principal = await verifier.verify(await issuer.sign(key, claims()));
      expect(principal).toMatchObject({
        name: "github:repo:acme/shop:ref:refs/heads/main",
        kind: "oidc",
        rules: ["shop-main"],
        claims: { iss: issuer.url, sub: "repo:acme/shop:ref:refs/heads/main", repository_id: "4711", ref: "refs/heads/main" },
      });
      expect(principal.grants).toHaveLength(1);
      expect([...principal.grants[0]!.rpcs].sort()).toEqual(["GetUpdate", "Update", "WatchUpdate"]);
      expect(principal.grants[0]!.scope).toMatchObject({ classifiers: ["shop"], namespaces: ["shop"] });
    }
    // Discovery once, the keys once: cached afterwards.
    expect(issuer.requests("/.well-known/openid-configuration")).toBe(1);
    expect(issuer.requests(jwks)).toBe(1);
  });

  it("refuses an expired token, tolerating 30 seconds of clock skew", async () => {
    const token = await issuer.sign(rsa, claims({ iat: seconds - 600, nbf: seconds - 600, exp: seconds - 20 }));
    await expect(verifier.verify(token)).resolves.toMatchObject({ kind: "oidc" });
    const expired = await issuer.sign(rsa, claims({ iat: seconds - 600, nbf: seconds - 600, exp: seconds - 31 }));
    const error = await failure(verifier.verify(expired));
    expect(error).toMatchObject({ code: "unauthenticated", reason: "UNAUTHENTICATED" });
    expect(error.message).toContain("expired");
  });

  it("refuses a token that is not valid yet", async () => {
    const error = await failure(verifier.verify(await issuer.sign(rsa, claims({ nbf: seconds + 120, iat: seconds }))));
    expect(error.code).toBe("unauthenticated");
    expect(error.message).toContain("not valid yet");
  });

  it("refuses a token for another audience, naming the audience to request", async () => {
    const error = await failure(verifier.verify(await issuer.sign(rsa, claims({ aud: "https://other.example.com" }))));
    expect(error.code).toBe("unauthenticated");
    expect(error.message).toContain(audience);
    expect(error.message).not.toContain("other.example.com");
  });

  it("refuses a token whose signature does not verify", async () => {
    const forger = await signingKey("RS256", "rsa-1");
    const token = await issuer.sign(forger, claims());
    const error = await failure(verifier.verify(token));
    expect(error.code).toBe("unauthenticated");
    expect(error.message).toContain("signature");
    // A tampered payload fails the same way.
    const [header, , signature] = (await issuer.sign(rsa, claims())).split(".");
    const tampered = `${header}.${base64url.encode(JSON.stringify(claims({ repository_id: "1" })))}.${signature}`;
    expect((await failure(verifier.verify(tampered))).code).toBe("unauthenticated");
  });

  it("refuses an untrusted issuer without fetching anything from it", async () => {
    const other = await startLocalIssuer();
    try {
      other.published = [rsa];
      const error = await failure(verifier.verify(await other.sign(rsa, claims({ iss: other.url }))));
      expect(error.code).toBe("unauthenticated");
      expect(error.message).toContain("issuer is not trusted");
      expect(other.requests(jwks) + other.requests("/.well-known/openid-configuration")).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('refuses `alg: none` and HS256 signed with the public key as the secret, never quoting the token', async () => {
    const payload = base64url.encode(JSON.stringify(claims()));
    const none = `${base64url.encode(JSON.stringify({ alg: "none", typ: "JWT" }))}.${payload}.`;
    const noneError = await failure(verifier.verify(none));
    expect(noneError.code).toBe("unauthenticated");
    expect(noneError.message).toContain("algorithm");

    const { createHmac } = await import("node:crypto");
    const header = base64url.encode(JSON.stringify({ alg: "HS256", kid: "rsa-1", typ: "JWT" }));
    const secret = JSON.stringify(rsa.jwk);
    const mac = base64url.encode(createHmac("sha256", secret).update(`${header}.${payload}`).digest());
    const hmacToken = `${header}.${payload}.${mac}`;
    const hmacError = await failure(verifier.verify(hmacToken));
    expect(hmacError.code).toBe("unauthenticated");
    for (const error of [noneError, hmacError]) {
      expect(error.message).not.toContain(payload.slice(0, 20));
      expect(error.message).not.toContain("acme");
    }
  });

  it("fetches the keys again once for a new key id after rotation", async () => {
    await verifier.verify(await issuer.sign(rsa, claims()));
    expect(issuer.requests(jwks)).toBe(1);
    const rotated = await signingKey("RS256", "rsa-2");
    issuer.published = [rotated];
    clock.advance(61_000);
    seconds = clock.now().getTime() / 1000;
    // Concurrent callers with the new key share the one fetch, and all succeed.
    const tokens = await Promise.all([1, 2, 3, 4, 5].map(() => issuer.sign(rotated, claims())));
    const principals = await Promise.all(tokens.map((token) => verifier.verify(token)));
    expect(principals.map((principal) => principal.name)).toEqual(Array(5).fill("github:repo:acme/shop:ref:refs/heads/main"));
    expect(issuer.requests(jwks)).toBe(2);
    // The new key is cached: no further fetch.
    await verifier.verify(await issuer.sign(rotated, claims()));
    expect(issuer.requests(jwks)).toBe(2);
  });

  it("fetches at most once for a flood of 100 unknown key ids, then not again within the interval", async () => {
    await verifier.verify(await issuer.sign(rsa, claims()));
    clock.advance(61_000);
    seconds = clock.now().getTime() / 1000;
    const strangers = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => issuer.sign({ ...rsa, kid: `unknown-${i}` }, claims())),
    );
    const errors = await Promise.all(strangers.map((token) => failure(verifier.verify(token))));
    expect(errors.every((error) => error.code === "unauthenticated")).toBe(true);
    expect(errors[0]!.message).toContain("does not publish");
    expect(issuer.requests(jwks)).toBe(2);
    for (const token of strangers.slice(0, 10)) await failure(verifier.verify(token));
    expect(issuer.requests(jwks)).toBe(2);
    // Known keys keep working meanwhile.
    await expect(verifier.verify(await issuer.sign(ec, claims()))).resolves.toMatchObject({ kind: "oidc" });
  });

  it("maps claims to scopes: all conditions of a rule, the union of every matching rule", async () => {
    const both = await verifier.verify(await issuer.sign(rsa, claims({ environment: "production" })));
    expect(both.rules).toEqual(["shop-main", "shop-production"]);
    expect(both.grants.map((grant) => grant.scope.classifiers)).toEqual([["shop"], ["shop-prod"]]);
    expect(both.claims).toMatchObject({ environment: "production", ref: "refs/heads/main", repository_id: "4711" });

    const productionOnly = await verifier.verify(
      await issuer.sign(rsa, claims({ ref: "refs/heads/feature", environment: "prod" })),
    );
    expect(productionOnly.rules).toEqual(["shop-production"]);

    // The right repository on another branch outside an environment matches no rule.
    const error = await failure(verifier.verify(await issuer.sign(rsa, claims({ ref: "refs/heads/feature" }))));
    expect(error).toMatchObject({ code: "permission-denied", reason: "PERMISSION_DENIED" });
    expect(error.message).toContain('ref="refs/heads/feature"');
    expect(error.message).toContain("environment");
    expect(error.metadata["claims"]).toBe("repository_id,ref,environment");

    // A number where the rule has a string still compares, as a string; a list never does.
    await expect(verifier.verify(await issuer.sign(rsa, claims({ repository_id: 4711 })))).resolves.toMatchObject({
      rules: ["shop-main"],
    });
    expect((await failure(verifier.verify(await issuer.sign(rsa, claims({ repository_id: ["4711"] }))))).code).toBe(
      "permission-denied",
    );
  });

  it("answers UNAVAILABLE with a retry delay when the issuer's keys cannot be fetched, retrying once per interval", async () => {
    issuer.failWith = 503;
    const error = await failure(verifier.verify(await issuer.sign(rsa, claims())));
    expect(error).toMatchObject({ code: "unavailable" });
    expect(error.retryAfterMs).toBeGreaterThan(0);
    const before = issuer.requests("/.well-known/openid-configuration");
    expect((await failure(verifier.verify(await issuer.sign(rsa, claims())))).code).toBe("unavailable");
    expect(issuer.requests("/.well-known/openid-configuration")).toBe(before);
    issuer.failWith = undefined;
    clock.advance(60_000);
    seconds = clock.now().getTime() / 1000;
    await expect(verifier.verify(await issuer.sign(rsa, claims()))).resolves.toMatchObject({ kind: "oidc" });
  });

  it("logs and counts a failed refresh of stale keys, and keeps verifying with the cached keys", async () => {
    const lines: LogLine[] = [];
    const counted: HandledFailure[] = [];
    const logged = createOidcVerifier({
      config: configFor(issuer.url),
      clock,
      logger: createRecordingLogger(lines),
      countFailure: (failure) => counted.push(failure),
    });
    await expect(logged.verify(await issuer.sign(rsa, claims()))).resolves.toMatchObject({ kind: "oidc" });
    // Ten minutes later the keys are stale and the issuer is down.
    issuer.failWith = 503;
    clock.advance(600_000);
    seconds = clock.now().getTime() / 1000;
    await expect(logged.verify(await issuer.sign(rsa, claims()))).resolves.toMatchObject({ kind: "oidc" });
    expect(counted).toEqual(["jwks-refresh"]);
    expect(lines.map((line) => [line.level, line.message])).toEqual([
      ["warn", "refreshing the issuer's signing keys failed; the cached keys stay in use"],
    ]);
    expect(lines[0]?.fields["issuer"]).toBe(issuer.url);
    expect(String((lines[0]!.fields["err"] as Error).message)).toContain("HTTP 503");
  });
});
