import { execFile } from "node:child_process";
import { promisify } from "node:util";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { type Client, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";
import { TargetRole, WorkloadKind } from "../../gen/updatemanager/v1/workload_pb.js";
import { type ServerProcess, startServer } from "../support/server-process.js";

const run = promisify(execFile);
let server: ServerProcess;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
});

const transports: Record<string, () => Transport> = {
  "gRPC over h2c": () => createGrpcTransport({ baseUrl: server.apiUrl }),
  "Connect over h2c": () => createConnectTransport({ baseUrl: server.apiUrl, httpVersion: "2" }),
  "Connect over HTTP/1.1": () => createConnectTransport({ baseUrl: server.apiUrl, httpVersion: "1.1" }),
  "gRPC-Web over HTTP/1.1": () => createGrpcWebTransport({ baseUrl: server.apiUrl, httpVersion: "1.1" }),
};

describe.each(Object.entries(transports))("the generated TS client, %s", (_name, makeTransport) => {
  let client: Client<typeof UpdateService>;
  beforeAll(() => {
    client = createClient(UpdateService, makeTransport());
  });

  it("lists the demo targets of a classifier with their images and rollout state", async () => {
    const { targets, nextPageToken } = await client.listTargets({ classifier: "shop" });
    const names = targets.map((t) => `${t.workload?.namespace}/${t.workload?.name}`);
    expect(names).toEqual(expect.arrayContaining(["shop/web", "shop/worker", "shop/web-migrate"]));
    expect(nextPageToken).toBe("");
    const web = targets.find((t) => t.workload?.name === "web" && t.workload.kind === WorkloadKind.DEPLOYMENT);
    expect(web?.role).toBe(TargetRole.WORKLOAD);
    expect(web?.containers.map((c) => c.image)).toContain("registry.example.com/shop/web:1.4.2");
    const migration = targets.find((t) => t.workload?.name === "web-migrate");
    expect(migration?.role).toBe(TargetRole.MIGRATION);
  });

  it("answers an empty list, not an error, when nothing opted in", async () => {
    const { targets } = await client.listTargets({ classifier: "nobody-uses-this" });
    expect(targets).toEqual([]);
  });
});

describe("health and reflection on the API port", () => {
  it("streams the health status with Health/Watch over gRPC", async () => {
    const health = createClient(Health, createGrpcTransport({ baseUrl: server.apiUrl }));
    const abort = new AbortController();
    const stream = health.watch({ service: "updatemanager.v1.UpdateService" }, { signal: abort.signal });
    for await (const message of stream) {
      expect(message.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
      break;
    }
    abort.abort();
  });

  it("lets buf curl discover every method through reflection", async () => {
    const { stdout } = await run(
      "node_modules/.bin/buf",
      ["curl", "--http2-prior-knowledge", "--protocol", "grpc", "--list-methods", server.apiUrl],
      { timeout: 20_000 },
    );
    expect(stdout.split("\n")).toEqual(
      expect.arrayContaining([
        "updatemanager.v1.UpdateService/Update",
        "updatemanager.v1.UpdateService/WatchUpdate",
        "updatemanager.v1.UpdateService/ListTargets",
      ]),
    );
  });

  it("lets buf curl call ListTargets with JSON through reflection, no proto files", async () => {
    const { stdout } = await run(
      "node_modules/.bin/buf",
      [
        "curl",
        "--http2-prior-knowledge",
        "--protocol",
        "grpc",
        "-d",
        JSON.stringify({ classifier: "shop", namespace: "shop" }),
        `${server.apiUrl}/updatemanager.v1.UpdateService/ListTargets`,
      ],
      { timeout: 20_000 },
    );
    const answer = JSON.parse(stdout) as { targets: { workload: { name: string } }[] };
    expect(answer.targets.map((t) => t.workload.name)).toContain("web");
  });
});

describe("a plain @grpc/grpc-js client loaded from proto/", () => {
  // biome-ignore lint/suspicious/noExplicitAny: proto-loader clients are untyped by design.
  let pkg: any;
  beforeAll(async () => {
    const definition = await protoLoader.load(
      ["updatemanager/v1/update_service.proto", "grpc/health/v1/health.proto"],
      { includeDirs: ["proto"], longs: String, enums: String, defaults: true, oneofs: true },
    );
    pkg = grpc.loadPackageDefinition(definition);
  });

  it("calls ListTargets", async () => {
    const client = new pkg.updatemanager.v1.UpdateService(`127.0.0.1:${server.apiPort}`, grpc.credentials.createInsecure());
    const answer = await new Promise<{ targets: { workload: { name: string; kind: string } }[] }>((resolve, reject) =>
      client.ListTargets({ classifier: "shop" }, (error: Error | null, value: never) => (error ? reject(error) : resolve(value))),
    );
    client.close();
    expect(answer.targets.map((t) => t.workload.name)).toContain("worker");
    expect(answer.targets.find((t) => t.workload.name === "worker")?.workload.kind).toBe("WORKLOAD_KIND_DEPLOYMENT");
  });

  it("reads the Health/Watch stream", async () => {
    const client = new pkg.grpc.health.v1.Health(`127.0.0.1:${server.apiPort}`, grpc.credentials.createInsecure());
    const call = client.Watch({ service: "" });
    const first = await new Promise<{ status: string }>((resolve, reject) => {
      call.once("data", resolve);
      call.once("error", reject);
    });
    call.cancel();
    client.close();
    expect(first.status).toBe("SERVING");
  });
});

describe("the admin port", () => {
  it("answers liveness, readiness and Prometheus metrics over HTTP/1.1", async () => {
    expect((await fetch(`${server.adminUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.adminUrl}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${server.adminUrl}/metrics`)).text();
    expect(metrics).toContain("update_manager_rpc_requests_total");
  });
});
