import type { Clock } from "../core/ports/clock.js";
import type { RegistryCredentials } from "./docker-config.js";
import type { RegistryRequestEvent } from "./registry-request-event.js";

export interface RegistryClientOptions {
  /**
   * Credentials for a registry host ("docker.io", "ghcr.io", "registry:5000"); undefined means anonymous.
   * Build it from pull secrets with `parseDockerConfigJson` + `findRegistryCredentials`. A call's own
   * `credentials` wins over this. Default: anonymous everywhere.
   */
  credentials?: (registry: string) => RegistryCredentials | undefined;
  /**
   * Registry hosts ("127.0.0.1:5000", "registry.local:5000") reached over plain http instead of https, for
   * loopback and in-cluster registries without TLS. Their token realms may be plain http too. Default: none.
   */
  insecureRegistries?: readonly string[];
  /** Requests in flight at once per registry host (token requests included). Default: 4. */
  maxConcurrentRequests?: number;
  /** Bound on one request, response body included. Default: 30 000 ms. */
  requestTimeoutMs?: number;
  /** `n` of `GET /v2/<repo>/tags/list?n=`: tags per page. Default: 1000. */
  tagPageSize?: number;
  /** Pages of tags followed at most (`Link: <...>; rel="next"`); more is an `invalid` error. Default: 100. */
  maxTagPages?: number;
  /** Retries of one request after 429 responses. Default: 3. */
  maxRateLimitRetries?: number;
  /**
   * The longest wait the client sleeps through after a 429 (Retry-After) or a spent budget; a longer one fails
   * fast with `rate-limited` and its `retryAfterMs`, for the watcher to reschedule. Default: 60 000 ms.
   */
  maxRetryWaitMs?: number;
  /** Wait after a 429 without a readable Retry-After; doubled per retry. Default: 1 000 ms. */
  defaultRetryAfterMs?: number;
  /** Token lifetime when the token server's response has no `expires_in`. Default: 60 s (the spec's default). */
  defaultTokenLifetimeMs?: number;
  /** Bearer tokens kept (expired ones are evicted as new ones arrive); past it the oldest goes. Default: 1000. */
  maxCachedTokens?: number;
  /** Largest response body read (tag lists, manifests); larger is an `invalid` error. Default: 8 MiB. */
  maxResponseBytes?: number;
  /** Called after every HTTP request, e.g. `createRequestCounter().onRequest`. Default: none. */
  onRequest?: (event: RegistryRequestEvent) => void;
  /** Time, for token expiry, Retry-After and timeouts. Default: the system clock. */
  clock?: Clock;
  /** The fetch implementation. Default: `globalThis.fetch` (undici in Node 20). */
  fetch?: typeof globalThis.fetch;
  /** User-Agent header. Default: "update-manager". */
  userAgent?: string;
}
