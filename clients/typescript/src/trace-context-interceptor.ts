import type { Interceptor } from "@connectrpc/connect";
import { context, isSpanContextValid, TraceFlags, trace } from "@opentelemetry/api";

/**
 * A transport interceptor that sends the active OpenTelemetry span as W3C trace context (`traceparent`, and
 * `tracestate` when the span has one) on every call, so the manager's spans of an `Update` (and of every other RPC)
 * continue the caller's trace: a pipeline's trace then shows the update, its migrations, rollouts and rollback.
 *
 * It reads the span from `@opentelemetry/api` (a peer dependency: install it, and an SDK that records spans, in the
 * pipeline), and needs no propagator to be registered. Headers the caller set on a call win; without an active span
 * nothing is sent and the manager starts a trace of its own.
 */
export function createTraceContextInterceptor(): Interceptor {
  return (next) => (request) => {
    const span = trace.getSpanContext(context.active());
    if (span !== undefined && isSpanContextValid(span) && !request.header.has("traceparent")) {
      const flags = (span.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED ? "01" : "00";
      request.header.set("traceparent", `00-${span.traceId}-${span.spanId}-${flags}`);
      const state = span.traceState?.serialize();
      if (state) request.header.set("tracestate", state);
    }
    return next(request);
  };
}
