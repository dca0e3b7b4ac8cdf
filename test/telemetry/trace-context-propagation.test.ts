import { create } from "@bufbuild/protobuf";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { context, propagation, trace } from "@opentelemetry/api";
import { afterAll, describe, expect, it } from "vitest";
import { ListUpdatesResponseSchema, UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";
import type { SpanRef } from "../../src/core/ports/update-tracer.js";
import { registerTraceContextPropagation } from "../../src/telemetry/trace-context-propagation.js";
import { createTracingInterceptor } from "../../src/telemetry/tracing.js";
import { createUpdateTracer } from "../../src/telemetry/update-tracer.js";

const pipelineTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
const pipelineSpanId = "00f067aa0ba902b7";

afterAll(() => {
  context.disable();
  propagation.disable();
});

/** An RPC through the server's tracing interceptor whose handler starts an update's accept span, as StartUpdate does. */
async function acceptSpanOfCall(traceparent: string): Promise<SpanRef> {
  // No SDK: the API's no-op tracer, as in a process with nothing to export.
  const tracer = trace.getTracer("update-manager");
  const updates = createUpdateTracer(tracer);
  let accept: SpanRef | undefined;
  const transport = createRouterTransport(
    (router) => {
      router.service(UpdateService, {
        async listUpdates() {
          await new Promise((resolve) => setImmediate(resolve));
          accept = updates.startSpan("update.accept").ref;
          return create(ListUpdatesResponseSchema, {});
        },
      });
    },
    { router: { interceptors: [createTracingInterceptor(tracer)] } },
  );
  await createClient(UpdateService, transport).listUpdates({}, { headers: { traceparent } });
  return accept!;
}

describe("registerTraceContextPropagation, in a process that exports nothing", () => {
  it("lets an update continue the caller's trace: its trace id is the pipeline's, its span a new one", async () => {
    expect(registerTraceContextPropagation()).toBe(true);
    const accept = await acceptSpanOfCall(`00-${pipelineTraceId}-${pipelineSpanId}-01`);
    expect(accept.traceId).toBe(pipelineTraceId);
    expect(accept.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(accept.spanId).not.toBe(pipelineSpanId);
    expect(accept.sampled).toBe(true);
    // A malformed traceparent is ignored: a trace of its own.
    expect((await acceptSpanOfCall("00-garbage")).traceId).not.toBe(pipelineTraceId);
  });

  it("leaves what is registered already (the SDK's) alone", () => {
    expect(registerTraceContextPropagation()).toBe(false);
  });
});
