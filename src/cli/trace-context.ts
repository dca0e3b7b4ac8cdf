/** W3C trace context the CLI passes on: the pipeline's span, from the `TRACEPARENT`/`TRACESTATE` environment. */
export interface TraceContext {
  readonly traceparent: string;
  readonly tracestate?: string;
}

const traceparentPattern = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The trace context to send, from `TRACEPARENT` (and `TRACESTATE`), the variables CI tracing tools (otel-cli, the
 * Jenkins and GitLab OpenTelemetry integrations, OpenTelemetry's environment-carrier convention) set for a step.
 * An invalid or missing `TRACEPARENT` is ignored, as W3C trace context says: tracing never fails a pipeline.
 */
export function traceContextFromEnv(env: Readonly<Record<string, string | undefined>>): TraceContext | undefined {
  const traceparent = env.TRACEPARENT?.trim().toLowerCase();
  if (traceparent === undefined) return undefined;
  const match = traceparentPattern.exec(traceparent);
  if (match === null || match[1] === "ff" || /^0+$/.test(match[2] ?? "") || /^0+$/.test(match[3] ?? "")) return undefined;
  const tracestate = env.TRACESTATE?.trim();
  return tracestate ? { traceparent, tracestate } : { traceparent };
}
