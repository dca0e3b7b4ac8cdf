import {
  type Attributes,
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { observeStreamEnd } from "./observe-stream.js";

/** The OpenTelemetry signals and the variables that turn their export on. */
const signals = [
  { exporter: "OTEL_TRACES_EXPORTER", endpoint: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" },
  { exporter: "OTEL_METRICS_EXPORTER", endpoint: "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT" },
  { exporter: "OTEL_LOGS_EXPORTER", endpoint: "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT" },
] as const;

/**
 * The OTEL_* variables to set before the OpenTelemetry SDK starts, given the environment. Pure.
 *
 * - `OTEL_NODE_RESOURCE_DETECTORS=env,host,os,process` unless set: the SDK's default also probes cloud metadata
 *   endpoints over the network.
 * - A signal is exported only when asked for, with `OTEL_<SIGNAL>_EXPORTER` or an OTLP endpoint
 *   (`OTEL_EXPORTER_OTLP_ENDPOINT` or the signal's own); the SDK would otherwise send OTLP to localhost:4318.
 *   Metrics are served by the admin port's /metrics anyway.
 */
export function otelEnvironmentDefaults(env: NodeJS.ProcessEnv): Record<string, string> {
  const defaults: Record<string, string> = {};
  if (!env.OTEL_NODE_RESOURCE_DETECTORS) defaults.OTEL_NODE_RESOURCE_DETECTORS = "env,host,os,process";
  for (const { exporter, endpoint } of signals) {
    if (!env[exporter] && !env.OTEL_EXPORTER_OTLP_ENDPOINT && !env[endpoint]) defaults[exporter] = "none";
  }
  return defaults;
}

/** Whether any signal is exported, i.e. whether starting the SDK does anything useful. */
export function otelExportConfigured(env: NodeJS.ProcessEnv): boolean {
  const defaults = otelEnvironmentDefaults(env);
  return signals.some(({ exporter }) => defaults[exporter] === undefined && env[exporter] !== "none");
}

const headerGetter: TextMapGetter<Headers> = {
  keys: (carrier) => [...carrier.keys()],
  get: (carrier, key) => carrier.get(key) ?? undefined,
};

/** The `rpc.system` of a request: gRPC and gRPC-Web are "grpc", everything else is the Connect protocol. */
function rpcSystemOf(header: Headers): "grpc" | "connect_rpc" {
  return header.get("content-type")?.startsWith("application/grpc") ? "grpc" : "connect_rpc";
}

/** gRPC codes that mean the server failed (OpenTelemetry semantic conventions for RPC servers). */
const serverFaults = new Set([
  Code.Unknown,
  Code.DeadlineExceeded,
  Code.Unimplemented,
  Code.Internal,
  Code.Unavailable,
  Code.DataLoss,
]);

/** The Connect protocol's name for a code, e.g. "not_found". */
function connectCodeName(code: Code): string {
  return Code[code].replace(/[A-Z]/g, (letter, index: number) => (index === 0 ? "" : "_") + letter.toLowerCase());
}

function endSpan(span: Span, system: "grpc" | "connect_rpc", error: unknown): void {
  const code = error === undefined ? undefined : ConnectError.from(error, Code.Internal).code;
  if (system === "grpc") span.setAttribute("rpc.grpc.status_code", code ?? 0);
  else if (code !== undefined) span.setAttribute("rpc.connect_rpc.error_code", connectCodeName(code));
  if (code !== undefined && serverFaults.has(code)) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: ConnectError.from(error, Code.Internal).rawMessage });
    if (error instanceof Error) span.recordException(error);
  }
  span.end();
}

/**
 * Traces every RPC on the server: one SERVER span per call, named like `updatemanager.v1.UpdateService/ListTargets`,
 * a child of the caller's trace when the request carries `traceparent`. Attributes follow the OpenTelemetry RPC
 * conventions: `rpc.system` (`grpc` for gRPC and gRPC-Web, `connect_rpc`), `rpc.service`, `rpc.method`, and
 * `rpc.grpc.status_code` or `rpc.connect_rpc.error_code`; the status is ERROR for codes that mean a server fault.
 * Streaming spans end when the stream does. Handlers run in the span's context, so their spans nest.
 */
export function createTracingInterceptor(tracer: Tracer): Interceptor {
  return (next) => async (request) => {
    const system = rpcSystemOf(request.header);
    const attributes: Attributes = {
      "rpc.system": system,
      "rpc.service": request.service.typeName,
      "rpc.method": request.method.name,
    };
    const parent = propagation.extract(context.active(), request.header, headerGetter);
    const span = tracer.startSpan(
      `${request.service.typeName}/${request.method.name}`,
      { kind: SpanKind.SERVER, attributes },
      parent,
    );
    const active = trace.setSpan(parent, span);
    let response: Awaited<ReturnType<typeof next>>;
    try {
      response = await context.with(active, () => next(request));
    } catch (error) {
      endSpan(span, system, error);
      throw error;
    }
    if (!response.stream) {
      endSpan(span, system, undefined);
      return response;
    }
    const message = observeStreamEnd(
      response.message,
      (error) => endSpan(span, system, error),
      (pull) => context.with(active, pull),
    );
    return { ...response, message };
  };
}
