import { create } from "@bufbuild/protobuf";
import { Code, type ConnectRouter, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { context, propagation, SpanKind, SpanStatusCode, type Tracer } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Health,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
} from "../../gen/grpc/health/v1/health_pb.js";
import { ListTargetsResponseSchema, UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";
import { createApiServer } from "../../src/server/api-server.js";
import { createTracingInterceptor, otelEnvironmentDefaults, otelExportConfigured } from "../../src/telemetry/tracing.js";

// What the NodeSDK registers globally in the process: context propagation across awaits and W3C trace context.
beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});
afterAll(() => {
  context.disable();
  propagation.disable();
});

function setup() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { exporter, tracer: provider.getTracer("test") };
}

/** ListTargets answers or fails by namespace; Watch sends two statuses, or fails after one for "broken". */
function routes(tracer: Tracer) {
  return (router: ConnectRouter) => {
    router.service(UpdateService, {
      listTargets(request) {
        if (request.namespace === "missing") throw new ConnectError("no such namespace", Code.NotFound);
        if (request.namespace === "crash") throw new Error("bug");
        // A span the handler starts is a child of the RPC span.
        tracer.startSpan("inner").end();
        return create(ListTargetsResponseSchema, {});
      },
    });
    router.service(Health, {
      async *watch(request) {
        yield create(HealthCheckResponseSchema, { status: HealthCheckResponse_ServingStatus.SERVING });
        if (request.service === "broken") throw new ConnectError("gone", Code.Unavailable);
        yield create(HealthCheckResponseSchema, { status: HealthCheckResponse_ServingStatus.NOT_SERVING });
      },
    });
  };
}

function routerClient(tracer: Tracer) {
  const transport = createRouterTransport(routes(tracer), {
    router: { interceptors: [createTracingInterceptor(tracer)] },
  });
  return { updates: createClient(UpdateService, transport), health: createClient(Health, transport) };
}

describe("createTracingInterceptor", () => {
  it("makes one SERVER span per call named after the method, with the RPC attributes", async () => {
    const { exporter, tracer } = setup();
    await routerClient(tracer).updates.listTargets({});
    const spans = exporter.getFinishedSpans();
    const rpc = spans.find((span) => span.name === "updatemanager.v1.UpdateService/ListTargets");
    expect(spans.map((span) => span.name).sort()).toEqual(["inner", "updatemanager.v1.UpdateService/ListTargets"]);
    expect(rpc?.kind).toBe(SpanKind.SERVER);
    expect(rpc?.attributes).toEqual({
      "rpc.system": "connect_rpc",
      "rpc.service": "updatemanager.v1.UpdateService",
      "rpc.method": "ListTargets",
    });
    expect(rpc?.status.code).toBe(SpanStatusCode.UNSET);
    const inner = spans.find((span) => span.name === "inner");
    expect(inner?.parentSpanContext?.spanId).toBe(rpc?.spanContext().spanId);
  });

  it("records the error code; only server faults mark the span as an error", async () => {
    const { exporter, tracer } = setup();
    const { updates } = routerClient(tracer);
    await expect(updates.listTargets({ namespace: "missing" })).rejects.toThrow(/no such namespace/);
    await expect(updates.listTargets({ namespace: "crash" })).rejects.toThrow(/internal error/);
    const [notFound, crash] = exporter.getFinishedSpans();
    expect(exporter.getFinishedSpans()).toHaveLength(2);
    expect(notFound?.attributes["rpc.connect_rpc.error_code"]).toBe("not_found");
    expect(notFound?.status.code).toBe(SpanStatusCode.UNSET);
    expect(crash?.attributes["rpc.connect_rpc.error_code"]).toBe("internal");
    expect(crash?.status).toEqual({ code: SpanStatusCode.ERROR, message: "bug" });
  });

  it("ends a streaming span when the stream ends, with the stream's outcome", async () => {
    const { exporter, tracer } = setup();
    const { health } = routerClient(tracer);
    const iterator = health.watch({})[Symbol.asyncIterator]();
    await iterator.next();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    await iterator.next();
    await iterator.next();
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(["grpc.health.v1.Health/Watch"]);

    exporter.reset();
    const messages: unknown[] = [];
    await expect(
      (async () => {
        for await (const message of health.watch({ service: "broken" })) messages.push(message);
      })(),
    ).rejects.toThrow(/gone/);
    expect(messages).toHaveLength(1);
    const [broken] = exporter.getFinishedSpans();
    expect(broken?.attributes["rpc.connect_rpc.error_code"]).toBe("unavailable");
    expect(broken?.status.code).toBe(SpanStatusCode.ERROR);
  });

  it("reports gRPC calls as rpc.system grpc with the numeric status code, in the caller's trace", async () => {
    const { exporter, tracer } = setup();
    const server = createApiServer({
      routes: routes(tracer),
      host: "127.0.0.1",
      port: 0,
      interceptors: [createTracingInterceptor(tracer)],
    });
    await server.listen();
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    try {
      const baseUrl = `http://127.0.0.1:${server.address().port}`;
      const client = createClient(UpdateService, createGrpcTransport({ baseUrl }));
      await client.listTargets({}, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
      await expect(client.listTargets({ namespace: "missing" })).rejects.toThrow();
    } finally {
      await server.close();
    }
    const rpcSpans = exporter.getFinishedSpans().filter((span) => span.name.endsWith("/ListTargets"));
    expect(rpcSpans.map((span) => span.attributes["rpc.system"])).toEqual(["grpc", "grpc"]);
    expect(rpcSpans.map((span) => span.attributes["rpc.grpc.status_code"])).toEqual([0, Code.NotFound]);
    expect(rpcSpans[0]?.spanContext().traceId).toBe(traceId);
    expect(rpcSpans[0]?.parentSpanContext?.spanId).toBe("00f067aa0ba902b7");
    // Without a traceparent the call starts a trace of its own.
    expect(rpcSpans[1]?.spanContext().traceId).not.toBe(traceId);
  });
});

describe("otelEnvironmentDefaults", () => {
  it("exports nothing and skips network resource detectors when nothing is configured", () => {
    expect(otelEnvironmentDefaults({})).toEqual({
      OTEL_NODE_RESOURCE_DETECTORS: "env,host,os,process",
      OTEL_TRACES_EXPORTER: "none",
      OTEL_METRICS_EXPORTER: "none",
      OTEL_LOGS_EXPORTER: "none",
    });
    expect(otelExportConfigured({})).toBe(false);
  });

  it("leaves export to the SDK once an endpoint or an exporter is configured", () => {
    expect(otelEnvironmentDefaults({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" })).toEqual({
      OTEL_NODE_RESOURCE_DETECTORS: "env,host,os,process",
    });
    const tracesOnly = otelEnvironmentDefaults({ OTEL_TRACES_EXPORTER: "console", OTEL_NODE_RESOURCE_DETECTORS: "all" });
    expect(tracesOnly).toEqual({ OTEL_METRICS_EXPORTER: "none", OTEL_LOGS_EXPORTER: "none" });
    expect(otelExportConfigured({ OTEL_TRACES_EXPORTER: "console" })).toBe(true);
    expect(otelExportConfigured({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://127.0.0.1:4318/v1/traces" })).toBe(true);
  });
});
