import { createServer, request, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createTestPki } from "../server/test-certificates.js";
import { type FaultProxy, startFaultProxy } from "./fault-proxy.js";

let upstream: Server | undefined;
let proxy: FaultProxy | undefined;
const applied: string[] = [];

/** A TLS "API server" on 127.0.0.1 that records each request; a watch streams one event every 20 ms. */
async function start(): Promise<FaultProxy> {
  const pki = createTestPki();
  const ca = pki.ca("api-ca");
  const leaf = pki.leaf("api", "api-ca", "server");
  pki.remove();
  upstream = createServer({ key: leaf.key, cert: leaf.cert }, (req, res) => {
    applied.push(`${req.method} ${req.url} ${req.headers["user-agent"]}`);
    res.writeHead(200, { "content-type": "application/json" });
    if (req.url?.startsWith("/silent")) {
      res.flushHeaders();
      return;
    }
    if (req.url?.includes("watch=true")) {
      const timer = setInterval(() => res.write(`${JSON.stringify({ type: "MODIFIED", object: {} })}\n`), 20);
      res.on("close", () => clearInterval(timer));
      return;
    }
    res.end(JSON.stringify({ kind: "Status", code: 200 }));
  });
  await new Promise<void>((resolve) => upstream!.listen(0, "127.0.0.1", resolve));
  const { port } = upstream.address() as AddressInfo;
  proxy = await startFaultProxy({ target: `https://127.0.0.1:${port}`, targetCaPem: ca.cert.toString("utf8") });
  return proxy;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  error?: string;
}

function call(method: string, path: string, options: { body?: string; abortAfterMs?: number } = {}): Promise<Answer> {
  return new Promise((resolve) => {
    let body = "";
    const req = request(
      `${proxy!.url}${path}`,
      { method, ca: proxy!.caPem, headers: { "user-agent": "update-manager/test-pod" }, agent: false },
      (res) => {
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on("error", (error) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, error: error.message }));
        res.on("aborted", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, error: "aborted" }));
      },
    );
    req.on("error", (error) => resolve({ status: 0, headers: {}, body, error: error.message }));
    req.end(options.body);
  });
}

afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  if (upstream !== undefined) {
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream!.close(resolve));
  }
  upstream = undefined;
  applied.length = 0;
});

describe("the fault proxy", () => {
  it("passes requests on unchanged with their own User-Agent, over its own TLS certificate", async () => {
    await start();
    const answer = await call("GET", "/api/v1/namespaces?limit=5");
    expect(answer.status).toBe(200);
    expect(applied).toEqual(["GET /api/v1/namespaces?limit=5 update-manager/test-pod"]);
    expect(proxy!.log).toMatchObject([{ method: "GET", path: "/api/v1/namespaces", userAgent: "update-manager/test-pod", status: 200 }]);
  });

  it("answers a burst of matching requests itself (429 with Retry-After), then rests, then bursts again", async () => {
    await start();
    proxy!.setFaults([
      { name: "throttle", match: (r) => r.method === "PATCH", fault: { kind: "status", status: 429, retryAfterSeconds: 1 }, times: 2, every: 3 },
    ]);
    const statuses: number[] = [];
    const retryAfter: unknown[] = [];
    for (let i = 0; i < 6; i++) {
      const answer = await call("PATCH", "/apis/apps/v1/namespaces/a/deployments/b", { body: "[]" });
      statuses.push(answer.status);
      retryAfter.push(answer.headers["retry-after"]);
    }
    expect(retryAfter).toEqual(["1", "1", undefined, "1", "1", undefined]);
    expect(statuses).toEqual([429, 429, 200, 429, 429, 200]);
    expect((await call("GET", "/api/v1/pods")).status).toBe(200);
    expect(applied.filter((line) => line.startsWith("PATCH"))).toHaveLength(2);
    expect(proxy!.faultCounts()).toEqual({ throttle: 4 });
  });

  it("resets a connection before the request reaches the server, or after it was applied", async () => {
    await start();
    proxy!.setFaults([
      { name: "reset", match: (r) => r.path === "/before", fault: { kind: "reset" } },
      { name: "lost answer", match: (r) => r.path === "/after", fault: { kind: "reset-after" } },
    ]);
    expect((await call("POST", "/before")).error).toBeDefined();
    expect((await call("POST", "/after")).error).toBeDefined();
    expect(applied.map((line) => line.split(" ")[1])).toEqual(["/after"]);
  });

  it("cuts a watch mid-stream, and answers a resumed watch with 410 Gone", async () => {
    await start();
    proxy!.setFaults([
      { name: "drop", match: (r) => r.watch && r.query.get("resourceVersion") === null, fault: { kind: "drop-watch", afterMs: 150 } },
      { name: "gone", match: (r) => r.watch && r.query.get("resourceVersion") !== null, fault: { kind: "watch-gone" } },
    ]);
    const dropped = await call("GET", "/api/v1/pods?watch=true");
    expect(dropped.error).toBeDefined();
    expect(dropped.body.split("\n").filter(Boolean).length).toBeGreaterThan(1);
    const resumed = await call("GET", "/api/v1/pods?watch=true&resourceVersion=42");
    expect(resumed.status).toBe(200);
    expect(JSON.parse(resumed.body)).toMatchObject({ type: "ERROR", object: { code: 410, reason: "Expired" } });
  });

  it("delivers a watch's headers before its first event (its client waits for them)", async () => {
    await start();
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${proxy!.url}/silent?watch=true`, { ca: proxy!.caPem, agent: false }, (res) => {
        resolve(res.statusCode ?? 0);
        res.destroy();
      });
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(200);
  });

  it("runs a crash point's action when its request arrives: held before, or applied after", async () => {
    await start();
    const seen: string[] = [];
    const before = proxy!.crashOn({ match: (r) => r.method === "POST", when: "before", action: async (r) => void seen.push(r.path) });
    expect((await call("POST", "/jobs", { body: "{}" })).error).toBeDefined();
    expect((await before).path).toBe("/jobs");
    expect(applied).toEqual([]);
    const after = proxy!.crashOn({ match: (r) => r.method === "PUT", when: "after", action: async (r) => void seen.push(r.path) });
    expect((await call("PUT", "/runs", { body: "{}" })).error).toBeDefined();
    await after;
    expect(applied.map((line) => line.split(" ").slice(0, 2).join(" "))).toEqual(["PUT /runs"]);
    expect(seen).toEqual(["/jobs", "/runs"]);
    // Once only: the next matching request passes.
    expect((await call("PUT", "/runs")).status).toBe(200);
  });
});
