import type { AlertSample } from "../core/domain/alert-gate-policy.js";
import type { AlertQuery } from "../core/ports/alert-query.js";

export interface PrometheusAlertQueryOptions {
  /** The base URL (`http://prometheus.monitoring:9090`); the query goes to `<url>/api/v1/query`. */
  readonly url: string;
  /** How long one query may take (sent to Prometheus as `timeout` too). Default: 5000 ms. */
  readonly timeoutMs?: number;
  /** Extra request headers (e.g. a bearer token read from a mounted file). Default: none. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * The alert gate's queries over Prometheus's HTTP API (an instant query, `GET /api/v1/query`). Any failure rejects
 * with an Error saying what failed: unreachable, no answer in time, an HTTP error, `status: "error"` (a bad
 * expression), a result that is not a vector. A scalar or string result is an error too: it cannot be "nothing".
 */
export function createPrometheusAlertQuery(options: PrometheusAlertQueryOptions): AlertQuery {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const base = options.url.replace(/\/+$/, "");
  const where = `Prometheus at ${new URL(base).host}`;
  return {
    async query(expression) {
      const url = `${base}/api/v1/query?${new URLSearchParams({ query: expression, timeout: `${Math.max(1, Math.floor(timeoutMs / 1000))}s` })}`;
      let response: Response;
      let text: string;
      try {
        response = await fetch(url, {
          headers: { accept: "application/json", "user-agent": "update-manager", ...options.headers },
          redirect: "error",
          signal: AbortSignal.timeout(timeoutMs),
        });
        text = await response.text();
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause?.code;
        const timedOut = (error as { name?: string }).name === "TimeoutError";
        throw new Error(`${where}: ${timedOut ? `no answer within ${timeoutMs} ms` : `unreachable (${cause ?? (error as Error).message})`}`);
      }
      let body: { status?: unknown; error?: unknown; errorType?: unknown; data?: { resultType?: unknown; result?: unknown } } | undefined;
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        body = undefined;
      }
      if (body?.status === "error") throw new Error(`${where}: the query failed (${String(body.errorType ?? "error")}): ${String(body.error ?? "")}`);
      if (!response.ok) throw new Error(`${where} answered ${response.status}${text === "" ? "" : `: ${text.slice(0, 200)}`}`);
      if (body?.status !== "success" || body.data === undefined) throw new Error(`${where}: not a Prometheus query answer`);
      const { resultType, result } = body.data;
      if (resultType !== "vector" || !Array.isArray(result)) {
        throw new Error(`${where}: the query returns a ${String(resultType)}, not an instant vector; write it so that it returns the firing alerts`);
      }
      return result.map((sample: { metric?: Record<string, string> }): AlertSample => ({ ...(sample.metric ?? {}) }));
    },
  };
}
