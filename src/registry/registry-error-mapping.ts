import { RegistryError } from "./registry-error.js";

/** What the client was doing, for error messages. */
export interface RegistryOperation {
  /** "list tags of", "resolve the digest of", "get a token for". */
  readonly action: string;
  readonly registry: string;
  readonly repository: string;
  /** Tag or digest, when the operation has one. */
  readonly reference?: string;
}

/**
 * The one place HTTP outcomes become RegistryError kinds:
 *   401, 403      -> unauthorized
 *   404           -> not-found
 *   429           -> rate-limited (retryAfterMs from Retry-After, else the client's default)
 *   408, 5xx      -> unavailable
 *   other 4xx     -> invalid
 *   no response   -> unavailable (network error, timeout)
 * The registry's own error code and message (`{"errors":[{"code","message"}]}`) are quoted when present.
 */
export function errorFromResponse(
  operation: RegistryOperation,
  status: number,
  body: Uint8Array,
  retryAfterMs?: number,
): RegistryError {
  const what = describe(operation);
  const detail = registryErrorDetail(body);
  const suffix = detail === undefined ? "" : `: ${detail}`;
  const common = { registry: operation.registry, repository: operation.repository, status };
  if (status === 401 || status === 403) {
    return new RegistryError(
      "unauthorized",
      `${what}: the registry refused access (HTTP ${status})${suffix}; check the pull secret's credentials`,
      common,
    );
  }
  if (status === 404) return new RegistryError("not-found", `${what}: not found (HTTP 404)${suffix}`, common);
  if (status === 429) {
    return new RegistryError(
      "rate-limited",
      `${what}: rate limited (HTTP 429)${suffix}${retryAfterMs === undefined ? "" : `; retry after ${retryAfterMs} ms`}`,
      { ...common, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) },
    );
  }
  if (status === 408 || status >= 500) {
    return new RegistryError("unavailable", `${what}: the registry is unavailable (HTTP ${status})${suffix}`, common);
  }
  return new RegistryError("invalid", `${what}: unexpected HTTP ${status}${suffix}`, common);
}

/** A request that got no response at all. */
export function errorFromFailure(operation: RegistryOperation, cause: unknown, timedOut: boolean): RegistryError {
  const reason = timedOut ? "timed out" : cause instanceof Error ? causeMessage(cause) : String(cause);
  return new RegistryError("unavailable", `${describe(operation)}: no response (${reason})`, {
    registry: operation.registry,
    repository: operation.repository,
    cause,
  });
}

/** The local budget or a Retry-After too far away: refused without a request. */
export function rateLimitedLocally(operation: RegistryOperation, retryAfterMs: number, why: string): RegistryError {
  return new RegistryError("rate-limited", `${describe(operation)}: ${why}; retry after ${retryAfterMs} ms`, {
    registry: operation.registry,
    repository: operation.repository,
    retryAfterMs,
  });
}

/** A response the client cannot use (bad JSON, digest mismatch, endless pagination). */
export function invalidResponse(operation: RegistryOperation, problem: string): RegistryError {
  return new RegistryError("invalid", `${describe(operation)}: ${problem}`, {
    registry: operation.registry,
    repository: operation.repository,
  });
}

function describe(operation: RegistryOperation): string {
  const reference = operation.reference === undefined ? "" : `:${operation.reference}`;
  return `${operation.action} ${operation.registry}/${operation.repository}${reference}`;
}

function causeMessage(error: Error): string {
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
}

function registryErrorDetail(body: Uint8Array): string | undefined {
  if (body.length === 0 || body.length > 65_536) return undefined;
  try {
    const parsed = JSON.parse(new TextDecoder().decode(body)) as { errors?: { code?: unknown; message?: unknown }[] };
    const first = parsed.errors?.[0];
    if (first === undefined) return undefined;
    return [first.code, first.message].filter((part) => typeof part === "string" && part !== "").join(" ");
  } catch {
    return undefined;
  }
}
