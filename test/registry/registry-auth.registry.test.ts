import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findRegistryCredentials, parseDockerConfigJson } from "../../src/registry/docker-config.js";
import { createRegistryClient } from "../../src/registry/registry-client.js";
import type { RegistryClientOptions } from "../../src/registry/registry-client-options.js";
import { isRegistryError, type RegistryError } from "../../src/registry/registry-error.js";
import { createRequestCounter } from "../../src/registry/registry-request-event.js";
import { createFakeClock } from "../support/fake-clock.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";

async function failure(promise: Promise<unknown>): Promise<RegistryError> {
  try {
    await promise;
  } catch (error) {
    if (isRegistryError(error)) return error;
    throw error;
  }
  throw new Error("expected a RegistryError");
}

function clientFor(registry: TestRegistry, extra: RegistryClientOptions = {}) {
  const counter = createRequestCounter();
  const config = parseDockerConfigJson(JSON.stringify(registry.dockerConfigJson()));
  const client = createRegistryClient({
    insecureRegistries: [registry.host],
    credentials: (host) => findRegistryCredentials(config, host),
    onRequest: counter.onRequest,
    ...extra,
  });
  return { client, counter };
}

describe("registry client with htpasswd (basic) auth", () => {
  let registry: TestRegistry;
  let digest: string;
  beforeAll(async () => {
    registry = await startRegistry({ auth: "htpasswd" });
    digest = await registry.pushImage("team/api", "3.1.0");
    await registry.pushImage("team/api", "3.2.0");
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it("lists tags and resolves digests with the pull secret's credentials", async () => {
    const { client, counter } = clientFor(registry);
    expect((await client.listTags(`${registry.host}/team/api`)).sort()).toEqual(["3.1.0", "3.2.0"]);
    expect((await client.getDigest(`${registry.host}/team/api:3.1.0`)).digest).toBe(digest);
    // The first request learns the Basic challenge (401 + retry); later ones send credentials up front.
    expect(counter.counts()).toEqual({ "head-manifest": 1, "get-manifest": 0, "list-tags": 2, token: 0 });
  });

  it("reports a wrong password as unauthorized", async () => {
    const { client } = clientFor(registry, { credentials: () => ({ username: registry.username, password: "wrong" }) });
    const error = await failure(client.getDigest(`${registry.host}/team/api:3.1.0`));
    expect(error.kind).toBe("unauthorized");
    expect(error.status).toBe(401);
  });

  it("reports missing credentials as unauthorized", async () => {
    const { client } = clientFor(registry, { credentials: () => undefined });
    expect((await failure(client.listTags(`${registry.host}/team/api`))).kind).toBe("unauthorized");
  });
});

describe("registry client with token auth (distribution's bearer flow)", () => {
  let registry: TestRegistry;
  let digest: string;
  beforeAll(async () => {
    registry = await startRegistry({ auth: "token", tokenExpiresInSeconds: 300 });
    digest = await registry.pushImage("team/worker", "0.9.0");
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it("fetches a pull token once and reuses it until it expires", async () => {
    const clock = createFakeClock(new Date());
    const { client, counter } = clientFor(registry, { clock });
    const before = registry.tokenRequests.length;

    expect((await client.getDigest(`${registry.host}/team/worker:0.9.0`)).digest).toBe(digest);
    expect(counter.counts()).toMatchObject({ "head-manifest": 2, token: 1 });
    const request = registry.tokenRequests[before]!;
    expect(request).toMatchObject({ service: "update-manager-test-registry", user: registry.username, status: 200 });
    expect(request.scopes).toEqual(["repository:team/worker:pull"]);

    counter.reset();
    expect((await client.listTags(`${registry.host}/team/worker`))).toEqual(["0.9.0"]);
    expect((await client.getDigest(`${registry.host}/team/worker:0.9.0`)).digest).toBe(digest);
    expect(counter.counts()).toMatchObject({ "head-manifest": 1, "list-tags": 1, token: 0 });

    // Past expires_in the client asks for a new token before the request (no 401 round trip).
    counter.reset();
    await clock.advanceAsync(300_000);
    expect((await client.getDigest(`${registry.host}/team/worker:0.9.0`)).digest).toBe(digest);
    expect(counter.counts()).toMatchObject({ "head-manifest": 1, token: 1 });
  });

  it("reports a wrong password (the token server's 401) as unauthorized", async () => {
    const { client } = clientFor(registry, { credentials: () => ({ username: registry.username, password: "wrong" }) });
    const error = await failure(client.getDigest(`${registry.host}/team/worker:0.9.0`));
    expect(error.kind).toBe("unauthorized");
    expect(error.message).toContain("get a pull token for");
  });

  it("reports an anonymous client without pull rights as unauthorized", async () => {
    const { client } = clientFor(registry, { credentials: () => undefined });
    const error = await failure(client.getDigest(`${registry.host}/team/worker:0.9.0`));
    expect(error.kind).toBe("unauthorized");
    expect(error.status).toBe(401);
  });
});
