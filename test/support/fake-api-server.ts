import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";

/** A KubeConfig for a plain-HTTP API server at `url`, authenticating with `token` (none when undefined). */
export function kubeConfigFor(url: string, token: string | undefined = "t"): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: "fake", server: url, skipTLSVerify: true }],
    users: [token === undefined ? { name: "u" } : { name: "u", token }],
    contexts: [{ name: "c", cluster: "fake", user: "u" }],
    currentContext: "c",
  });
  return kubeConfig;
}

/** A loopback HTTP server standing in for the API server, and a KubeConfig pointing at it. */
export interface FakeApiServer {
  readonly server: Server;
  readonly url: string;
  readonly kubeConfig: KubeConfig;
  /** Drops open connections (held watches) and closes the server. */
  close(): Promise<void>;
}

/** Starts `listener` on 127.0.0.1 (an ephemeral port); `token` as kubeConfigFor. */
export async function startFakeApiServer(listener: RequestListener, token?: string): Promise<FakeApiServer> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    url,
    kubeConfig: kubeConfigFor(url, token),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A cluster with nothing in it: every list is empty, every watch stays open and quiet. */
export const emptyCluster: RequestListener = (request, response) => {
  const url = new URL(request.url ?? "/", "http://x");
  response.writeHead(200, { "content-type": "application/json" });
  if (url.searchParams.get("watch") === "true") response.flushHeaders();
  else response.end(JSON.stringify({ metadata: { resourceVersion: "1" }, items: [] }));
};
