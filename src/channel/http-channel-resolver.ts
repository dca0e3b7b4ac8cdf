import type { ChannelResolver } from "../core/ports/node-plans.js";

/**
 * Resolves a plan's channel as the seed does: a GET that does not follow redirects; a 302's `Location` names the
 * latest release and its last path segment is the version (GitHub's `/releases/latest` answers so); a 2xx means
 * the URL itself names it. Anything else is an error naming the answer.
 */
export function createHttpChannelResolver(): ChannelResolver {
  return {
    async resolve(url, signal) {
      const response = await fetch(url, { method: "GET", redirect: "manual", signal, headers: { accept: "*/*" } });
      // The body is not needed; release the connection.
      await response.body?.cancel().catch(() => undefined);
      if (response.status === 302) {
        const location = response.headers.get("location");
        if (location === null || location === "") throw new Error(`${url} answered 302 without a Location`);
        return lastSegment(new URL(location, url).pathname, url);
      }
      if (response.status >= 200 && response.status < 300) return lastSegment(new URL(url).pathname, url);
      throw new Error(`unexpected response from ${url}: HTTP ${response.status}`);
    },
  };
}

function lastSegment(path: string, url: string): string {
  const segment = decodeURIComponent(path.replace(/\/+$/, "").split("/").pop() ?? "");
  if (segment === "") throw new Error(`${url}: the answer names no version (empty last path segment)`);
  return segment;
}
