import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { KubeConfig } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import type { InformerEvents, ObjectVersion } from "../../../src/cluster/kubernetes/informer-events.js";
import { createRestClient } from "../../../src/cluster/kubernetes/rest-client.js";
import { kubeConfigFor } from "../../support/fake-api-server.js";

let server: Server | undefined;

/** An "API server" on 127.0.0.1 that answers every request with `body` (streamed in 64 KiB chunks, no length). */
async function answering(body: Buffer, declareLength: boolean): Promise<KubeConfig> {
  server = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "application/json", ...(declareLength ? { "content-length": String(body.length) } : {}) });
    for (let offset = 0; offset < body.length; offset += 65_536) response.write(body.subarray(offset, offset + 65_536));
    response.end();
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return kubeConfigFor(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, undefined);
}

afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

describe("the REST client", () => {
  const big = Buffer.from(JSON.stringify({ items: "x".repeat(2 * 1024 * 1024) }));

  it("refuses an answer larger than its cap, naming the request and the limit, whether or not its length is declared", async () => {
    for (const declareLength of [true, false]) {
      const rest = createRestClient(await answering(big, declareLength), { maxResponseBytes: 1024 * 1024 });
      await expect(rest.request({ method: "GET", path: "/api/v1/namespaces/shop/configmaps" })).rejects.toThrow(
        "the API server's answer to GET /api/v1/namespaces/shop/configmaps is larger than 1048576 bytes",
      );
      await new Promise((resolve) => server?.close(resolve));
    }
  });

  it("reads answers within the cap", async () => {
    const rest = createRestClient(await answering(big, false), { maxResponseBytes: 4 * 1024 * 1024 });
    const answer = await rest.request<{ items: string }>({ method: "GET", path: "/api/v1/configmaps" });
    expect(answer.items).toHaveLength(2 * 1024 * 1024);
  });

  it("tells its informer events the version each write produced, on the resource without the subresource", async () => {
    const written: ObjectVersion[] = [];
    const events: InformerEvents = {
      informerCreated: () => {},
      relisted: () => {},
      written: (version) => written.push(version),
      delivered: () => {},
    };
    const object = Buffer.from(JSON.stringify({ kind: "Deployment", metadata: { name: "web", namespace: "shop", resourceVersion: "42" } }));
    const rest = createRestClient(await answering(object, true), { informerEvents: events });
    expect(rest.informerEvents).toBe(events);
    await rest.request({ method: "PUT", path: "/apis/apps/v1/namespaces/shop/deployments/web/status", body: {} });
    await rest.request({ method: "PATCH", path: "/apis/apps/v1/namespaces/shop/deployments/web", body: [] });
    // Reads and deletes produce no version of the manager's own.
    await rest.request({ method: "GET", path: "/apis/apps/v1/namespaces/shop/deployments/web" });
    await rest.request({ method: "DELETE", path: "/apis/apps/v1/namespaces/shop/deployments/web" });
    const version = { resource: "deployments.apps", namespace: "shop", name: "web", resourceVersion: "42" };
    expect(written).toEqual([version, version]);
  });
});
