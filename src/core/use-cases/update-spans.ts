import type { UpdatePlan, UpdateRecord } from "../domain/update.js";
import type { WorkloadRef } from "../domain/workload.js";
import { type CoreSpan, noopUpdateTracer, type SpanAttributes, type SpanRef, type UpdateTracer } from "../ports/update-tracer.js";
import type { UpdateEngineDeps } from "./update-engine-deps.js";

/** The engine's tracer: the configured one, else the no-op. */
export function tracerOf(deps: Pick<UpdateEngineDeps, "tracer">): UpdateTracer {
  return deps.tracer ?? noopUpdateTracer;
}

/** The attributes every span of an update carries. */
export function updateAttributes(record: Pick<UpdateRecord, "id" | "classifier" | "image">): SpanAttributes {
  return { "update.id": record.id, "update.classifier": record.classifier, "update.image": record.image };
}

/** A workload's attributes: `update.workload` is `Kind/namespace/name`; the others follow OpenTelemetry's k8s names. */
export function workloadAttributes(ref: WorkloadRef): SpanAttributes {
  return {
    "update.workload": `${ref.kind}/${ref.namespace}/${ref.name}`,
    "update.workload.kind": ref.kind,
    "k8s.namespace.name": ref.namespace,
    "update.workload.name": ref.name,
  };
}

/** What a plan touches, as span attributes. */
export function planAttributes(plan: UpdatePlan): SpanAttributes {
  return {
    "update.plan.workloads": plan.workloads.filter((workload) => !workload.unchanged).length,
    "update.plan.unchanged": plan.workloads.filter((workload) => workload.unchanged).length,
    "update.plan.migrations": plan.migrations.length,
  };
}

/** The recorded span an update's later spans hang under: its accept span. */
export function acceptSpanOf(record: UpdateRecord): SpanRef | undefined {
  const { trace } = record;
  return trace === undefined ? undefined : { traceId: trace.traceId, spanId: trace.spanId, sampled: trace.sampled };
}

/** The fields a log line about an update carries (child loggers bind them). */
export function updateLogFields(record: Pick<UpdateRecord, "id" | "trace">): { update_id: string; trace_id?: string } {
  return record.trace === undefined ? { update_id: record.id } : { update_id: record.id, trace_id: record.trace.traceId };
}

/**
 * Runs one step of an update in a child span of `parent` (without one, a trace of its own: never the span of
 * whatever RPC happens to be active, such as another update's). The span ends when the step does; `outcome` may mark it
 * failed (a step that ends without throwing can still have failed: a migration Job that failed). A throw marks it
 * failed with the error's message.
 */
export async function inSpan<T>(
  tracer: UpdateTracer,
  name: string,
  parent: SpanRef | undefined,
  attributes: SpanAttributes,
  step: (span: CoreSpan) => Promise<T>,
): Promise<T> {
  const span = tracer.startSpan(name, { ...(parent === undefined ? { root: true } : { parent }), attributes });
  try {
    return await step(span);
  } catch (error) {
    span.fail(error instanceof Error ? error.message : String(error));
    throw error;
  } finally {
    span.end();
  }
}
