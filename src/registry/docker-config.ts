import { RegistryError } from "./registry-error.js";

/** User name and password (or token) for one registry. */
export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

/** The `auths` of a `.dockerconfigjson`, keyed by normalised registry host ("docker.io", "registry:5000"). */
export interface DockerConfig {
  readonly auths: ReadonlyMap<string, RegistryCredentials>;
}

/**
 * Reads the content of a `kubernetes.io/dockerconfigjson` Secret (already base64-decoded from the Secret):
 * `{"auths": {"<host>": {"auth": base64("user:pass")} | {"username": "...", "password": "..."}}}`. `auth` wins
 * when both forms are present, as in Docker. Keys are normalised like Docker's `ConvertToHostname`: scheme and
 * path dropped, lowercased, and the Docker Hub spellings (`https://index.docker.io/v1/`, `index.docker.io`,
 * `registry-1.docker.io`, `docker.io`) all become `docker.io`. Entries with neither form (e.g. only an
 * `identitytoken`) are skipped.
 *
 * @throws RegistryError invalid for JSON that is not a docker config, naming the bad entry (never its secret).
 */
export function parseDockerConfigJson(content: string | unknown): DockerConfig {
  let document: unknown = content;
  if (typeof content === "string") {
    try {
      document = JSON.parse(content);
    } catch (error) {
      throw new RegistryError("invalid", `.dockerconfigjson is not JSON: ${(error as Error).message}`);
    }
  }
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    throw new RegistryError("invalid", ".dockerconfigjson must be a JSON object with an \"auths\" map");
  }
  const auths = (document as { auths?: unknown }).auths;
  if (auths === undefined) return { auths: new Map() };
  if (typeof auths !== "object" || auths === null || Array.isArray(auths)) {
    throw new RegistryError("invalid", ".dockerconfigjson: \"auths\" must be an object keyed by registry host");
  }
  const result = new Map<string, RegistryCredentials>();
  for (const [key, entry] of Object.entries(auths)) {
    if (typeof entry !== "object" || entry === null) {
      throw new RegistryError("invalid", `.dockerconfigjson: auths["${key}"] must be an object`);
    }
    const { auth, username, password } = entry as { auth?: unknown; username?: unknown; password?: unknown };
    let credentials: RegistryCredentials | undefined;
    if (typeof auth === "string" && auth !== "") {
      const decoded = Buffer.from(auth, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon <= 0) {
        throw new RegistryError(
          "invalid",
          `.dockerconfigjson: auths["${key}"].auth must be base64 of "user:password"`,
        );
      }
      credentials = { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    } else if (typeof username === "string" && username !== "" && typeof password === "string") {
      credentials = { username, password };
    }
    if (credentials === undefined) continue;
    const host = normaliseRegistryHost(key);
    // The first spelling wins, as Docker reads the first matching key.
    if (host !== "" && !result.has(host)) result.set(host, credentials);
  }
  return { auths: result };
}

/** Credentials for a registry host ("docker.io", "ghcr.io", "registry:5000"), undefined when none. */
export function findRegistryCredentials(config: DockerConfig, registry: string): RegistryCredentials | undefined {
  return config.auths.get(normaliseRegistryHost(registry));
}

const dockerHubAliases = new Set(["docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"]);

/** "https://index.docker.io/v1/" -> "docker.io"; "HTTP://Registry:5000/v2/" -> "registry:5000". */
export function normaliseRegistryHost(key: string): string {
  let host = key.trim();
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(host);
  if (scheme !== null) host = host.slice(scheme[0].length);
  const slash = host.indexOf("/");
  if (slash !== -1) host = host.slice(0, slash);
  host = host.toLowerCase();
  return dockerHubAliases.has(host) ? "docker.io" : host;
}
