import { createTokenCache } from "./token-cache.js";
import { createHash } from "node:crypto";
import { type ImageReference, parseImageReference } from "../core/domain/image-reference.js";
import { type Clock, systemClock } from "../core/ports/clock.js";
import { type ConcurrencyLimiter, createConcurrencyLimiter } from "./concurrency-limiter.js";
import type { RegistryCredentials } from "./docker-config.js";
import { nextLink } from "./link-header.js";
import { manifestAccept } from "./manifest-media-types.js";
import { parseRateLimitQuota, parseRetryAfter } from "./rate-limit-headers.js";
import type { RegistryClientOptions } from "./registry-client-options.js";
import { registryBaseUrl } from "./registry-endpoint.js";
import { RegistryError } from "./registry-error.js";
import {
  errorFromFailure,
  errorFromResponse,
  invalidResponse,
  type RegistryOperation,
  rateLimitedLocally,
} from "./registry-error-mapping.js";
import type { RegistryRequestKind } from "./registry-request-event.js";
import { type AuthChallenge, parseWwwAuthenticate } from "./www-authenticate.js";

/** The digest behind a tag, and what kind of manifest it names. */
export interface ManifestDigest {
  /** "sha256:<64 hex>". */
  readonly digest: string;
  /** Content-Type of the manifest (OCI index, OCI manifest, Docker list, Docker v2); "" when not sent. */
  readonly mediaType: string;
}

export interface Manifest extends ManifestDigest {
  /** The manifest bytes as served. */
  readonly body: Uint8Array;
}

export interface CallOptions {
  /** Credentials for this call only (e.g. the workload's pull secret). Default: the client's `credentials`. */
  credentials?: RegistryCredentials;
  signal?: AbortSignal;
}

/**
 * A client of the OCI distribution API, for watching: tag lists and manifest digests. Every failure is a
 * RegistryError (registry-error.ts); kinds are mapped in one place (registry-error-mapping.ts).
 */
export interface RegistryClient {
  /** Every tag of the image's repository, following `Link` pagination (`tag` and `digest` are ignored). */
  listTags(image: ImageReference | string, options?: CallOptions): Promise<string[]>;
  /**
   * The digest behind the image's tag (or "latest"): one `HEAD` reading `Docker-Content-Digest`; a manifest
   * `GET` hashed with sha256 only when the header is missing.
   */
  getDigest(image: ImageReference | string, options?: CallOptions): Promise<ManifestDigest>;
  /** The manifest behind the image's digest or tag, checked against its sha256 digest. */
  getManifest(image: ImageReference | string, options?: CallOptions): Promise<Manifest>;
}

/** What the client learned about one registry host. */
interface RegistryState {
  readonly limiter: ConcurrencyLimiter;
  /** How the registry asked to authenticate last time, so later requests skip the 401 round trip. */
  challenge: AuthChallenge | undefined;
  /** No request before this time (a 429's Retry-After, or a spent budget). */
  blockedUntilMs: number;
  /** Requests left in the registry's announced budget, counted down locally between responses. */
  remaining: number | undefined;
  /** About how long the registry takes to refill one request of its budget (window / limit). */
  refillMs: number;
  /** When a spent budget is assumed to have one request again. */
  budgetRefillAtMs: number | undefined;
}

interface Exchange {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Uint8Array;
}

interface RequestSpec {
  readonly kind: RegistryRequestKind;
  readonly method: "GET" | "HEAD";
  readonly url: URL;
  readonly accept?: string;
  readonly authorization?: string;
}

const digestPattern = /^sha256:[a-f0-9]{64}$/;

export function createRegistryClient(options: RegistryClientOptions = {}): RegistryClient {
  const clock: Clock = options.clock ?? systemClock;
  const doFetch = options.fetch ?? globalThis.fetch;
  const insecure = new Set((options.insecureRegistries ?? []).map((host) => host.toLowerCase()));
  const maxConcurrent = options.maxConcurrentRequests ?? 4;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const tagPageSize = options.tagPageSize ?? 1000;
  const maxTagPages = options.maxTagPages ?? 100;
  const maxRateLimitRetries = options.maxRateLimitRetries ?? 3;
  const maxRetryWaitMs = options.maxRetryWaitMs ?? 60_000;
  const defaultRetryAfterMs = options.defaultRetryAfterMs ?? 1_000;
  const defaultTokenLifetimeMs = options.defaultTokenLifetimeMs ?? 60_000;
  const maxResponseBytes = options.maxResponseBytes ?? 8 * 1024 * 1024;
  const userAgent = options.userAgent ?? "update-manager";

  const states = new Map<string, RegistryState>();
  const tokens = createTokenCache({ now: () => clock.now().getTime(), maxEntries: options.maxCachedTokens ?? 1000 });
  const nowMs = () => clock.now().getTime();
  const sleep = (ms: number, signal: AbortSignal | undefined) =>
    new Promise<void>((resolve, reject) => {
      const cancel = clock.setTimer(ms, () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      });
      const onAbort = () => {
        cancel();
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    });

  const stateOf = (registry: string): RegistryState => {
    let state = states.get(registry);
    if (state === undefined) {
      state = {
        limiter: createConcurrencyLimiter(maxConcurrent),
        challenge: undefined,
        blockedUntilMs: 0,
        remaining: undefined,
        refillMs: 60_000,
        budgetRefillAtMs: undefined,
      };
      states.set(registry, state);
    }
    return state;
  };

  /** One HTTP request: concurrency slot, timeout, bounded body, budget bookkeeping, request event. */
  async function exchange(
    operation: RegistryOperation,
    state: RegistryState,
    spec: RequestSpec,
    signal: AbortSignal | undefined,
  ): Promise<Exchange> {
    return await state.limiter.run(async () => {
      const started = nowMs();
      const controller = new AbortController();
      let timedOut = false;
      const cancelTimer = clock.setTimer(requestTimeoutMs, () => {
        timedOut = true;
        controller.abort(new Error(`timed out after ${requestTimeoutMs} ms`));
      });
      const onAbort = () => controller.abort(signal?.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      if (state.remaining !== undefined) state.remaining--;
      let status = 0;
      try {
        const headers: Record<string, string> = { "user-agent": userAgent };
        if (spec.accept !== undefined) headers.accept = spec.accept;
        if (spec.authorization !== undefined) headers.authorization = spec.authorization;
        const response = await doFetch(spec.url, {
          method: spec.method,
          headers,
          redirect: "follow",
          signal: controller.signal,
        });
        status = response.status;
        const body = await readBody(response, maxResponseBytes, operation);
        noteQuota(state, response.headers);
        return { status, headers: response.headers, body };
      } catch (error) {
        if (error instanceof RegistryError) throw error;
        if (signal?.aborted) throw signal.reason;
        throw errorFromFailure(operation, error, timedOut);
      } finally {
        cancelTimer();
        signal?.removeEventListener("abort", onAbort);
        options.onRequest?.({
          kind: spec.kind,
          registry: operation.registry,
          method: spec.method,
          status,
          durationMs: nowMs() - started,
        });
      }
    });
  }

  /** Keeps the registry's announced budget (`ratelimit-remaining: N;w=SECONDS`, `ratelimit-limit`). */
  function noteQuota(state: RegistryState, headers: Headers): void {
    const quota = parseRateLimitQuota(headers.get("ratelimit-remaining"));
    if (quota === undefined) return;
    const limit = parseRateLimitQuota(headers.get("ratelimit-limit"))?.remaining;
    const windowMs = quota.windowMs ?? 60_000;
    // The window is rolling: one request frees up about every window / limit.
    state.refillMs = limit !== undefined && limit > 0 ? Math.ceil(windowMs / limit) : windowMs;
    state.remaining = quota.remaining;
    state.budgetRefillAtMs = quota.remaining <= 0 ? nowMs() + state.refillMs : undefined;
  }

  /** Waits out a short block (Retry-After, spent budget); refuses locally when it is too long. */
  async function awaitTurn(operation: RegistryOperation, state: RegistryState, signal?: AbortSignal): Promise<void> {
    const retryWaitMs = state.blockedUntilMs - nowMs();
    if (retryWaitMs > maxRetryWaitMs) {
      throw rateLimitedLocally(operation, retryWaitMs, "the registry asked to wait (Retry-After)");
    }
    if (retryWaitMs > 0) await sleep(retryWaitMs, signal);
    if (state.remaining === undefined || state.remaining > 0) return;
    // Spent, by the registry's word or by counting down locally since its last word.
    state.budgetRefillAtMs ??= nowMs() + state.refillMs;
    const budgetWaitMs = state.budgetRefillAtMs - nowMs();
    if (budgetWaitMs > maxRetryWaitMs) {
      throw rateLimitedLocally(operation, budgetWaitMs, "the registry's request budget (ratelimit-remaining) is spent");
    }
    if (budgetWaitMs > 0) await sleep(budgetWaitMs, signal);
    state.remaining = 1;
    state.budgetRefillAtMs = undefined;
  }

  /** Sends a request, sleeping through 429s (per Retry-After, bounded) up to maxRateLimitRetries times. */
  async function withRateLimit(
    operation: RegistryOperation,
    state: RegistryState,
    spec: RequestSpec,
    signal: AbortSignal | undefined,
  ): Promise<Exchange> {
    for (let attempt = 0; ; attempt++) {
      await awaitTurn(operation, state, signal);
      const result = await exchange(operation, state, spec, signal);
      if (result.status !== 429) return result;
      const retryAfterMs =
        parseRetryAfter(result.headers.get("retry-after"), nowMs()) ?? defaultRetryAfterMs * 2 ** attempt;
      state.blockedUntilMs = Math.max(state.blockedUntilMs, nowMs() + retryAfterMs);
      if (attempt >= maxRateLimitRetries || retryAfterMs > maxRetryWaitMs) {
        throw errorFromResponse(operation, 429, result.body, retryAfterMs);
      }
    }
  }

  function credentialsFor(registry: string, call: CallOptions | undefined): RegistryCredentials | undefined {
    return call?.credentials ?? options.credentials?.(registry);
  }

  function tokenKey(registry: string, scope: string, credentials: RegistryCredentials | undefined): string {
    const who =
      credentials === undefined
        ? "anonymous"
        : createHash("sha256").update(`${credentials.username}\0${credentials.password}`).digest("hex");
    return `${registry}\0${scope}\0${who}`;
  }

  /** Fetches a bearer token from the challenge's realm (basic credentials when given, else anonymous). */
  async function fetchToken(
    operation: RegistryOperation,
    state: RegistryState,
    challenge: Extract<AuthChallenge, { scheme: "bearer" }>,
    scope: string,
    credentials: RegistryCredentials | undefined,
    signal: AbortSignal | undefined,
  ): Promise<string> {
    const tokenOperation = { ...operation, action: `get a pull token for` };
    let realm: URL;
    try {
      realm = new URL(challenge.realm);
    } catch {
      throw invalidResponse(tokenOperation, `the token realm "${challenge.realm}" is not a URL`);
    }
    const plainAllowed = insecure.has(operation.registry.toLowerCase());
    if (realm.protocol !== "https:" && !(realm.protocol === "http:" && plainAllowed)) {
      throw invalidResponse(
        tokenOperation,
        `the token realm "${realm.origin}" is not https (plain http only for insecureRegistries)`,
      );
    }
    if (challenge.service !== undefined) realm.searchParams.set("service", challenge.service);
    realm.searchParams.set("scope", scope);
    const authorization =
      credentials === undefined
        ? undefined
        : `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
    const result = await withRateLimit(
      tokenOperation,
      state,
      { kind: "token", method: "GET", url: realm, ...(authorization === undefined ? {} : { authorization }) },
      signal,
    );
    if (result.status !== 200) throw errorFromResponse(tokenOperation, result.status, result.body);
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(new TextDecoder().decode(result.body)) as typeof parsed;
    } catch {
      throw invalidResponse(tokenOperation, "the token server did not answer JSON");
    }
    const token = typeof parsed.token === "string" && parsed.token !== "" ? parsed.token : parsed.access_token;
    if (typeof token !== "string" || token === "") {
      throw invalidResponse(tokenOperation, "the token server's answer has no token");
    }
    const lifetimeMs =
      typeof parsed.expires_in === "number" && parsed.expires_in > 0 ? parsed.expires_in * 1000 : defaultTokenLifetimeMs;
    // Renew a little early so a token never expires in flight.
    const marginMs = Math.min(5_000, lifetimeMs / 10);
    tokens.set(tokenKey(operation.registry, scope, credentials), token, nowMs() + lifetimeMs - marginMs);
    return token;
  }

  /**
   * A registry request with authentication: the scheme learned from earlier challenges is used up front
   * (cached token, or basic); a 401 teaches the challenge and the request is repeated once.
   */
  async function send(
    operation: RegistryOperation,
    kind: RegistryRequestKind,
    method: "GET" | "HEAD",
    url: URL,
    accept: string | undefined,
    call: CallOptions | undefined,
  ): Promise<Exchange> {
    const state = stateOf(operation.registry);
    const credentials = credentialsFor(operation.registry, call);
    const scope = `repository:${operation.repository}:pull`;
    const authorizationFor = async (challenge: AuthChallenge | undefined, refresh: boolean) => {
      if (challenge === undefined) return undefined;
      if (challenge.scheme === "basic") {
        if (credentials === undefined) return undefined;
        return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
      }
      const key = tokenKey(operation.registry, scope, credentials);
      const cached = tokens.get(key);
      if (!refresh && cached !== undefined) return `Bearer ${cached}`;
      tokens.delete(key);
      return `Bearer ${await fetchToken(operation, state, challenge, scope, credentials, call?.signal)}`;
    };

    let authorization = await authorizationFor(state.challenge, false);
    for (let attempt = 0; ; attempt++) {
      const result = await withRateLimit(
        operation,
        state,
        { kind, method, url, ...(accept === undefined ? {} : { accept }), ...(authorization === undefined ? {} : { authorization }) },
        call?.signal,
      );
      if (result.status !== 401 || attempt > 0) return result;
      const challenge = parseWwwAuthenticate(result.headers.get("www-authenticate"));
      if (challenge === undefined) return result;
      state.challenge = challenge;
      if (challenge.scheme === "basic" && credentials === undefined) return result;
      authorization = await authorizationFor(challenge, true);
    }
  }

  function operationFor(image: ImageReference | string, action: string, withReference: boolean): {
    operation: RegistryOperation;
    ref: ImageReference;
    reference: string;
  } {
    let ref: ImageReference;
    try {
      ref = typeof image === "string" ? parseImageReference(image) : image;
    } catch (error) {
      throw new RegistryError("invalid", (error as Error).message, { cause: error });
    }
    const reference = ref.digest ?? ref.tag ?? "latest";
    return {
      ref,
      reference,
      operation: {
        action,
        registry: ref.registry,
        repository: ref.repository,
        ...(withReference ? { reference } : {}),
      },
    };
  }

  const manifestUrl = (ref: ImageReference, reference: string) =>
    new URL(`/v2/${ref.repository}/manifests/${reference}`, registryBaseUrl(ref.registry, insecure));

  async function getManifestFor(
    operation: RegistryOperation,
    ref: ImageReference,
    reference: string,
    call: CallOptions | undefined,
  ): Promise<Manifest> {
    const result = await send(operation, "get-manifest", "GET", manifestUrl(ref, reference), manifestAccept, call);
    if (result.status !== 200) throw errorFromResponse(operation, result.status, result.body);
    const digest = `sha256:${createHash("sha256").update(result.body).digest("hex")}`;
    const header = result.headers.get("docker-content-digest");
    const expected = reference.startsWith("sha256:") ? reference : header?.startsWith("sha256:") ? header : undefined;
    if (expected !== undefined && expected !== digest) {
      throw invalidResponse(operation, `the manifest's sha256 is ${digest}, not ${expected} as the registry said`);
    }
    return { digest, mediaType: mediaTypeOf(result.headers), body: result.body };
  }

  return {
    async listTags(image, call) {
      const { ref, operation } = operationFor(image, "list tags of", false);
      const base = registryBaseUrl(ref.registry, insecure);
      let url: URL | undefined = new URL(`/v2/${ref.repository}/tags/list?n=${tagPageSize}`, base);
      const tags: string[] = [];
      const seen = new Set<string>();
      for (let page = 0; url !== undefined; page++) {
        if (page >= maxTagPages) {
          throw invalidResponse(operation, `the tag list has more than ${maxTagPages} pages (maxTagPages)`);
        }
        const result: Exchange = await send(operation, "list-tags", "GET", url, "application/json", call);
        if (result.status !== 200) throw errorFromResponse(operation, result.status, result.body);
        let parsed: { tags?: unknown };
        try {
          parsed = JSON.parse(new TextDecoder().decode(result.body)) as { tags?: unknown };
        } catch {
          throw invalidResponse(operation, "the tag list is not JSON");
        }
        // A repository without tags may answer `"tags": null`.
        if (parsed.tags !== null && parsed.tags !== undefined && !Array.isArray(parsed.tags)) {
          throw invalidResponse(operation, `the tag list's "tags" is not an array`);
        }
        for (const tag of (parsed.tags ?? []) as unknown[]) {
          if (typeof tag === "string" && !seen.has(tag)) {
            seen.add(tag);
            tags.push(tag);
          }
        }
        const next = nextLink(result.headers.get("link"), url.href);
        if (next !== undefined) {
          if (next.origin !== base.origin) {
            throw invalidResponse(operation, `the next page link leaves the registry (${next.origin})`);
          }
          if (next.href === url.href) throw invalidResponse(operation, "the next page link points at the same page");
        }
        url = next;
      }
      return tags;
    },

    async getDigest(image, call) {
      const { ref, reference, operation } = operationFor(image, "resolve the digest of", true);
      const result = await send(operation, "head-manifest", "HEAD", manifestUrl(ref, reference), manifestAccept, call);
      if (result.status === 200) {
        const header = result.headers.get("docker-content-digest");
        if (header !== null && digestPattern.test(header.trim())) {
          return { digest: header.trim(), mediaType: mediaTypeOf(result.headers) };
        }
      } else if (result.status !== 405) {
        // 405: a registry that does not serve HEAD; fall back to GET below.
        throw errorFromResponse(operation, result.status, result.body);
      }
      const manifest = await getManifestFor(operation, ref, reference, call);
      return { digest: manifest.digest, mediaType: manifest.mediaType };
    },

    async getManifest(image, call) {
      const { ref, reference, operation } = operationFor(image, "get the manifest of", true);
      return await getManifestFor(operation, ref, reference, call);
    },
  };
}

function mediaTypeOf(headers: Headers): string {
  return (headers.get("content-type") ?? "").split(";")[0]!.trim();
}

async function readBody(response: Response, limit: number, operation: RegistryOperation): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? "NaN");
  if (declared > limit) {
    await response.body?.cancel();
    throw invalidResponse(operation, `the response has ${declared} bytes; the limit is ${limit} (maxResponseBytes)`);
  }
  if (response.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    total += chunk.length;
    if (total > limit) {
      // Leaving the loop cancels the stream.
      throw invalidResponse(operation, `the response is larger than ${limit} bytes (maxResponseBytes)`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
