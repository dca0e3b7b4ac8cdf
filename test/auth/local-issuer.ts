import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";

export interface SigningKey {
  readonly kid: string;
  readonly alg: "RS256" | "ES256";
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

export async function signingKey(alg: "RS256" | "ES256", kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

/**
 * An OIDC issuer on 127.0.0.1 serving discovery and a JWKS, counting requests per path, as GitHub
 * Actions' issuer does (https://token.actions.githubusercontent.com/.well-known/openid-configuration).
 */
export interface LocalIssuer {
  readonly url: string;
  /** The keys the JWKS publishes; replace to rotate. */
  published: SigningKey[];
  /** Answer every request with this status instead (e.g. 500). */
  failWith: number | undefined;
  requests(path: string): number;
  sign(key: SigningKey, claims: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export async function startLocalIssuer(): Promise<LocalIssuer> {
  const counts = new Map<string, number>();
  let url = "";
  const issuer: LocalIssuer = {
    url: "",
    published: [],
    failWith: undefined,
    requests: (path) => counts.get(path) ?? 0,
    sign: (key, claims, header = {}) =>
      new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT", ...header }).sign(key.privateKey),
    close: () => new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
  const server: Server = createServer((req, res) => {
    const path = req.url ?? "";
    counts.set(path, (counts.get(path) ?? 0) + 1);
    if (issuer.failWith !== undefined) {
      res.writeHead(issuer.failWith).end();
      return;
    }
    res.setHeader("content-type", "application/json");
    if (path === "/.well-known/openid-configuration") {
      res.end(JSON.stringify({ issuer: url, jwks_uri: `${url}/.well-known/jwks`, id_token_signing_alg_values_supported: ["RS256"] }));
    } else if (path === "/.well-known/jwks") {
      res.end(JSON.stringify({ keys: issuer.published.map((key) => key.jwk) }));
    } else {
      res.writeHead(404).end("{}");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  (issuer as { url: string }).url = url;
  return issuer;
}
