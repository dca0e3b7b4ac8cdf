import {
  type Context,
  context,
  isSpanContextValid,
  ROOT_CONTEXT,
  type SpanContext,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { type CoreSpan, randomHexId, type SpanRef, type UpdateTracer } from "../core/ports/update-tracer.js";

function toSpanContext(ref: SpanRef): SpanContext {
  return { traceId: ref.traceId, spanId: ref.spanId, traceFlags: ref.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE };
}

/**
 * The ids of a span as the core keeps them. Without the SDK (nothing exported) the API's spans are non-recording
 * copies of their parent's context (or invalid without one): the span then gets ids of its own, in its parent's
 * trace, so that each update still has a trace id for its logs and the API.
 */
function refOf(spanContext: SpanContext, parent: SpanContext | undefined): SpanRef {
  const parentValid = parent !== undefined && isSpanContextValid(parent);
  if (isSpanContextValid(spanContext) && !(parentValid && spanContext.spanId === parent.spanId)) {
    return {
      traceId: spanContext.traceId,
      spanId: spanContext.spanId,
      sampled: (spanContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED,
    };
  }
  return {
    traceId: parentValid ? parent.traceId : randomHexId(16),
    spanId: randomHexId(8),
    sampled: parentValid && (parent.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED,
  };
}

/**
 * The core's UpdateTracer on an OpenTelemetry tracer (`trace.getTracer("update-manager")`: the SDK's when
 * OTEL_* export is configured, else the API's no-op). Spans are INTERNAL; a span without an explicit parent is a
 * child of the active span (the RPC's server span while an RPC handler runs).
 */
export function createUpdateTracer(tracer: Tracer): UpdateTracer {
  return {
    startSpan(name, options = {}) {
      let parentContext: Context;
      if (options.parent !== undefined) parentContext = trace.setSpanContext(ROOT_CONTEXT, toSpanContext(options.parent));
      else parentContext = options.root === true ? ROOT_CONTEXT : context.active();
      const span = tracer.startSpan(
        name,
        {
          ...(options.attributes === undefined ? {} : { attributes: { ...options.attributes } }),
          ...(options.startTime === undefined ? {} : { startTime: options.startTime }),
          links: (options.links ?? []).map((link) => ({
            context: toSpanContext(link.span),
            ...(link.attributes === undefined ? {} : { attributes: { ...link.attributes } }),
          })),
        },
        parentContext,
      );
      const ref = refOf(span.spanContext(), trace.getSpanContext(parentContext));
      let ended = false;
      const core: CoreSpan = {
        ref,
        setAttributes(attributes) {
          span.setAttributes({ ...attributes });
        },
        fail(message) {
          span.setStatus({ code: SpanStatusCode.ERROR, message });
        },
        end(endTime) {
          if (ended) return;
          ended = true;
          span.end(endTime);
        },
      };
      return core;
    },
  };
}
