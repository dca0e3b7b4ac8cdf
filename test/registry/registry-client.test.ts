import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { manifestAccept, ociImageManifest } from "../../src/registry/manifest-media-types.js";
import { createRegistryClient } from "../../src/registry/registry-client.js";
import type { RegistryClientOptions } from "../../src/registry/registry-client-options.js";
import { isRegistryError, type RegistryError } from "../../src/registry/registry-error.js";
import { createRequestCounter } from "../../src/registry/registry-request-event.js";
import { createFakeClock, type FakeClock } from "../support/fake-clock.js";

const manifestBody = JSON.stringify({ schemaVersion: 2, mediaType: ociImageManifest, layers: [] });
const manifestDigest = `sha256:${createHash("sha256").update(manifestBody).digest("hex")}`;

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
}

type Handler = (request: Seen) => Response | Promise<Response>;

/** A fetch that answers from `handler` and records every request. */
function fakeFetch(handler: Handler): { fetch: typeof globalThis.fetch; seen: Seen[] } {
  const seen: Seen[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    const request = { method: init?.method ?? "GET", url: String(input), headers };
    seen.push(request);
    return await handler(request);
  }) as typeof globalThis.fetch;
  return { fetch, seen };
}

function client(handler: Handler, options: RegistryClientOptions = {}) {
  const clock = options.clock ?? createFakeClock();
  const { fetch, seen } = fakeFetch(handler);
  const counter = createRequestCounter();
  return {
    client: createRegistryClient({ fetch, clock, onRequest: counter.onRequest, ...options }),
    seen,
    counter,
    clock: clock as FakeClock,
  };
}

const headOk = () =>
  new Response(null, { status: 200, headers: { "docker-content-digest": manifestDigest, "content-type": ociImageManifest } });

/** A registry that wants a bearer token "t<N>" from https://auth.example/token. */
function tokenRegistry(expiresIn: number | undefined) {
  let issued = 0;
  const handler: Handler = (request) => {
    if (request.url.startsWith("https://auth.example/token")) {
      issued++;
      return Response.json({ token: `t${issued}`, ...(expiresIn === undefined ? {} : { expires_in: expiresIn }) });
    }
    if (request.headers.authorization !== `Bearer t${issued}` || issued === 0) {
      return new Response(null, {
        status: 401,
        headers: { "www-authenticate": 'Bearer realm="https://auth.example/token",service="reg"' },
      });
    }
    return headOk();
  };
  return handler;
}

async function failure(promise: Promise<unknown>): Promise<RegistryError> {
  try {
    await promise;
  } catch (error) {
    if (isRegistryError(error)) return error;
    throw error;
  }
  throw new Error("expected a RegistryError");
}

describe("createRegistryClient: digests", () => {
  it("HEADs the manifest with every manifest type accepted and reads Docker-Content-Digest", async () => {
    const { client: c, seen, counter } = client(headOk);
    await expect(c.getDigest("registry.example.com/team/web:1.2.3")).resolves.toEqual({
      digest: manifestDigest,
      mediaType: ociImageManifest,
    });
    expect(seen).toEqual([
      expect.objectContaining({ method: "HEAD", url: "https://registry.example.com/v2/team/web/manifests/1.2.3" }),
    ]);
    expect(seen[0]!.headers.accept).toBe(manifestAccept);
    expect(manifestAccept).toContain("application/vnd.oci.image.index.v1+json");
    expect(manifestAccept).toContain("application/vnd.docker.distribution.manifest.list.v2+json");
    expect(counter.counts()).toEqual({ "head-manifest": 1, "get-manifest": 0, "list-tags": 0, token: 0 });
  });

  it("maps Docker Hub names to registry-1.docker.io and library/", async () => {
    const { client: c, seen } = client(headOk);
    await c.getDigest("nginx");
    expect(seen[0]!.url).toBe("https://registry-1.docker.io/v2/library/nginx/manifests/latest");
  });

  it("GETs and hashes the manifest only when the HEAD has no digest header", async () => {
    const { client: c, counter } = client((request) =>
      request.method === "HEAD"
        ? new Response(null, { status: 200 })
        : new Response(manifestBody, { status: 200, headers: { "content-type": ociImageManifest } }),
    );
    await expect(c.getDigest("r.example/a:1")).resolves.toEqual({ digest: manifestDigest, mediaType: ociImageManifest });
    expect(counter.counts()).toMatchObject({ "head-manifest": 1, "get-manifest": 1 });
  });

  it("refuses a manifest whose bytes do not match the digest the registry claims", async () => {
    const { client: c } = client(() =>
      new Response(manifestBody, { status: 200, headers: { "docker-content-digest": `sha256:${"0".repeat(64)}` } }),
    );
    const error = await failure(c.getManifest("r.example/a:1"));
    expect(error.kind).toBe("invalid");
    expect(error.message).toContain(`the manifest's sha256 is ${manifestDigest}`);
  });

  it.each([
    [404, "not-found"],
    [401, "unauthorized"],
    [403, "unauthorized"],
    [500, "unavailable"],
    [503, "unavailable"],
    [400, "invalid"],
  ] as const)("maps HTTP %i to %s", async (status, kind) => {
    const { client: c } = client(() =>
      Response.json({ errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown" }] }, { status }),
    );
    const error = await failure(c.getManifest("r.example/a:1"));
    expect(error.kind).toBe(kind);
    expect(error.status).toBe(status);
    expect(error.message).toContain("r.example/a:1");
    expect(error.message).toContain("MANIFEST_UNKNOWN manifest unknown");
  });

  it("maps a network failure to unavailable", async () => {
    const { client: c } = client(() => {
      throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED 127.0.0.1:9") });
    });
    const error = await failure(c.getDigest("r.example/a:1"));
    expect(error.kind).toBe("unavailable");
    expect(error.message).toContain("ECONNREFUSED");
  });

  it("times out a request that never answers", async () => {
    const clock = createFakeClock();
    // Like undici: the promise settles only when the request's signal aborts it.
    const hanging = ((_input: string | URL | Request, init?: RequestInit) =>
      new Promise<Response>((_, reject) => {
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
      })) as typeof globalThis.fetch;
    const c = createRegistryClient({ fetch: hanging, clock, requestTimeoutMs: 5_000 });
    const result = failure(c.getDigest("r.example/a:1"));
    await clock.advanceAsync(5_000);
    const error = await result;
    expect(error.kind).toBe("unavailable");
    expect(error.message).toContain("timed out");
  });
});

describe("createRegistryClient: authentication", () => {
  it("runs the bearer flow once, then reuses the token until it expires", async () => {
    const { client: c, seen, counter, clock } = client(tokenRegistry(300));
    await c.getDigest("r.example/team/web:1");
    const tokenRequest = new URL(seen.find((s) => s.url.startsWith("https://auth.example"))!.url);
    expect(tokenRequest.searchParams.get("service")).toBe("reg");
    expect(tokenRequest.searchParams.get("scope")).toBe("repository:team/web:pull");
    expect(counter.counts()).toMatchObject({ "head-manifest": 2, token: 1 });

    counter.reset();
    await c.getDigest("r.example/team/web:2");
    expect(counter.counts()).toMatchObject({ "head-manifest": 1, token: 0 });

    counter.reset();
    await clock.advanceAsync(300_000);
    await c.getDigest("r.example/team/web:3");
    // The challenge is remembered: the new token is fetched before the HEAD, with no 401 round trip.
    expect(counter.counts()).toMatchObject({ "head-manifest": 1, token: 1 });
  });

  it("keeps a token 60 s when the token server gives no expires_in", async () => {
    const { client: c, counter, clock } = client(tokenRegistry(undefined));
    await c.getDigest("r.example/a:1");
    counter.reset();
    await clock.advanceAsync(50_000);
    await c.getDigest("r.example/a:1");
    expect(counter.counts().token).toBe(0);
    await clock.advanceAsync(10_000);
    await c.getDigest("r.example/a:1");
    expect(counter.counts().token).toBe(1);
  });

  it("sends the credentials to the token server and keeps tokens apart per credentials", async () => {
    const { client: c, seen } = client(tokenRegistry(300));
    await c.getDigest("r.example/a:1", { credentials: { username: "ci", password: "pw" } });
    const tokenRequest = seen.find((s) => s.url.startsWith("https://auth.example"))!;
    expect(tokenRequest.headers.authorization).toBe(`Basic ${Buffer.from("ci:pw").toString("base64")}`);
    await c.getDigest("r.example/a:1");
    expect(seen.filter((s) => s.url.startsWith("https://auth.example"))).toHaveLength(2);
  });

  it("answers basic challenges with the configured credentials, and is unauthorized without", async () => {
    const expected = `Basic ${Buffer.from("ci:pw").toString("base64")}`;
    const handler: Handler = (request) =>
      request.headers.authorization === expected
        ? headOk()
        : new Response(null, { status: 401, headers: { "www-authenticate": 'Basic realm="r"' } });
    const withCredentials = client(handler, { credentials: (host) => (host === "r.example" ? { username: "ci", password: "pw" } : undefined) });
    await expect(withCredentials.client.getDigest("r.example/a:1")).resolves.toMatchObject({ digest: manifestDigest });
    await withCredentials.client.getDigest("r.example/a:2");
    expect(withCredentials.counter.counts()["head-manifest"]).toBe(3);

    const anonymous = client(handler);
    expect((await failure(anonymous.client.getDigest("r.example/a:1"))).kind).toBe("unauthorized");
  });

  it("refuses a plain-http token realm for an https registry", async () => {
    const { client: c } = client(() =>
      new Response(null, { status: 401, headers: { "www-authenticate": 'Bearer realm="http://auth.example/token"' } }),
    );
    const error = await failure(c.getDigest("r.example/a:1"));
    expect(error.kind).toBe("invalid");
    expect(error.message).toContain("is not https");
  });
});

describe("createRegistryClient: rate limits", () => {
  it("waits out Retry-After (seconds) and recovers", async () => {
    let calls = 0;
    const { client: c, clock, counter } = client(() =>
      ++calls === 1 ? new Response(null, { status: 429, headers: { "retry-after": "3" } }) : headOk(),
    );
    let done = false;
    const result = c.getDigest("r.example/a:1").then((value) => {
      done = true;
      return value;
    });
    await clock.advanceAsync(2_999);
    expect(done).toBe(false);
    await clock.advanceAsync(1);
    await expect(result).resolves.toMatchObject({ digest: manifestDigest });
    expect(counter.rateLimited()).toBe(1);
  });

  it("reads Retry-After as an HTTP date", async () => {
    let calls = 0;
    const clock = createFakeClock(new Date("2025-01-01T00:00:00Z"));
    const { client: c } = client(
      () =>
        ++calls === 1
          ? new Response(null, { status: 429, headers: { "retry-after": "Wed, 01 Jan 2025 00:00:10 GMT" } })
          : headOk(),
      { clock },
    );
    const result = c.getDigest("r.example/a:1");
    await clock.advanceAsync(10_000);
    await expect(result).resolves.toMatchObject({ digest: manifestDigest });
    expect(calls).toBe(2);
  });

  it("fails fast with retryAfterMs when Retry-After is beyond maxRetryWaitMs, and holds back later calls", async () => {
    const { client: c, counter } = client(() => new Response(null, { status: 429, headers: { "retry-after": "3600" } }));
    const error = await failure(c.getDigest("r.example/a:1"));
    expect(error.kind).toBe("rate-limited");
    expect(error.retryAfterMs).toBe(3_600_000);
    const second = await failure(c.getDigest("r.example/a:2"));
    expect(second.kind).toBe("rate-limited");
    expect(counter.total()).toBe(1);
  });

  it("gives up after maxRateLimitRetries", async () => {
    const { client: c, clock, counter } = client(() => new Response(null, { status: 429, headers: { "retry-after": "1" } }), {
      maxRateLimitRetries: 2,
    });
    const result = failure(c.getDigest("r.example/a:1"));
    await clock.advanceAsync(5_000);
    expect((await result).kind).toBe("rate-limited");
    expect(counter.total()).toBe(3);
  });

  it("stops sending when the announced budget is spent", async () => {
    const { client: c, counter } = client(() =>
      new Response(null, {
        status: 200,
        headers: {
          "docker-content-digest": manifestDigest,
          "ratelimit-limit": "100;w=21600",
          "ratelimit-remaining": "0;w=21600",
        },
      }),
    );
    await c.getDigest("docker.io/library/nginx:1");
    const error = await failure(c.getDigest("docker.io/library/nginx:2"));
    expect(error.kind).toBe("rate-limited");
    // One request refills about every window / limit = 216 s.
    expect(error.retryAfterMs).toBe(216_000);
    expect(counter.total()).toBe(1);
  });

  it("counts the budget down locally and waits about window / limit once it is spent", async () => {
    let calls = 0;
    const { client: c, clock, counter } = client(() =>
      ++calls === 1
        ? new Response(null, {
            status: 200,
            headers: {
              "docker-content-digest": manifestDigest,
              "ratelimit-limit": "100;w=100",
              "ratelimit-remaining": "1;w=100",
            },
          })
        : headOk(),
    );
    await c.getDigest("r.example/a:1");
    await c.getDigest("r.example/a:2");
    let done = false;
    const third = c.getDigest("r.example/a:3").then(() => {
      done = true;
    });
    await clock.advanceAsync(999);
    expect(done).toBe(false);
    expect(counter.total()).toBe(2);
    await clock.advanceAsync(1);
    await third;
    expect(counter.total()).toBe(3);
  });

  it("keeps at most maxConcurrentRequests in flight per registry", async () => {
    let inFlight = 0;
    let peak = 0;
    const releases: (() => void)[] = [];
    const { client: c } = client(
      async () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise<void>((resolve) => releases.push(resolve));
        inFlight--;
        return headOk();
      },
      { maxConcurrentRequests: 2 },
    );
    const all = Promise.all(Array.from({ length: 7 }, (_, i) => c.getDigest(`r.example/a:${i}`)));
    let settled = false;
    void all.then(() => {
      settled = true;
    });
    for (let round = 0; round < 50 && !settled; round++) {
      await new Promise((resolve) => setImmediate(resolve));
      for (const release of releases.splice(0)) release();
    }
    await all;
    expect(peak).toBe(2);
  });
});

describe("createRegistryClient: tags", () => {
  it("follows Link pagination with the page size", async () => {
    const pages: Record<string, { tags: string[]; next?: string }> = {
      "": { tags: ["a", "b"], next: "</v2/team/web/tags/list?n=2&last=b>; rel=\"next\"" },
      b: { tags: ["c", "d"], next: "</v2/team/web/tags/list?n=2&last=d>; rel=\"next\"" },
      d: { tags: ["e"] },
    };
    const { client: c, seen } = client((request) => {
      const page = pages[new URL(request.url).searchParams.get("last") ?? ""]!;
      return Response.json({ name: "team/web", tags: page.tags }, { headers: page.next ? { link: page.next } : {} });
    }, { tagPageSize: 2 });
    await expect(c.listTags("r.example/team/web")).resolves.toEqual(["a", "b", "c", "d", "e"]);
    expect(seen.map((s) => s.url)).toEqual([
      "https://r.example/v2/team/web/tags/list?n=2",
      "https://r.example/v2/team/web/tags/list?n=2&last=b",
      "https://r.example/v2/team/web/tags/list?n=2&last=d",
    ]);
  });

  it("refuses a next link to another origin and endless pagination", async () => {
    const away = client(() => Response.json({ tags: ["a"] }, { headers: { link: '<https://evil.example/x>; rel="next"' } }));
    expect((await failure(away.client.listTags("r.example/a"))).message).toContain("leaves the registry");

    let page = 0;
    const endless = client(
      () => Response.json({ tags: [`t${page}`] }, { headers: { link: `</v2/a/tags/list?last=t${page++}>; rel="next"` } }),
      { maxTagPages: 5 },
    );
    expect((await failure(endless.client.listTags("r.example/a"))).message).toContain("more than 5 pages");
  });

  it("accepts a repository without tags (tags: null)", async () => {
    const { client: c } = client(() => Response.json({ name: "a", tags: null }));
    await expect(c.listTags("r.example/a")).resolves.toEqual([]);
  });

  it("uses plain http only for insecure registries", async () => {
    const { client: c, seen } = client(() => Response.json({ tags: [] }), { insecureRegistries: ["127.0.0.1:5000"] });
    await c.listTags("127.0.0.1:5000/a");
    await c.listTags("registry.example.com:5000/a");
    expect(seen.map((s) => new URL(s.url).protocol)).toEqual(["http:", "https:"]);
  });

  it("refuses an invalid image reference as invalid", async () => {
    const { client: c } = client(headOk);
    expect((await failure(c.listTags("UPPER/case"))).kind).toBe("invalid");
  });
});
