import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";
import type { Clock } from "../core/ports/clock.js";
import type { CountFailure } from "../core/ports/failure-counter.js";
import { type CoreLogger, silentLogger } from "../core/ports/logger.js";

export interface JwksCacheOptions {
  /** The issuer exactly as its tokens' `iss` says; discovery reads `<issuer>/.well-known/openid-configuration`. */
  readonly issuer: string;
  /** The JWKS address, skipping discovery. Default: discovery's `jwks_uri`. */
  readonly jwksUri?: string;
  readonly clock: Clock;
  /**
   * Least time between two fetches caused by a key id the cache does not know (a rotation), and
   * between retries after a failed fetch. A flood of tokens with unknown key ids costs at most one
   * fetch per interval. Default: 60 000 (60 s).
   */
  readonly minRefreshIntervalMs?: number;
  /** Keys older than this are fetched again on their next use (a failed fetch keeps the old ones). Default: 600 000 (10 min). */
  readonly maxAgeMs?: number;
  /** Time limit of one HTTP request. Default: 5 000. */
  readonly timeoutMs?: number;
  /** Largest discovery or JWKS document accepted. Default: 1 MiB. */
  readonly maxResponseBytes?: number;
  /** Default: the global fetch. */
  readonly fetch?: typeof fetch;
  /** Where a failed refresh (the cached keys stay in use) is reported. Default: silentLogger. */
  readonly logger?: CoreLogger;
  /** Counts a failed refresh (`jwks-refresh`). Default: none. */
  readonly countFailure?: CountFailure;
}

/** The issuer's keys cannot be fetched (network, HTTP status, bad document): not the caller's fault. */
export class JwksUnavailableError extends Error {
  override readonly name = "JwksUnavailableError";
  constructor(
    message: string,
    /** When a new fetch will be attempted. */
    readonly retryAfterMs: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface JwksCache {
  /** For jose's `jwtVerify`: the key for a token's header, fetching the issuer's keys as needed. */
  readonly getKey: JWTVerifyGetKey;
  /** How many HTTP requests (discovery and JWKS) it has made: for metrics and tests. */
  fetches(): number;
}

/**
 * Caches one issuer's signing keys. Fetches them on first use (after discovery, unless the JWKS
 * address is configured), again after `maxAgeMs`, and when a token names a key id it does not know
 * (the issuer rotated its keys), at most once per `minRefreshIntervalMs`: concurrent callers share
 * one fetch, and one arriving within the interval after a fetch gets "no matching key" at once.
 */
export function createJwksCache(options: JwksCacheOptions): JwksCache {
  const clock = options.clock;
  const minRefreshIntervalMs = options.minRefreshIntervalMs ?? 60_000;
  const maxAgeMs = options.maxAgeMs ?? 600_000;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const maxResponseBytes = options.maxResponseBytes ?? 1024 * 1024;
  const doFetch = options.fetch ?? globalThis.fetch;
  const issuer = options.issuer.replace(/\/+$/, "");
  const logger = options.logger ?? silentLogger;

  let jwksUri = options.jwksUri;
  let local: ReturnType<typeof createLocalJWKSet> | undefined;
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let attemptedAt = Number.NEGATIVE_INFINITY;
  let lastFailure: JwksUnavailableError | undefined;
  let pending: Promise<void> | undefined;
  let requests = 0;

  const now = () => clock.now().getTime();

  /** Starts a fetch, or joins the one running. */
  function reload(): Promise<void> {
    pending ??= (async () => {
      attemptedAt = now();
      try {
        const uri = jwksUri ?? (await discover());
        const document = await getJson(uri, "JWKS");
        local = createLocalJWKSet(document as unknown as JSONWebKeySet);
        jwksUri = uri;
        fetchedAt = now();
        lastFailure = undefined;
      } catch (error) {
        // Discover again next time: the address itself may have moved.
        if (options.jwksUri === undefined) jwksUri = undefined;
        lastFailure =
          error instanceof JwksUnavailableError
            ? error
            : new JwksUnavailableError(`the signing keys of ${issuer} are not a valid JWKS`, minRefreshIntervalMs, {
                cause: error,
              });
        throw lastFailure;
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  }

  async function discover(): Promise<string> {
    const document = await getJson(`${issuer}/.well-known/openid-configuration`, "discovery document");
    if (document["issuer"] !== undefined && String(document["issuer"]).replace(/\/+$/, "") !== issuer) {
      throw unavailable(`the discovery document of ${issuer} names another issuer`);
    }
    const uri = document["jwks_uri"];
    if (typeof uri !== "string") throw unavailable(`the discovery document of ${issuer} has no jwks_uri`);
    if (!isAllowedUrl(uri)) throw unavailable(`the jwks_uri of ${issuer} is not https (plain http only on loopback)`);
    return uri;
  }

  async function getJson(url: string, what: string): Promise<Record<string, unknown>> {
    requests++;
    let response: Response;
    try {
      response = await doFetch(url, {
        headers: { accept: "application/json" },
        redirect: "error",
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw unavailable(`cannot fetch the ${what} of ${issuer}: ${messageOf(error)}`, error);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw unavailable(`cannot fetch the ${what} of ${issuer}: HTTP ${response.status}`);
    }
    const text = await readLimited(response, maxResponseBytes);
    if (text === undefined) throw unavailable(`the ${what} of ${issuer} is larger than ${maxResponseBytes} bytes`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw unavailable(`the ${what} of ${issuer} is not JSON`, error);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw unavailable(`the ${what} of ${issuer} is not a JSON object`);
    }
    return parsed as Record<string, unknown>;
  }

  function unavailable(message: string, cause?: unknown): JwksUnavailableError {
    return new JwksUnavailableError(message, minRefreshIntervalMs, cause === undefined ? undefined : { cause });
  }

  /** Fetches unless one was attempted within the interval; then rethrows that attempt's failure, if any. */
  async function reloadUnlessRecent(): Promise<void> {
    if (pending !== undefined) return pending;
    const since = now() - attemptedAt;
    if (since >= minRefreshIntervalMs) return reload();
    if (lastFailure !== undefined) {
      throw new JwksUnavailableError(lastFailure.message, minRefreshIntervalMs - since, { cause: lastFailure });
    }
  }

  const getKey: JWTVerifyGetKey = async (header, token) => {
    if (local === undefined) {
      await reloadUnlessRecent();
    } else if (now() - fetchedAt >= maxAgeMs) {
      // Stale: refresh, but a failed refresh keeps the keys we have (and says so: they may have been revoked).
      await reloadUnlessRecent().catch((error: unknown) => {
        logger.warn({ err: error, issuer }, "refreshing the issuer's signing keys failed; the cached keys stay in use");
        options.countFailure?.("jwks-refresh");
      });
    }
    if (local === undefined) throw unavailable(`the signing keys of ${issuer} are not available yet`);
    try {
      return await local(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      const before = local;
      await reloadUnlessRecent();
      // No fetch happened (one did within the interval): the key is unknown.
      if (local === before) throw error;
      return local!(header, token);
    }
  };

  return { getKey, fetches: () => requests };
}

/** https, or plain http to a loopback address (tests, a local issuer). */
export function isAllowedUrl(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  if (url.username !== "" || url.password !== "") return false;
  if (url.protocol === "https:") return true;
  return url.protocol === "http:" && ["127.0.0.1", "[::1]", "localhost"].includes(url.hostname);
}

async function readLimited(response: Response, limit: number): Promise<string | undefined> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > limit) {
    await response.body?.cancel();
    return undefined;
  }
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
    return `${error.message}${cause}`;
  }
  return String(error);
}
