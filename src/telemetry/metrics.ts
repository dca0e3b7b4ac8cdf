import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";
import { observeStreamEnd } from "./observe-stream.js";

export type { Registry } from "prom-client";

/**
 * Creates the registry the admin port serves on /metrics, with the default process metrics (CPU, memory, event
 * loop lag, GC, handles) named with prom-client's standard `process_`/`nodejs_` prefixes.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** The gRPC name of a code, as the `code` label shows it: "OK", "NOT_FOUND", ... */
function grpcCodeName(code: Code | undefined): string {
  if (code === undefined) return "OK";
  return Code[code].replace(/[A-Z]/g, (letter, index: number) => (index === 0 ? "" : "_") + letter).toUpperCase();
}

/**
 * Counts and times every RPC on the server, by `service` (e.g. "updatemanager.v1.UpdateService"), `method`
 * (e.g. "ListTargets") and `code` (the gRPC status name, "OK" on success):
 * - `update_manager_rpc_requests_total`, a counter of finished calls,
 * - `update_manager_rpc_duration_seconds`, a histogram of call durations; a stream counts until it ends.
 * Registers both in `registry`, so call it once per registry.
 */
export function createMetricsInterceptor(registry: Registry, now: () => number = () => performance.now()): Interceptor {
  const labelNames = ["service", "method", "code"] as const;
  const requests = new Counter({
    name: "update_manager_rpc_requests_total",
    help: "RPCs finished on the API port, by service, method and gRPC status code.",
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "update_manager_rpc_duration_seconds",
    help: "How long RPCs on the API port took, until the end of the stream for streaming calls.",
    labelNames,
    // Unary calls take milliseconds; WatchUpdate streams last as long as an update (minutes).
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
    registers: [registry],
  });

  return (next) => async (request) => {
    const started = now();
    const labels = { service: request.service.typeName, method: request.method.name };
    let done = false;
    const finish = (error: unknown) => {
      if (done) return;
      done = true;
      const code = grpcCodeName(error === undefined ? undefined : ConnectError.from(error, Code.Internal).code);
      requests.inc({ ...labels, code });
      duration.observe({ ...labels, code }, (now() - started) / 1000);
    };
    let response: Awaited<ReturnType<typeof next>>;
    try {
      response = await next(request);
    } catch (error) {
      finish(error);
      throw error;
    }
    if (!response.stream) {
      finish(undefined);
      return response;
    }
    return { ...response, message: observeStreamEnd(response.message, finish) };
  };
}
