import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ociImageIndex, ociImageManifest } from "../../src/registry/manifest-media-types.js";
import { createRegistryClient } from "../../src/registry/registry-client.js";
import { isRegistryError, type RegistryError } from "../../src/registry/registry-error.js";
import { createRequestCounter } from "../../src/registry/registry-request-event.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { type FaultProxy, startFaultProxy } from "./fault-proxy.js";

const run = promisify(execFile);

async function failure(promise: Promise<unknown>): Promise<RegistryError> {
  try {
    await promise;
  } catch (error) {
    if (isRegistryError(error)) return error;
    throw error;
  }
  throw new Error("expected a RegistryError");
}

/** The tags skopeo lists: a reference independent of the client under test. */
async function skopeoTags(host: string, repo: string): Promise<string[]> {
  const { stdout } = await run("skopeo", ["list-tags", "--tls-verify=false", `docker://${host}/${repo}`], { timeout: 60_000 });
  return (JSON.parse(stdout) as { Tags: string[] }).Tags;
}

describe("registry client against distribution 2.8 (no auth)", () => {
  let registry: TestRegistry;
  const proxies: FaultProxy[] = [];
  const tagCount = 12;

  beforeAll(async () => {
    registry = await startRegistry();
    for (let i = 0; i < tagCount; i++) await registry.pushImage("team/web", `1.0.${i}`);
  });
  afterAll(async () => {
    for (const proxy of proxies) await proxy.close();
    await registry?.stop();
  });

  const clientFor = (host: string, extra: Parameters<typeof createRegistryClient>[0] = {}) => {
    const counter = createRequestCounter();
    const client = createRegistryClient({ insecureRegistries: [host], onRequest: counter.onRequest, ...extra });
    return { client, counter };
  };
  const proxy = async (options: { paginateTags?: boolean; stripDigestHeader?: boolean } = {}) => {
    const started = await startFaultProxy({ upstream: registry.url, ...options });
    proxies.push(started);
    return started;
  };

  it("resolves a tag's digest with one HEAD, equal to skopeo's", async () => {
    const { client, counter } = clientFor(registry.host);
    const result = await client.getDigest(`${registry.host}/team/web:1.0.3`);
    expect(result).toEqual({ digest: await registry.skopeoDigest("team/web", "1.0.3"), mediaType: ociImageManifest });
    expect(counter.counts()).toEqual({ "head-manifest": 1, "get-manifest": 0, "list-tags": 0, token: 0 });
  });

  it("resolves a multi-platform OCI index to the index digest, equal to skopeo's", async () => {
    const pushed = await registry.pushImage("team/multi", "2.0.0", { index: true });
    const { client } = clientFor(registry.host);
    const result = await client.getDigest(`${registry.host}/team/multi:2.0.0`);
    expect(result.mediaType).toBe(ociImageIndex);
    expect(result.digest).toBe(pushed);
    expect(result.digest).toBe(await registry.skopeoDigest("team/multi", "2.0.0"));
  });

  it("sees a new digest when a mutable tag is pushed again", async () => {
    const { client } = clientFor(registry.host);
    const first = await registry.pushImage("team/mutable", "latest", { variant: "build-1" });
    expect((await client.getDigest(`${registry.host}/team/mutable:latest`)).digest).toBe(first);
    const second = await registry.pushImage("team/mutable", "latest", { variant: "build-2" });
    expect(second).not.toBe(first);
    expect((await client.getDigest(`${registry.host}/team/mutable:latest`)).digest).toBe(second);
    expect(second).toBe(await registry.skopeoDigest("team/mutable", "latest"));
  });

  it("lists every tag, as skopeo does (2.8 answers in one page: no Link)", async () => {
    const { client, counter } = clientFor(registry.host, { tagPageSize: 5 });
    const tags = await client.listTags(`${registry.host}/team/web`);
    expect(tags).toHaveLength(tagCount);
    expect([...tags].sort()).toEqual([...(await skopeoTags(registry.host, "team/web"))].sort());
    expect(counter.counts()["list-tags"]).toBe(1);
  });

  it("follows Link pagination page by page when the registry paginates (more tags than the page size)", async () => {
    const paginating = await proxy({ paginateTags: true });
    const { client, counter } = clientFor(paginating.host, { tagPageSize: 5 });
    const tags = await client.listTags(`${paginating.host}/team/web`);
    expect([...tags].sort()).toEqual([...(await skopeoTags(registry.host, "team/web"))].sort());
    expect(counter.counts()["list-tags"]).toBe(Math.ceil(tagCount / 5));
    // Pages follow the spec's lexical order: each next link starts after the previous page's last tag.
    const sorted = [...tags].sort();
    expect(paginating.requests.map((r) => r.line)).toEqual([
      "GET /v2/team/web/tags/list?n=5",
      `GET /v2/team/web/tags/list?n=5&last=${sorted[4]}`,
      `GET /v2/team/web/tags/list?n=5&last=${sorted[9]}`,
    ]);
  });

  it("falls back to GET + sha256 when the HEAD has no Docker-Content-Digest", async () => {
    const stripping = await proxy({ stripDigestHeader: true });
    const { client, counter } = clientFor(stripping.host);
    const result = await client.getDigest(`${stripping.host}/team/web:1.0.7`);
    expect(result.digest).toBe(await registry.skopeoDigest("team/web", "1.0.7"));
    expect(counter.counts()).toMatchObject({ "head-manifest": 1, "get-manifest": 1 });
  });

  it("reports unknown tags and repositories as not-found", async () => {
    const { client } = clientFor(registry.host);
    const tag = await failure(client.getDigest(`${registry.host}/team/web:9.9.9`));
    expect(tag.kind).toBe("not-found");
    const repo = await failure(client.listTags(`${registry.host}/team/nothing`));
    expect(repo.kind).toBe("not-found");
    expect(repo.message).toContain("NAME_UNKNOWN");
  });

  it("backs off per Retry-After on 429 and recovers", async () => {
    const limited = await proxy();
    limited.inject({ count: 2, status: 429, headers: { "retry-after": "1" }, pathIncludes: "/manifests/" });
    const { client, counter } = clientFor(limited.host);
    const started = Date.now();
    const result = await client.getDigest(`${limited.host}/team/web:1.0.1`);
    expect(result.digest).toBe(await registry.skopeoDigest("team/web", "1.0.1"));
    expect(counter.rateLimited()).toBe(2);
    expect(counter.counts()["head-manifest"]).toBe(3);
    // Each retry came at least a second after the 429 before it.
    const times = limited.requests.map((r) => r.atMs);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(950);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(950);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("fails fast with retryAfterMs when the registry asks for a longer pause than maxRetryWaitMs", async () => {
    const limited = await proxy();
    limited.inject({ count: 1, status: 429, headers: { "retry-after": "120" } });
    const { client } = clientFor(limited.host, { maxRetryWaitMs: 5_000 });
    const error = await failure(client.getDigest(`${limited.host}/team/web:1.0.1`));
    expect(error.kind).toBe("rate-limited");
    expect(error.retryAfterMs).toBe(120_000);
    expect(limited.requests).toHaveLength(1);
  });

  it("keeps the per-registry concurrency limit under a burst of checks", async () => {
    const counting = await proxy();
    const { client } = clientFor(counting.host, { maxConcurrentRequests: 2 });
    const digests = await Promise.all(
      Array.from({ length: tagCount }, (_, i) => client.getDigest(`${counting.host}/team/web:1.0.${i}`)),
    );
    expect(new Set(digests.map((d) => d.digest)).size).toBe(tagCount);
    expect(counting.requests).toHaveLength(tagCount);
    expect(counting.peakInFlight()).toBeLessThanOrEqual(2);
  });
});
