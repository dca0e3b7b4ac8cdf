import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { V1Deployment } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { deploymentApi } from "../../../src/cluster/kubernetes/kind-api.js";
import type { InformerEvents } from "../../../src/cluster/kubernetes/informer-events.js";
import { createResilientInformer, type ResilientInformer } from "../../../src/cluster/kubernetes/resilient-informer.js";
import { createRestClient } from "../../../src/cluster/kubernetes/rest-client.js";
import { silentLogger } from "../../../src/core/ports/logger.js";
import { systemClock } from "../../../src/core/ports/clock.js";
import { kubeConfigFor } from "../../support/fake-api-server.js";

const collection = "/apis/apps/v1/namespaces/shop/deployments";

function deployment(name: string, resourceVersion: string, image = "web:1"): V1Deployment {
  return {
    metadata: { name, namespace: "shop", resourceVersion },
    spec: { selector: {}, template: { spec: { containers: [{ name: "app", image }] } } },
  };
}

/**
 * A loopback stand-in for the API server that answers each list and each watch from a script, so
 * the informer meets, in order: a watch that fails with HTTP 500 (client-node's informer gives up
 * on that), a watch that says 410 Gone (history compacted: relist), and lists that page.
 */
async function fakeApiServer(script: {
  lists: ((query: URLSearchParams) => object)[];
  watches: ((res: ServerResponse) => void)[];
}): Promise<{ server: Server; url: string; requests: string[] }> {
  const requests: string[] = [];
  let lists = 0;
  let watches = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname !== collection) {
      res.writeHead(404).end();
      return;
    }
    if (url.searchParams.get("watch") === "true") {
      requests.push(`watch rv=${url.searchParams.get("resourceVersion")}`);
      const handler = script.watches[watches++];
      if (handler === undefined) {
        res.writeHead(200, { "content-type": "application/json" });
        res.flushHeaders(); // stays open, like a quiet watch
        return;
      }
      handler(res);
      return;
    }
    requests.push(`list continue=${url.searchParams.get("continue") ?? ""}`);
    // A continued list is the same list: only a fresh one moves the script on.
    if (!url.searchParams.has("continue")) lists++;
    const body = script.lists[lists - 1]?.(url.searchParams);
    res.writeHead(body === undefined ? 500 : 200, { "content-type": "application/json" }).end(JSON.stringify(body ?? {}));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}


function event(res: ServerResponse, type: string, object: object): void {
  res.write(`${JSON.stringify({ type, object })}\n`);
}

describe("createResilientInformer", () => {
  let server: Server | undefined;
  let informer: ResilientInformer<V1Deployment> | undefined;
  afterEach(async () => {
    await informer?.stop();
    await new Promise((resolve) => server?.close(resolve));
    server?.closeAllConnections();
  });

  it("restarts after an error client-node gives up on, relists on 410 Gone, and reports what vanished meanwhile as deleted", async () => {
    const fake = await fakeApiServer({
      lists: [
        // The first list comes in two pages.
        (query) =>
          query.get("continue") === null
            ? { metadata: { resourceVersion: "10", continue: "page-2" }, items: [deployment("a", "5")] }
            : { metadata: { resourceVersion: "10" }, items: [deployment("b", "6")] },
        () => ({ metadata: { resourceVersion: "30" }, items: [deployment("a", "25", "web:3")] }),
      ],
      watches: [
        (res) => {
          res.writeHead(200, { "content-type": "application/json" });
          event(res, "MODIFIED", deployment("a", "11", "web:2"));
          // Then the connection drops mid-stream.
          setImmediate(() => res.destroy());
        },
        (res) => res.writeHead(500, { "content-type": "application/json" }).end('{"kind":"Status","code":500}'),
        (res) => {
          res.writeHead(200, { "content-type": "application/json" });
          event(res, "ERROR", { kind: "Status", code: 410, reason: "Expired", message: "too old resource version: 11 (20)" });
          res.end();
        },
      ],
    });
    server = fake.server;
    const kubeConfig = kubeConfigFor(fake.url);
    const seen: string[] = [];
    let resolveDeleted: () => void = () => {};
    const deleted = new Promise<void>((resolve) => {
      resolveDeleted = resolve;
    });
    informer = createResilientInformer<V1Deployment>({
      kubeConfig,
      rest: createRestClient(kubeConfig),
      api: deploymentApi,
      namespace: "shop",
      clock: systemClock,
      backoff: { initialDelayMs: 1, jitter: 0 },
      logger: silentLogger,
      pageSize: 1,
      onAdd: (d) => seen.push(`add ${d.metadata?.name} ${d.spec?.template.spec?.containers[0]?.image}`),
      onUpdate: (d) => seen.push(`update ${d.metadata?.name} ${d.spec?.template.spec?.containers[0]?.image}`),
      onDelete: (d) => {
        seen.push(`delete ${d.metadata?.name}`);
        resolveDeleted();
      },
    });
    informer.start();
    await informer.synced;
    expect(informer.hasSynced()).toBe(true);
    await deleted;

    expect(seen).toEqual(["add a web:1", "add b web:1", "update a web:2", "delete b", "update a web:3"]);
    expect(informer.get("a", "shop")?.spec?.template.spec?.containers[0]?.image).toBe("web:3");
    expect(informer.list().map((d) => d.metadata?.name)).toEqual(["a"]);
    expect(informer.restarts()).toBeGreaterThanOrEqual(1);
    expect(fake.requests.slice(0, 6)).toEqual([
      "list continue=",
      "list continue=page-2",
      "watch rv=10",
      // Resumed from the last event seen, after the drop and the failed reconnect.
      "watch rv=11",
      "watch rv=11",
      "list continue=",
    ]);
  });

  it("reports to its REST client's informer events what it delivers and each relist, by resource", async () => {
    const fake = await fakeApiServer({
      lists: [
        () => ({ metadata: { resourceVersion: "10" }, items: [deployment("a", "5")] }),
        () => ({ metadata: { resourceVersion: "30" }, items: [deployment("a", "25", "web:3")] }),
      ],
      watches: [
        (res) => {
          res.writeHead(200, { "content-type": "application/json" });
          event(res, "MODIFIED", deployment("a", "11", "web:2"));
          event(res, "ERROR", { kind: "Status", code: 410, reason: "Expired" });
          res.end();
        },
      ],
    });
    server = fake.server;
    const kubeConfig = kubeConfigFor(fake.url);
    const reported: string[] = [];
    const events: InformerEvents = {
      informerCreated: (resource) => reported.push(`created ${resource}`),
      relisted: (resource) => reported.push(`relisted ${resource}`),
      written: () => {},
      delivered: (v) => reported.push(`delivered ${v.resource} ${v.namespace}/${v.name} ${v.resourceVersion}`),
    };
    let resolveRelisted: () => void = () => {};
    const relisted = new Promise<void>((resolve) => {
      resolveRelisted = resolve;
    });
    informer = createResilientInformer<V1Deployment>({
      kubeConfig,
      rest: createRestClient(kubeConfig, { informerEvents: events }),
      api: deploymentApi,
      namespace: "shop",
      clock: systemClock,
      backoff: { initialDelayMs: 1, jitter: 0 },
      logger: silentLogger,
      onAdd: () => {},
      onUpdate: (d) => d.metadata?.resourceVersion === "25" && resolveRelisted(),
      onDelete: () => {},
    });
    informer.start();
    await relisted;
    expect(reported).toEqual([
      "created deployments.apps",
      "delivered deployments.apps shop/a 5",
      "delivered deployments.apps shop/a 11",
      "relisted deployments.apps",
      "delivered deployments.apps shop/a 25",
    ]);
  });
});
