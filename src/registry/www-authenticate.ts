/** An authentication challenge from a registry's 401 response. */
export type AuthChallenge =
  | { readonly scheme: "basic"; readonly realm: string | undefined }
  | {
      readonly scheme: "bearer";
      /** Token server URL. */
      readonly realm: string;
      readonly service: string | undefined;
      readonly scope: string | undefined;
    };

/**
 * Parses `WWW-Authenticate` (RFC 9110 auth-params) into the first Basic or Bearer challenge, e.g.
 * `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"`.
 * Returns undefined for a missing header, another scheme or a Bearer challenge without realm.
 */
export function parseWwwAuthenticate(header: string | null): AuthChallenge | undefined {
  if (header === null) return undefined;
  const scheme = /^\s*([A-Za-z]+)(?:\s+|$)/.exec(header);
  if (scheme === null) return undefined;
  const params = new Map<string, string>();
  const param = /\s*([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*(?:,|$)/y;
  param.lastIndex = scheme[0].length;
  while (param.lastIndex < header.length) {
    const match = param.exec(header);
    if (match === null) break;
    params.set(match[1]!.toLowerCase(), match[2] !== undefined ? match[2].replace(/\\(.)/g, "$1") : match[3]!);
  }
  const name = scheme[1]!.toLowerCase();
  if (name === "basic") return { scheme: "basic", realm: params.get("realm") };
  if (name !== "bearer") return undefined;
  const realm = params.get("realm");
  if (realm === undefined || realm === "") return undefined;
  return { scheme: "bearer", realm, service: params.get("service"), scope: params.get("scope") };
}
