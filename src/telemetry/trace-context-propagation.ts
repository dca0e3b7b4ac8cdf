import { context, propagation } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";

/**
 * Registers W3C trace context propagation and AsyncLocalStorage context, what the SDK registers when it runs. For a
 * process that exports nothing: the API's defaults neither read a caller's `traceparent` nor keep the RPC's span
 * active across awaits, so an update would start a trace of its own instead of continuing the pipeline's, and its
 * `trace_id` (record, API, log lines) would not be the pipeline's. Spans stay non-recording: only their ids are kept.
 * Returns false, changing nothing, when a context manager is registered already (the SDK's).
 */
export function registerTraceContextPropagation(): boolean {
  const manager = new AsyncLocalStorageContextManager();
  if (!context.setGlobalContextManager(manager)) return false;
  manager.enable();
  return propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}
