import { dockerHubRegistry } from "../core/domain/image-reference.js";

/** Where Docker Hub's registry API actually lives. */
export const dockerHubApiHost = "registry-1.docker.io";

/**
 * The base URL of a registry's API: "https://registry-1.docker.io" for "docker.io", "https://<host>"
 * otherwise, and "http://<host>" when the host is listed in `insecureRegistries`.
 */
export function registryBaseUrl(registry: string, insecureRegistries: ReadonlySet<string>): URL {
  const host = registry.toLowerCase() === dockerHubRegistry ? dockerHubApiHost : registry.toLowerCase();
  return new URL(`${insecureRegistries.has(registry.toLowerCase()) ? "http" : "https"}://${host}`);
}

/** True for localhost, 127.0.0.0/8 and [::1] (with or without port). */
export function isLoopbackHost(hostWithPort: string): boolean {
  const host = hostWithPort.startsWith("[")
    ? hostWithPort.slice(0, hostWithPort.indexOf("]") + 1)
    : hostWithPort.replace(/:[0-9]+$/, "");
  return host === "localhost" || host === "[::1]" || /^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$/.test(host);
}
