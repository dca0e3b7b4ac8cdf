import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { KubeConfig } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { createRestClient } from "../../../src/cluster/kubernetes/rest-client.js";
import { managerUserAgent, sendUserAgent } from "../../../src/cluster/kubernetes/user-agent.js";
import { startWatch } from "../../../src/cluster/kubernetes/watch-stream.js";
import { kubeConfigFor } from "../../support/fake-api-server.js";

let server: Server | undefined;
const seen: { url: string; headers: IncomingHttpHeaders }[] = [];

/** An "API server" on 127.0.0.1 recording each request's headers; a watch gets one event and ends. */
async function recordingServer(): Promise<KubeConfig> {
  server = createServer((request, response) => {
    seen.push({ url: request.url ?? "", headers: request.headers });
    response.writeHead(200, { "content-type": "application/json" });
    if (request.url?.includes("watch=true")) {
      response.end(`${JSON.stringify({ type: "ADDED", object: { metadata: { name: "shop" } } })}\n`);
      return;
    }
    response.end(JSON.stringify({ kind: "NamespaceList", apiVersion: "v1", metadata: { resourceVersion: "1" }, items: [] }));
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return kubeConfigFor(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, "secret-token");
}

afterEach(async () => {
  // client-node keeps its connections alive: close them, or close() waits for them.
  if (server !== undefined) {
    server.closeAllConnections();
    await new Promise((resolve) => server!.close(resolve));
  }
  server = undefined;
  seen.length = 0;
});

describe("the replica's User-Agent", () => {
  it("is update-manager/<pod>, with characters a header cannot carry replaced", () => {
    expect(managerUserAgent("update-manager-7d9c-x2l4p")).toBe("update-manager/update-manager-7d9c-x2l4p");
    expect(managerUserAgent("host one\n")).toBe("update-manager/host_one_");
  });

  it("is sent, with the credentials, by the REST client and the watches", async () => {
    const kubeConfig = sendUserAgent(await recordingServer(), "update-manager/pod-a");
    await createRestClient(kubeConfig).request({ method: "GET", path: "/api/v1/namespaces" });
    await createRestClient(kubeConfig).request({ method: "GET", path: "/api/v1/namespaces/shop" });
    await new Promise<void>((resolve, reject) => {
      void startWatch(kubeConfig, "/api/v1/namespaces", {}, () => undefined, (error) => (error ? reject(error) : resolve()));
    });
    expect(seen).toHaveLength(3);
    for (const request of seen) {
      expect(request.headers["user-agent"], request.url).toBe("update-manager/pod-a");
      expect(request.headers.authorization, request.url).toBe("Bearer secret-token");
    }
    expect(seen.map((request) => request.url.includes("watch=true"))).toEqual([false, false, true]);
  });

  it("is absent without it (what the audit log could not tell apart)", async () => {
    const kubeConfig = await recordingServer();
    await createRestClient(kubeConfig).request({ method: "GET", path: "/api/v1/namespaces" });
    expect(seen[0]?.headers["user-agent"]).toBeUndefined();
  });
});
