/**
 * Fuzzes the decoding and validation of every UpdateService RPC (and Health/Check): random bytes as
 * protobuf bodies, random JSON as Connect JSON bodies, and random field values through the generated
 * client. Every answer must be success or a deliberate error code (INVALID_ARGUMENT, NOT_FOUND, ...),
 * never INTERNAL or UNKNOWN (an unhandled exception), and the server must stay up.
 *
 * One exception is asserted as such: @connectrpc/connect 2.1.2 answers a protobuf body it cannot decode
 * with INTERNAL "parse binary: ..." (protocol/serialization.js; JSON it cannot decode gets
 * INVALID_ARGUMENT). That happens before any interceptor or handler of ours runs; every other INTERNAL
 * fails these tests.
 */
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";
import { type InProcessApp, startInProcessApp, testApiKey } from "../rest/in-process-app.js";
import { connectServerStream, connectUnary } from "./connect-wire.js";

let app: InProcessApp;
beforeAll(async () => {
  app = await startInProcessApp();
});
afterAll(async () => {
  await app.close();
});

const authorization = `Bearer ${testApiKey}`;
const forbidden = new Set(["internal", "unknown"]);

/** A deliberate answer: anything but INTERNAL/UNKNOWN, except connect-es's own INTERNAL for undecodable protobuf. */
function deliberate(answer: { code: string; message: string }): boolean {
  if (answer.code === "internal" && answer.message.startsWith("parse binary:")) return true;
  return !forbidden.has(answer.code);
}
const runs = { numRuns: 60, seed: 7 };

/** Every unary RPC and the one server stream, by their Connect paths. */
const unaryPaths = [
  ...UpdateService.methods.filter((method) => method.methodKind === "unary").map((method) => `/${UpdateService.typeName}/${method.name}`),
  `/${Health.typeName}/Check`,
];
const streamPaths = UpdateService.methods
  .filter((method) => method.methodKind === "server_streaming")
  .map((method) => `/${UpdateService.typeName}/${method.name}`);

describe("RPC fuzzing", () => {
  it.each(unaryPaths)("%s: random bytes as the protobuf body get a deliberate answer", async (path) => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
        const answer = await connectUnary(app.baseUrl, path, bytes, "application/proto", authorization);
        expect(deliberate(answer), `${path} answered ${answer.code}: ${answer.message}`).toBe(true);
      }),
      runs,
    );
    expect(await app.serving()).toBe(true);
  });

  it.each(streamPaths)("%s: random bytes as the enveloped protobuf request get a deliberate answer", async (path) => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
        const answer = await connectServerStream(app.baseUrl, path, bytes, authorization);
        expect(deliberate(answer), `${path} answered ${answer.code}: ${answer.message}`).toBe(true);
      }),
      runs,
    );
    expect(await app.serving()).toBe(true);
  });

  it.each(unaryPaths)("%s: random JSON gets a deliberate answer", async (path) => {
    const fieldNames = ["image", "classifier", "updateId", "update_id", "pageSize", "pageToken", "states", "dryRun", "namespace", "workload", "service", "updateTimeout", "reason"];
    const jsonBody = fc.oneof(
      fc.json(),
      fc.dictionary(fc.constantFrom(...fieldNames), fc.jsonValue()).map((value) => JSON.stringify(value)),
    );
    await fc.assert(
      fc.asyncProperty(jsonBody, async (body) => {
        const answer = await connectUnary(app.baseUrl, path, body, "application/json", authorization);
        expect(forbidden.has(answer.code), `${path} answered ${answer.code} (${answer.message}) to ${body}`).toBe(false);
      }),
      runs,
    );
    expect(await app.serving()).toBe(true);
  });

  it("random field values through the generated client get success or a deliberate error code", async () => {
    const client = createClient(
      UpdateService,
      createConnectTransport({ baseUrl: app.baseUrl, httpVersion: "1.1", interceptors: [(next) => (req) => {
        req.header.set("authorization", authorization);
        return next(req);
      }] }),
    );
    const text = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: "binary", maxLength: 100 }), fc.constantFrom("", "shop", "registry.example.com/shop/web:1.5.0"));
    const calls = fc.oneof(
      fc.record({ image: text, classifier: text, dryRun: fc.constant(true), idempotencyKey: text, overrideQuarantine: fc.boolean() }).map(
        (request) => () => client.update(request),
      ),
      text.map((updateId) => () => client.getUpdate({ updateId })),
      fc.record({ updateId: text, reason: text }).map((request) => () => client.cancelUpdate(request)),
      fc.record({ pageSize: fc.integer(), pageToken: text, classifier: text, requester: text, states: fc.array(fc.integer({ min: -5, max: 20 }), { maxLength: 3 }) }).map(
        (request) => () => client.listUpdates(request),
      ),
      fc.record({ pageSize: fc.integer(), pageToken: text, classifier: text, namespace: text, repository: text }).map(
        (request) => () => client.listTargets(request),
      ),
      fc.record({ pageSize: fc.integer(), pageToken: text, namespace: text }).map((request) => () => client.listQuarantines(request)),
      fc.record({ image: text, workload: fc.record({ namespace: text, name: text }) }).map((request) => () => client.clearQuarantine(request)),
      fc.record({ updateId: text, afterSequence: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }).map((request) => async () => {
        for await (const _ of client.watchUpdate(request, { signal: AbortSignal.timeout(2000) })) break;
      }),
    );
    await fc.assert(
      fc.asyncProperty(calls, async (call) => {
        try {
          await call();
        } catch (error) {
          const code = ConnectError.from(error).code;
          expect([Code.Internal, Code.Unknown], ConnectError.from(error).message).not.toContain(code);
        }
      }),
      { numRuns: 300, seed: 11 },
    );
    expect(await app.serving()).toBe(true);
    // Dry runs and refusals only: nothing was written.
    expect(app.cluster.writes()).toEqual([]);
  }, 60_000);
});
