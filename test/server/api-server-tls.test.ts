import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import * as https from "node:https";
import { join } from "node:path";
import * as tls from "node:tls";
import { create } from "@bufbuild/protobuf";
import { type ConnectRouter, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus, HealthCheckResponseSchema } from "../../gen/grpc/health/v1/health_pb.js";
import type { CoreLogger } from "../../src/core/ports/logger.js";
import { type ApiServer, createApiServer, type TlsMaterial } from "../../src/server/api-server.js";
import { readTlsFiles, type TlsFileWatcher, watchTlsFiles } from "../../src/server/tls-file-watcher.js";
import { createTestPki, type TestPki } from "./test-certificates.js";

let pki: TestPki;
let ca: ReturnType<TestPki["ca"]>;
let first: ReturnType<TestPki["leaf"]>;
let second: ReturnType<TestPki["leaf"]>;
let clientCa: ReturnType<TestPki["ca"]>;
let client: ReturnType<TestPki["leaf"]>;
let strangerClient: ReturnType<TestPki["leaf"]>;

beforeAll(() => {
  pki = createTestPki();
  ca = pki.ca("server-ca");
  first = pki.leaf("server-first", "server-ca", "server");
  second = pki.leaf("server-second", "server-ca", "server");
  clientCa = pki.ca("client-ca");
  client = pki.leaf("ci-runner", "client-ca", "client");
  pki.ca("stranger-ca");
  strangerClient = pki.leaf("stranger", "stranger-ca", "client");
});
afterAll(() => pki.remove());

const servers: ApiServer[] = [];
const watchers: TlsFileWatcher[] = [];
afterEach(async () => {
  for (const watcher of watchers.splice(0)) watcher.close();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

function routes(router: ConnectRouter) {
  router.service(Health, {
    check: () => create(HealthCheckResponseSchema, { status: HealthCheckResponse_ServingStatus.SERVING }),
  });
}

async function startTls(material: TlsMaterial): Promise<{ server: ApiServer; port: number; baseUrl: string }> {
  const server = createApiServer({
    routes,
    host: "127.0.0.1",
    port: 0,
    tls: material,
    http1Fallback: (_request, response) => {
      response.writeHead(200, { "content-type": "text/plain" });
      response.end("rest\n");
    },
  });
  servers.push(server);
  await server.listen();
  const { port } = server.address();
  return { server, port, baseUrl: `https://127.0.0.1:${port}` };
}

/** The certificate a new connection is served (its CN), and the protocol ALPN picked. */
function handshake(port: number, options: tls.ConnectionOptions = {}): Promise<{ cn: string; alpn: string | false }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, ca: ca.cert, ALPNProtocols: ["h2", "http/1.1"], ...options }, () => {
      const cn = String(socket.getPeerCertificate().subject.CN);
      const alpn = socket.alpnProtocol ?? false;
      socket.end();
      resolve({ cn, alpn });
    });
    socket.on("error", reject);
  });
}

function httpsGet(port: number, path: string, options: https.RequestOptions = {}): Promise<{ status: number; body: string; alpn: string | false }> {
  return new Promise((resolve, reject) => {
    // Node's https client offers only http/1.1 by ALPN when told so; the typings lack the option.
    const requestOptions: https.RequestOptions & Pick<tls.ConnectionOptions, "ALPNProtocols"> = {
      host: "127.0.0.1",
      port,
      path,
      ca: ca.cert,
      agent: false,
      ALPNProtocols: ["http/1.1"],
      ...options,
    };
    const request = https.get(requestOptions, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, body, alpn: (response.socket as tls.TLSSocket).alpnProtocol ?? false }),
      );
    });
    request.on("error", reject);
  });
}

function recordingLogger(): CoreLogger & { errors: string[] } {
  const errors: string[] = [];
  const logger: CoreLogger & { errors: string[] } = {
    errors,
    trace: () => {},
    debug: () => {},
    info: () => {},
    warn: () => {},
    error: (_fields: unknown, message?: string) => {
      errors.push(message ?? "");
    },
    fatal: () => {},
    child: () => logger,
  } as unknown as CoreLogger & { errors: string[] };
  return logger;
}

describe("API port over TLS", () => {
  it("serves gRPC and Connect over h2, and Connect and plain HTTP/1.1 to clients that offer only http/1.1", async () => {
    const { port, baseUrl } = await startTls({ cert: first.cert, key: first.key });
    const nodeOptions = { ca: ca.cert };

    for (const transport of [
      createGrpcTransport({ baseUrl, nodeOptions }),
      createConnectTransport({ baseUrl, httpVersion: "2", nodeOptions }),
      createConnectTransport({ baseUrl, httpVersion: "1.1", nodeOptions }),
    ]) {
      expect((await createClient(Health, transport).check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    }
    expect(await handshake(port)).toEqual({ cn: "server-first", alpn: "h2" });
    expect(await handshake(port, { ALPNProtocols: ["http/1.1"] })).toEqual({ cn: "server-first", alpn: "http/1.1" });
    // The REST drop-in's path: HTTP/1.1 negotiated by ALPN.
    expect(await httpsGet(port, "/updates/x")).toEqual({ status: 200, body: "rest\n", alpn: "http/1.1" });
  });

  it("serves a swapped certificate to new connections without a restart (rename swap and Secret ..data symlink swap)", async () => {
    // The Secret volume layout: tls.crt -> ..data/tls.crt, ..data -> a timestamped directory.
    const mount = join(pki.dir, "mount");
    rmSync(mount, { recursive: true, force: true });
    const writeVersion = (version: string, leaf: { cert: Buffer; key: Buffer }) => {
      mkdirSync(join(mount, version), { recursive: true });
      writeFileSync(join(mount, version, "tls.crt"), leaf.cert);
      writeFileSync(join(mount, version, "tls.key"), leaf.key);
    };
    writeVersion("..v1", first);
    symlinkSync("..v1", join(mount, "..data"));
    symlinkSync(join("..data", "tls.crt"), join(mount, "tls.crt"));
    symlinkSync(join("..data", "tls.key"), join(mount, "tls.key"));
    const files = { certFile: join(mount, "tls.crt"), keyFile: join(mount, "tls.key") };

    const { server, port, baseUrl } = await startTls(readTlsFiles(files));
    let applied: (() => void) | undefined;
    watchers.push(
      watchTlsFiles({
        files,
        debounceMs: 20,
        pollIntervalMs: 0,
        apply: (material) => {
          server.updateTls(material);
          applied?.();
        },
      }),
    );
    const nextApply = () => new Promise<void>((resolve) => (applied = resolve));
    const health = createClient(Health, createConnectTransport({ baseUrl, httpVersion: "2", nodeOptions: { ca: ca.cert } }));
    expect((await health.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect((await handshake(port)).cn).toBe("server-first");

    // Kubernetes' atomic update: write the new version, point a temporary link at it, rename it over ..data.
    let reloaded = nextApply();
    writeVersion("..v2", second);
    symlinkSync("..v2", join(mount, "..data_tmp"));
    renameSync(join(mount, "..data_tmp"), join(mount, "..data"));
    await reloaded;
    expect((await handshake(port)).cn).toBe("server-second");
    // The HTTP/2 connection opened before keeps working.
    expect((await health.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);

    // A plain rename over the link (what `mv` or cert-manager's writers do) is noticed as well.
    reloaded = nextApply();
    writeFileSync(join(mount, "tls.crt.new"), first.cert);
    writeFileSync(join(mount, "tls.key.new"), first.key);
    renameSync(join(mount, "tls.key.new"), join(mount, "tls.key"));
    renameSync(join(mount, "tls.crt.new"), join(mount, "tls.crt"));
    await reloaded;
    expect((await handshake(port)).cn).toBe("server-first");
  });

  it("keeps the current certificate when the new key does not match it, logs an error, and takes the next good pair", async () => {
    const dir = join(pki.dir, "plain");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    const files = { certFile: join(dir, "tls.crt"), keyFile: join(dir, "tls.key") };
    writeFileSync(files.certFile, first.cert);
    writeFileSync(files.keyFile, first.key);
    const { server, port } = await startTls(readTlsFiles(files));
    const logger = recordingLogger();
    const watcher = watchTlsFiles({ files, pollIntervalMs: 0, debounceMs: 10_000, logger, apply: (m) => server.updateTls(m) });
    watchers.push(watcher);

    writeFileSync(files.certFile, second.cert); // the key is still the first one's
    watcher.check();
    expect(logger.errors).toEqual([expect.stringContaining("not usable")]);
    expect((await handshake(port)).cn).toBe("server-first");

    writeFileSync(files.keyFile, second.key);
    watcher.check();
    expect(logger.errors).toHaveLength(1);
    expect((await handshake(port)).cn).toBe("server-second");
  });

  it("refuses clients without a certificate from the client CA when client certificates are required", async () => {
    const { port, baseUrl } = await startTls({ cert: first.cert, key: first.key, clientCa: clientCa.cert });

    await expect(httpsGet(port, "/updates/x")).rejects.toThrow();
    await expect(httpsGet(port, "/updates/x", { cert: strangerClient.cert, key: strangerClient.key })).rejects.toThrow();
    const withoutCert = createClient(Health, createGrpcTransport({ baseUrl, nodeOptions: { ca: ca.cert } }));
    await expect(withoutCert.check({})).rejects.toThrow();

    expect(await httpsGet(port, "/updates/x", { cert: client.cert, key: client.key })).toMatchObject({ status: 200 });
    const withCert = createClient(
      Health,
      createGrpcTransport({ baseUrl, nodeOptions: { ca: ca.cert, cert: client.cert, key: client.key } }),
    );
    expect((await withCert.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });

  it("refuses updateTls on a plaintext server", async () => {
    const server = createApiServer({ routes, host: "127.0.0.1", port: 0 });
    expect(() => server.updateTls({ cert: first.cert, key: first.key })).toThrow(/without TLS/);
  });
});
