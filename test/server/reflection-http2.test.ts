import { execFile } from "node:child_process";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";
import { createHealthService } from "../../src/server/health-service.js";
import { createReflectionService } from "../../src/server/reflection-service.js";

// The real `buf curl` against a loopback HTTP/2 server started here: proves the services work for the tools operators
// use (reflection is bidi streaming, which connect-node serves on HTTP/2 only), with no proto files on the client side.
const buf = fileURLToPath(new URL("../../node_modules/.bin/buf", import.meta.url));

let server: http2.Http2Server;
let baseUrl: string;
const sessions = new Set<http2.ServerHttp2Session>();
const health = createHealthService();

beforeAll(async () => {
  const reflection = createReflectionService({ services: [UpdateService, Health] });
  server = http2.createServer(
    connectNodeAdapter({
      routes(router) {
        // No implementations: every UpdateService method answers UNIMPLEMENTED, which is all these tests need.
        router.service(UpdateService, {});
        health.register(router);
        reflection.register(router);
      },
    }),
  );
  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  health.registry.shutdown();
  // server.close() waits for idle HTTP/2 sessions, which buf curl may leave behind: close them first.
  for (const session of sessions) session.destroy();
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
});

interface CurlResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

function bufCurl(...args: string[]): Promise<CurlResult> {
  return new Promise((resolve, reject) => {
    execFile(
      buf,
      ["curl", "--http2-prior-knowledge", "--connect-timeout", "5", ...args],
      { timeout: 8_000, env: { ...process.env, NO_COLOR: "1" } },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") reject(error); // spawn failure or timeout, not an RPC error
        else resolve({ exitCode: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

describe("reflection and health over HTTP/2, with the real buf curl", () => {
  it("lists every method of the API through reflection", async () => {
    const result = await bufCurl("--protocol", "grpc", "--list-methods", baseUrl);
    expect(result.stderr).toBe("");
    const methods = result.stdout.trim().split("\n");
    expect(methods).toEqual(
      expect.arrayContaining([
        "updatemanager.v1.UpdateService/Update",
        "updatemanager.v1.UpdateService/WatchUpdate",
        "updatemanager.v1.UpdateService/ListTargets",
        "grpc.health.v1.Health/Check",
        "grpc.health.v1.Health/Watch",
        "grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
      ]),
    );
    expect(methods).toHaveLength(UpdateService.methods.length + Health.methods.length + 1);
  });

  it("answers a health check with SERVING, over gRPC and over the Connect protocol", async () => {
    for (const protocol of ["grpc", "connect"]) {
      const result = await bufCurl("--protocol", protocol, "-d", '{"service":""}', `${baseUrl}/grpc.health.v1.Health/Check`);
      expect(result).toMatchObject({ exitCode: 0, stderr: "" });
      expect(JSON.parse(result.stdout)).toEqual({ status: "SERVING" });
    }
  });

  it("answers a health check for an unknown service with NOT_FOUND", async () => {
    const result = await bufCurl("--protocol", "grpc", "-d", '{"service":"nope"}', `${baseUrl}/grpc.health.v1.Health/Check`);
    expect(result.exitCode).not.toBe(0);
    expect(JSON.parse(result.stderr)).toMatchObject({ code: "not_found" });
  });

  it("resolves a request schema through reflection, so the call reaches the server", async () => {
    // The JSON body can only be encoded with the schema, fetched by reflection; UNIMPLEMENTED comes from the server.
    const result = await bufCurl(
      "--protocol",
      "grpc",
      "-d",
      '{"classifier":"prod","page_size":10}',
      `${baseUrl}/updatemanager.v1.UpdateService/ListTargets`,
    );
    expect(JSON.parse(result.stderr)).toMatchObject({ code: "unimplemented" });
  });

  it("rejects a request field the schema does not have, proving the schema is the real one", async () => {
    const result = await bufCurl("--protocol", "grpc", "-d", '{"no_such_field":1}', `${baseUrl}/updatemanager.v1.UpdateService/ListTargets`);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain("no_such_field");
  });
});
