import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, createClient, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { afterEach, describe, expect, it } from "vitest";
import {
  Health,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
} from "../../gen/grpc/health/v1/health_pb.js";
import { ListTargetsResponseSchema, UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";
import { type ApiRoutesContext, type ApiServer, type ApiServerOptions, createApiServer } from "../../src/server/api-server.js";
import { HTTP2_PREFACE } from "../../src/server/http2-preface.js";

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Test hooks into the tiny service implementation below. */
interface Hooks {
  /** When set, Check("slow") waits for it: an in-flight unary call. */
  slowCheckEntered: Deferred<void>;
  slowCheckRelease: Deferred<void>;
}

/**
 * A tiny Health implementation: Check answers SERVING; Watch sends SERVING and then ends when the server shuts
 * down, as the real health and WatchUpdate streams do; Watch("stubborn") ignores the shutdown signal.
 */
function routesFor(hooks: Hooks) {
  return (router: ConnectRouter, { shutdownSignal }: ApiRoutesContext) => {
    router.service(Health, {
      async check(request) {
        if (request.service === "slow") {
          hooks.slowCheckEntered.resolve();
          await hooks.slowCheckRelease.promise;
        }
        return create(HealthCheckResponseSchema, { status: HealthCheckResponse_ServingStatus.SERVING });
      },
      async *watch(request, context) {
        yield create(HealthCheckResponseSchema, { status: HealthCheckResponse_ServingStatus.SERVING });
        const signal = request.service === "stubborn" ? context.signal : AbortSignal.any([shutdownSignal, context.signal]);
        await new Promise<void>((resolve) => {
          if (signal.aborted) resolve();
          signal.addEventListener("abort", () => resolve(), { once: true });
        });
      },
    });
    router.service(UpdateService, {
      listTargets(request) {
        return create(ListTargetsResponseSchema, { nextPageToken: `after-${request.namespace}` });
      },
    });
  };
}

const servers: ApiServer[] = [];
const cleanups: (() => void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function startServer(overrides: Partial<ApiServerOptions> = {}) {
  const hooks: Hooks = { slowCheckEntered: deferred(), slowCheckRelease: deferred() };
  const server = createApiServer({ routes: routesFor(hooks), host: "127.0.0.1", port: 0, ...overrides });
  servers.push(server);
  await server.listen();
  const { port } = server.address();
  return { server, hooks, port, baseUrl: `http://127.0.0.1:${port}` };
}

function transports(baseUrl: string): Record<string, Transport> {
  return {
    "gRPC over h2c": createGrpcTransport({ baseUrl }),
    "Connect over HTTP/2": createConnectTransport({ baseUrl, httpVersion: "2" }),
    "Connect over HTTP/1.1": createConnectTransport({ baseUrl, httpVersion: "1.1" }),
    "gRPC-Web over HTTP/1.1": createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }),
  };
}

function loadGrpcJsHealthClient(port: number) {
  const definition = protoLoader.loadSync(["grpc/health/v1/health.proto", "updatemanager/v1/update_service.proto"], {
    includeDirs: ["proto"],
    enums: String,
    defaults: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
    updatemanager: { v1: { UpdateService: grpc.ServiceClientConstructor } };
  };
  const credentials = grpc.credentials.createInsecure();
  const health = new loaded.grpc.health.v1.Health(`127.0.0.1:${port}`, credentials);
  const updates = new loaded.updatemanager.v1.UpdateService(`127.0.0.1:${port}`, credentials);
  cleanups.push(() => {
    health.close();
    updates.close();
  });
  return { health, updates };
}

function unaryGrpcJs<T>(client: grpc.Client, method: string, request: object): Promise<T> {
  return new Promise((resolve, reject) => {
    const call = (client as unknown as Record<string, (r: object, cb: (e: Error | null, v: T) => void) => void>)[method];
    call?.call(client, request, (error, value) => (error ? reject(error) : resolve(value)));
  });
}

describe("createApiServer: one port for every protocol", () => {
  for (const name of Object.keys(transports("http://unused"))) {
    it(`answers a unary call and a server stream with ${name}`, async () => {
      const { baseUrl, server } = await startServer();
      const client = createClient(Health, transports(baseUrl)[name] as Transport);
      const answer = await client.check({});
      expect(answer.status).toBe(HealthCheckResponse_ServingStatus.SERVING);

      const stream = client.watch({});
      const first = await stream[Symbol.asyncIterator]().next();
      expect(first.value?.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
      await server.close();
    });
  }

  it("answers a plain @grpc/grpc-js client that loaded the .proto files", async () => {
    const { port } = await startServer();
    const { health, updates } = loadGrpcJsHealthClient(port);
    const checked = await unaryGrpcJs<{ status: string }>(health, "Check", { service: "" });
    expect(checked.status).toBe("SERVING");
    const listed = await unaryGrpcJs<{ targets: unknown[]; nextPageToken: string }>(updates, "ListTargets", {
      namespace: "shop",
    });
    expect(listed).toEqual({ targets: [], nextPageToken: "after-shop" });
  });

  it("recognises the HTTP/2 preface when it arrives split across TCP writes", async () => {
    const { port } = await startServer();
    const socket = net.connect(port, "127.0.0.1");
    socket.setNoDelay(true);
    cleanups.push(() => socket.destroy());
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    const received = new Promise<Buffer>((resolve) => socket.once("data", (chunk: Buffer) => resolve(chunk)));
    for (const [start, end] of [
      [0, 1],
      [1, 9],
      [9, HTTP2_PREFACE.length],
    ] as const) {
      await new Promise<void>((resolve) => socket.write(HTTP2_PREFACE.subarray(start, end), () => resolve()));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    // An empty SETTINGS frame, as every HTTP/2 client sends after the preface.
    socket.write(Buffer.from([0, 0, 0, 0x04, 0, 0, 0, 0, 0]));
    const first = await received;
    // The server's first frame is its own SETTINGS frame (type 0x4), not an HTTP/1.1 "400 Bad Request".
    expect(first.subarray(0, 4).toString("latin1")).not.toBe("HTTP");
    expect(first[3]).toBe(0x04);
  });

  it("serves HTTP/1.1 requests for other paths with the fallback, and 404 without one", async () => {
    const seen: string[] = [];
    const withFallback = await startServer({
      http1Fallback(request, response) {
        seen.push(`${request.method} ${request.url}`);
        response.writeHead(200, { "content-type": "text/plain" });
        response.end("rest");
      },
    });
    const rest = await fetch(`${withFallback.baseUrl}/v1/updates`);
    expect(rest.status).toBe(200);
    expect(await rest.text()).toBe("rest");
    expect(seen).toEqual(["GET /v1/updates"]);

    const withoutFallback = await startServer();
    const missing = await fetch(`${withoutFallback.baseUrl}/v1/updates`);
    expect(missing.status).toBe(404);
  });

  it("gives HTTP/2 requests for non-RPC paths to the plain handlers too (browsers speak HTTP/2 over TLS)", async () => {
    const { baseUrl } = await startServer({
      http1Fallback: (request, response) => {
        response.writeHead(request.url === "/" ? 200 : 404, { "content-type": "text/plain" });
        response.end(request.url === "/" ? "dashboard" : "not found");
      },
    });
    const session = http2.connect(baseUrl);
    cleanups.push(() => session.destroy());
    const get = (path: string) =>
      new Promise<number | undefined>((resolve, reject) => {
        const stream = session.request({ ":path": path });
        stream.on("response", (headers) => resolve(headers[":status"]));
        stream.on("error", reject);
        stream.resume();
        stream.end();
      });
    expect(await get("/")).toBe(200);
    expect(await get("/nowhere")).toBe(404);
  });

  it("rejects a fallback request whose declared body is larger than maxRequestBytes", async () => {
    const { port } = await startServer({ maxRequestBytes: 64, http1Fallback: () => expect.unreachable() });
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const request = http.request({ host: "127.0.0.1", port, method: "POST", path: "/v1/updates" }, (response) => {
        response.resume();
        resolve(response.statusCode);
      });
      request.on("error", reject);
      request.end("x".repeat(65));
    });
    expect(status).toBe(413);
  });

  for (const name of ["gRPC over h2c", "Connect over HTTP/1.1", "gRPC-Web over HTTP/1.1"]) {
    it(`fails an oversized request with RESOURCE_EXHAUSTED (${name})`, async () => {
      const { baseUrl } = await startServer({ maxRequestBytes: 1024 });
      const client = createClient(Health, transports(baseUrl)[name] as Transport);
      const error = await client.check({ service: "x".repeat(2048) }).then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
      expect(error?.code).toBe(Code.ResourceExhausted);
      // A request within the limit still works on the same server.
      expect((await client.check({ service: "x".repeat(512) })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    });
  }

  it("announces its HTTP/2 limits: 100 concurrent streams and 16 KiB of headers per connection by default", async () => {
    const settingsOf = async (port: number) => {
      const session = http2.connect(`http://127.0.0.1:${port}`);
      cleanups.push(() => session.destroy());
      return new Promise<http2.Settings>((resolve) => session.once("remoteSettings", resolve));
    };
    const { port } = await startServer();
    expect(await settingsOf(port)).toMatchObject({ maxConcurrentStreams: 100, maxHeaderListSize: 16 * 1024 });
    const custom = await startServer({ http2Limits: { maxConcurrentStreams: 7 } });
    expect((await settingsOf(custom.port)).maxConcurrentStreams).toBe(7);
  });

  it("reports the actual port when asked for an ephemeral one", async () => {
    const { server, port } = await startServer();
    expect(port).toBeGreaterThan(0);
    expect(server.address()).toEqual({ host: "127.0.0.1", port });
  });

  it("fails listen() when the port is taken", async () => {
    const { port } = await startServer();
    const second = createApiServer({ routes: routesFor({} as Hooks), host: "127.0.0.1", port });
    await expect(second.listen()).rejects.toThrow(/EADDRINUSE/);
  });
});

describe("createApiServer: close()", () => {
  it("ends open server streams cleanly and resolves quickly with idle HTTP/2 clients connected", async () => {
    // A grace period far longer than the test timeout: close() must not need it.
    const { server, baseUrl } = await startServer({ shutdownGraceMs: 60_000 });
    // Idle clients: an HTTP/2 session that finished a call, and one that never made any.
    const grpcClient = createClient(Health, createGrpcTransport({ baseUrl }));
    await grpcClient.check({});
    const idle = http2.connect(baseUrl);
    cleanups.push(() => idle.destroy());
    await new Promise<void>((resolve) => idle.once("connect", () => resolve()));
    const idleClosed = new Promise<void>((resolve) => idle.once("close", () => resolve()));

    const streams = [
      grpcClient.watch({}),
      createClient(Health, createConnectTransport({ baseUrl, httpVersion: "2" })).watch({}),
      createClient(Health, createConnectTransport({ baseUrl, httpVersion: "1.1" })).watch({}),
      createClient(Health, createGrpcWebTransport({ baseUrl, httpVersion: "1.1" })).watch({}),
    ];
    const iterators = streams.map((stream) => stream[Symbol.asyncIterator]());
    for (const iterator of iterators) {
      expect((await iterator.next()).value?.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    }

    const started = performance.now();
    await server.close();
    expect(performance.now() - started).toBeLessThan(5000);
    // Each stream ends without an error and without more messages.
    for (const iterator of iterators) {
      expect(await iterator.next()).toEqual({ done: true, value: undefined });
    }
    await idleClosed;
    expect(server.shutdownSignal.aborted).toBe(true);
  });

  it("lets an in-flight unary call finish, and refuses new connections", async () => {
    const { server, baseUrl, hooks, port } = await startServer({ shutdownGraceMs: 60_000 });
    const client = createClient(Health, createGrpcTransport({ baseUrl }));
    const inFlight = client.check({ service: "slow" });
    await hooks.slowCheckEntered.promise;

    const closed = server.close();
    hooks.slowCheckRelease.resolve();
    expect((await inFlight).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    await closed;

    const refused = await new Promise<string | undefined>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(undefined);
      });
      socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code));
    });
    expect(refused).toBe("ECONNREFUSED");
  });

  it("lets an in-flight HTTP/1.1 call finish", async () => {
    const { server, baseUrl, hooks } = await startServer({ shutdownGraceMs: 60_000 });
    const client = createClient(Health, createConnectTransport({ baseUrl, httpVersion: "1.1" }));
    const inFlight = client.check({ service: "slow" });
    await hooks.slowCheckEntered.promise;
    const closed = server.close();
    hooks.slowCheckRelease.resolve();
    expect((await inFlight).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    await closed;
  });

  it("destroys a stream that ignores the shutdown signal once the grace period is over", async () => {
    const { server, baseUrl } = await startServer({ shutdownGraceMs: 50 });
    const stream = createClient(Health, createGrpcTransport({ baseUrl })).watch({ service: "stubborn" });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    await server.close();
    const error = await iterator.next().then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(error).toBeInstanceOf(ConnectError);
  });

  it("is idempotent", async () => {
    const { server } = await startServer();
    await Promise.all([server.close(), server.close()]);
    await server.close();
  });
});

describe("createApiServer with TLS", () => {
  it("serves HTTP/2 and HTTP/1.1 on the same TLS port", async () => {
    const dir = mkdtempSync(join(tmpdir(), "api-server-tls-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1"]
        .concat(["-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"])
        .concat(["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")]),
      { stdio: "ignore" },
    );
    const cert = readFileSync(join(dir, "cert.pem"));
    const key = readFileSync(join(dir, "key.pem"));
    const { port } = await startServer({ tls: { cert, key } });
    const baseUrl = `https://127.0.0.1:${port}`;

    const overHttp2 = createClient(
      Health,
      createGrpcTransport({ baseUrl, nodeOptions: { ca: cert } }),
    );
    expect((await overHttp2.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    const overHttp1 = createClient(
      Health,
      createConnectTransport({ baseUrl, httpVersion: "1.1", nodeOptions: { ca: cert } }),
    );
    expect((await overHttp1.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });
});
