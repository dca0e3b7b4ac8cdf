import { context, SpanKind, SpanStatusCode, TraceFlags, trace } from "@opentelemetry/api";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtobufExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { afterEach, describe, expect, it } from "vitest";
import { type OtlpReceiver, startOtlpReceiver } from "./otlp-receiver.js";

let receiver: OtlpReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

/** Exports one parent and one linked child through `exporter`; returns what was sent. */
async function exportSpans(exporter: SpanExporter) {
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer("receiver-test");
  const parent = tracer.startSpan("parent", { kind: SpanKind.SERVER, attributes: { text: "a", count: 3, ok: true, ratio: 0.5 } });
  const linked = { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", traceFlags: TraceFlags.SAMPLED };
  const child = tracer.startSpan("child", { links: [{ context: linked, attributes: { why: "previous" } }] }, trace.setSpan(context.active(), parent));
  child.setStatus({ code: SpanStatusCode.ERROR, message: "broken" });
  child.end();
  parent.end();
  await provider.shutdown();
  return { parent: parent.spanContext(), child: child.spanContext(), linked };
}

describe("the OTLP/HTTP receiver", () => {
  for (const [protocol, create] of [
    ["http/protobuf", (url: string) => new ProtobufExporter({ url })],
    ["http/json", (url: string) => new JsonExporter({ url })],
  ] as const) {
    it(`decodes what the SDK's ${protocol} exporter sends: ids, parents, attributes, links, status`, async () => {
      receiver = await startOtlpReceiver();
      const sent = await exportSpans(create(receiver.tracesEndpoint));
      const byName = new Map(receiver.spans.map((span) => [span.name, span]));
      expect(byName.get("parent")).toMatchObject({
        traceId: sent.parent.traceId,
        spanId: sent.parent.spanId,
        parentSpanId: "",
        kind: 2,
        attributes: { text: "a", count: 3, ok: true, ratio: 0.5 },
        status: { code: 0, message: "" },
      });
      expect(byName.get("child")).toMatchObject({
        traceId: sent.parent.traceId,
        spanId: sent.child.spanId,
        parentSpanId: sent.parent.spanId,
        links: [{ traceId: sent.linked.traceId, spanId: sent.linked.spanId, attributes: { why: "previous" } }],
        status: { code: 2, message: "broken" },
      });
    });
  }
});
