import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ListUpdatesResponseSchema, UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";
import { runCli } from "../../src/cli/run-cli.js";
import { traceContextFromEnv } from "../../src/cli/trace-context.js";
import { type ApiServer, createApiServer } from "../../src/server/api-server.js";

const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

describe("traceContextFromEnv", () => {
  it("takes TRACEPARENT (and TRACESTATE) as CI tracing tools set them", () => {
    expect(traceContextFromEnv({ TRACEPARENT: traceparent })).toEqual({ traceparent });
    expect(traceContextFromEnv({ TRACEPARENT: ` ${traceparent.toUpperCase()} `, TRACESTATE: "vendor=abc" })).toEqual({
      traceparent,
      tracestate: "vendor=abc",
    });
  });

  it("ignores a missing or invalid TRACEPARENT: tracing never fails a pipeline", () => {
    expect(traceContextFromEnv({})).toBeUndefined();
    expect(traceContextFromEnv({ TRACESTATE: "vendor=abc" })).toBeUndefined();
    for (const invalid of [
      "garbage",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      `00-${"0".repeat(32)}-00f067aa0ba902b7-01`,
      `00-4bf92f3577b34da6a3ce929d0e0e4736-${"0".repeat(16)}-01`,
    ]) {
      expect(traceContextFromEnv({ TRACEPARENT: invalid }), invalid).toBeUndefined();
    }
  });
});

describe("the CLI", () => {
  const seen: Headers[] = [];
  let server: ApiServer;
  beforeAll(async () => {
    server = createApiServer({
      routes: (router: ConnectRouter) => {
        router.service(UpdateService, {
          listUpdates(_request, context) {
            seen.push(context.requestHeader);
            return create(ListUpdatesResponseSchema, {});
          },
        });
      },
      host: "127.0.0.1",
      port: 0,
    });
    await server.listen();
  });
  afterAll(async () => {
    await server?.close();
  });

  async function updates(env: Record<string, string>): Promise<Headers> {
    const out: string[] = [];
    const stream = { write: (text: string) => out.push(text) };
    const url = `http://127.0.0.1:${server.address().port}`;
    const code = await runCli({ argv: ["updates"], env: { UPDATE_MANAGER_URL: url, ...env }, stdout: stream, stderr: stream });
    expect(code, out.join("")).toBe(0);
    return seen.at(-1)!;
  }

  it("sends the pipeline's TRACEPARENT and TRACESTATE with its calls, so the update continues the pipeline's trace", async () => {
    const headers = await updates({ TRACEPARENT: traceparent, TRACESTATE: "vendor=abc" });
    expect(headers.get("traceparent")).toBe(traceparent);
    expect(headers.get("tracestate")).toBe("vendor=abc");
  });

  it("sends no trace context without one", async () => {
    const headers = await updates({ TRACEPARENT: "not-a-traceparent" });
    expect(headers.has("traceparent")).toBe(false);
  });
});
