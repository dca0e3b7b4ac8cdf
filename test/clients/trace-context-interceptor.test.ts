import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { context, createTraceState, propagation, TraceFlags, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUpdateClient } from "../../clients/typescript/src/index.js";
import { createTraceContextInterceptor } from "../../clients/typescript/src/tracing.js";
import { ListUpdatesResponseSchema, UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";
import { type ApiServer, createApiServer } from "../../src/server/api-server.js";
import { createTracingInterceptor } from "../../src/telemetry/tracing.js";

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const seen: Headers[] = [];
let server: ApiServer;

beforeAll(async () => {
  // A pipeline with the OpenTelemetry SDK: context kept across awaits; the W3C propagator serves the server side.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  server = createApiServer({
    routes: (router: ConnectRouter) => {
      router.service(UpdateService, {
        listUpdates(_request, handlerContext) {
          seen.push(handlerContext.requestHeader);
          return create(ListUpdatesResponseSchema, {});
        },
      });
    },
    host: "127.0.0.1",
    port: 0,
    interceptors: [createTracingInterceptor(provider.getTracer("server"))],
  });
  await server.listen();
});
afterAll(async () => {
  await server?.close();
  context.disable();
  propagation.disable();
});

describe("createTraceContextInterceptor (@update-manager/client/tracing)", () => {
  const client = () =>
    createUpdateClient({ url: `http://127.0.0.1:${server.address().port}`, interceptors: [createTraceContextInterceptor()] });

  it("sends the active span as traceparent: the manager's RPC span becomes its child", async () => {
    const pipelineSpan = provider.getTracer("pipeline").startSpan("deploy");
    await context.with(trace.setSpan(context.active(), pipelineSpan), () => client().listUpdates({}));
    pipelineSpan.end();
    const { traceId, spanId } = pipelineSpan.spanContext();
    expect(seen.at(-1)?.get("traceparent")).toBe(`00-${traceId}-${spanId}-01`);
    const rpc = exporter.getFinishedSpans().find((span) => span.name === "updatemanager.v1.UpdateService/ListUpdates");
    expect(rpc?.spanContext().traceId).toBe(traceId);
    expect(rpc?.parentSpanContext?.spanId).toBe(spanId);
  });

  it("passes an unsampled span as unsampled, and the span's tracestate", async () => {
    const span = trace.wrapSpanContext({
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId: "00f067aa0ba902b7",
      traceFlags: TraceFlags.NONE,
      traceState: createTraceState("vendor=abc"),
    });
    await context.with(trace.setSpan(context.active(), span), () => client().listUpdates({}));
    expect(seen.at(-1)?.get("traceparent")).toBe("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
    expect(seen.at(-1)?.get("tracestate")).toBe("vendor=abc");
  });

  it("sends nothing without an active span, and never replaces a traceparent the call sets", async () => {
    await client().listUpdates({});
    expect(seen.at(-1)?.has("traceparent")).toBe(false);
    const pipelineSpan = provider.getTracer("pipeline").startSpan("deploy");
    const own = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    await context.with(trace.setSpan(context.active(), pipelineSpan), () =>
      client().listUpdates({}, { headers: { traceparent: own } }),
    );
    pipelineSpan.end();
    expect(seen.at(-1)?.get("traceparent")).toBe(own);
  });
});
