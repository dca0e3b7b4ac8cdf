import { mkdtempSync, writeFileSync } from "node:fs";
import * as http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/ports/logger.js";
import { signBody } from "../../src/notify/webhook-signature.js";
import { createApiServer, type ApiServer } from "../../src/server/api-server.js";
import { createHttp1Router } from "../../src/server/http1-router.js";
import { createRegistryWebhookHandler, type WebhookOutcome } from "../../src/webhooks/registry-webhook-handler.js";
import type { WebhookEndpointConfig } from "../../src/webhooks/webhooks-config.js";
import { createFakeClock } from "../support/fake-clock.js";
import { fixtureText } from "./fixtures.js";

const registryAuthorization = "Bearer 6f1c0c2e-registry-token";
const githubSecret = "gh-hmac-key";
const hubToken = "b9d2a7f0c4e1";

interface Server {
  readonly url: string;
  readonly rechecked: string[];
  readonly outcomes: WebhookOutcome[];
  readonly clock: ReturnType<typeof createFakeClock>;
}

const servers: ApiServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(options: { rateLimitPerMinute?: number; maxBodyBytes?: number; watched?: readonly string[] } = {}): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), "webhooks-"));
  const secret = (name: string, value: string) => {
    const path = join(dir, name);
    writeFileSync(path, `${value}\n`);
    return path;
  };
  const endpoints: WebhookEndpointConfig[] = [
    { name: "registry", type: "distribution", secretFile: secret("registry", registryAuthorization) },
    { name: "harbor", type: "harbor", secretFile: secret("harbor", "Basic aGFyYm9yOnNlY3JldA==") },
    { name: "github", type: "github", secretFile: secret("github", githubSecret) },
    { name: "hub", type: "dockerhub", secretFile: secret("hub", hubToken) },
  ];
  const rechecked: string[] = [];
  const outcomes: WebhookOutcome[] = [];
  const clock = createFakeClock();
  const handler = createRegistryWebhookHandler({
    config: {
      source: "test",
      endpoints,
      rateLimitPerMinute: options.rateLimitPerMinute ?? 60,
      maxBodyBytes: options.maxBodyBytes ?? 64 * 1024,
    },
    recheck(repository) {
      rechecked.push(repository);
      return { workloads: (options.watched ?? []).includes(repository) ? 1 : 0 };
    },
    clock,
    logger: silentLogger,
    onRequest: (_endpoint, outcome) => outcomes.push(outcome),
  });
  // The API server itself, so that HTTP/1.1 and HTTP/2 reach the handler as they do in production.
  const server = createApiServer({ routes: () => {}, host: "127.0.0.1", port: 0, http1Fallback: createHttp1Router([handler]) });
  servers.push(server);
  await server.listen();
  return { url: `http://127.0.0.1:${server.address().port}`, rechecked, outcomes, clock };
}

function post(url: string, body: string, headers: Record<string, string> = {}) {
  return fetch(url, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
}

describe("registry webhooks: each sender proves itself with its own secret", () => {
  it("re-checks the repository of a distribution registry's push sent with the configured Authorization", async () => {
    const server = await start({ watched: ["127.0.0.1:5000/team/web"] });
    const response = await post(`${server.url}/webhooks/registry`, fixtureText("distribution-push.json"), {
      "content-type": "application/vnd.docker.distribution.events.v1+json",
      authorization: registryAuthorization,
    });

    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ status: "accepted" });
    expect(server.rechecked).toEqual(["127.0.0.1:5000/team/web"]);
  });

  it("refuses a missing or wrong Authorization with 401 and re-checks nothing", async () => {
    const server = await start();
    const body = fixtureText("distribution-push.json");
    const missing = await post(`${server.url}/webhooks/registry`, body);
    const wrong = await post(`${server.url}/webhooks/registry`, body, { authorization: `${registryAuthorization}x` });
    const otherEndpoints = await post(`${server.url}/webhooks/harbor`, fixtureText("harbor-push-artifact.json"), {
      authorization: registryAuthorization,
    });

    expect([missing.status, wrong.status, otherEndpoints.status]).toEqual([401, 401, 401]);
    expect(((await wrong.json()) as { error: string }).error).toBe("UNAUTHENTICATED");
    expect(server.rechecked).toEqual([]);
  });

  it("accepts Harbor's PUSH_ARTIFACT with its auth header", async () => {
    const server = await start();
    const response = await post(`${server.url}/webhooks/harbor`, fixtureText("harbor-push-artifact.json"), {
      authorization: "Basic aGFyYm9yOnNlY3JldA==",
    });
    expect(response.status).toBe(202);
    expect(server.rechecked).toEqual(["harbor.example.com/library/nginx"]);
  });

  it("accepts a GitHub package event signed with X-Hub-Signature-256, and refuses it unsigned or signed over other bytes", async () => {
    const server = await start();
    const body = fixtureText("github-package-published.json");
    const headers = { "x-github-event": "package" };
    const signed = await post(`${server.url}/webhooks/github`, body, { ...headers, "x-hub-signature-256": signBody(githubSecret, body) });
    const unsigned = await post(`${server.url}/webhooks/github`, body, headers);
    const tampered = await post(`${server.url}/webhooks/github`, body.replace('"web"', '"api"'), {
      ...headers,
      "x-hub-signature-256": signBody(githubSecret, body),
    });
    const otherKey = await post(`${server.url}/webhooks/github`, body, { ...headers, "x-hub-signature-256": signBody("guess", body) });

    expect([signed.status, unsigned.status, tampered.status, otherKey.status]).toEqual([202, 401, 401, 401]);
    expect(server.rechecked).toEqual(["ghcr.io/acme/web"]);
  });

  it("accepts Docker Hub's push only with the token in the path", async () => {
    const server = await start();
    const body = fixtureText("docker-hub-push.json");
    const right = await post(`${server.url}/webhooks/hub/${hubToken}`, body);
    const wrong = await post(`${server.url}/webhooks/hub/${hubToken.slice(0, -1)}`, body);
    const none = await post(`${server.url}/webhooks/hub`, body);

    expect([right.status, wrong.status, none.status]).toEqual([202, 401, 404]);
    expect(server.rechecked).toEqual(["docker.io/acme/web"]);
  });

  it("answers a repository no workload uses like a watched one: 202, telling nothing about the cluster", async () => {
    const server = await start({ watched: [] });
    const response = await post(`${server.url}/webhooks/hub/${hubToken}`, fixtureText("docker-hub-push.json"));
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ status: "accepted" });
  });

  it("reaches the endpoints over HTTP/2 too (the API port multiplexes both)", async () => {
    const server = await start();
    const session = http2.connect(server.url);
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const stream = session.request({ ":method": "POST", ":path": `/webhooks/hub/${hubToken}`, "content-type": "application/json" });
        stream.on("response", (headers) => resolve(Number(headers[":status"])));
        stream.on("error", reject);
        stream.end(fixtureText("docker-hub-push.json"));
        stream.resume();
      });
      expect(status).toBe(202);
    } finally {
      session.close();
    }
    expect(server.rechecked).toEqual(["docker.io/acme/web"]);
  });
});

describe("registry webhooks: bad input", () => {
  it("answers an authenticated body that is not the sender's shape with 400, re-checking nothing", async () => {
    const server = await start();
    const notJson = await post(`${server.url}/webhooks/registry`, "{events:", { authorization: registryAuthorization });
    const wrongShape = await post(`${server.url}/webhooks/registry`, '{"events": "push"}', { authorization: registryAuthorization });

    expect([notJson.status, wrongShape.status]).toEqual([400, 400]);
    expect(((await notJson.json()) as { message: string }).message).toMatch(/not JSON/);
    expect(server.rechecked).toEqual([]);
  });

  it("refuses a body larger than the bound (413), counted as it arrives", async () => {
    const server = await start({ maxBodyBytes: 1024 });
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(`{"pad":"${"x".repeat(4096)}"}`));
        controller.close();
      },
    });
    const response = await fetch(`${server.url}/webhooks/hub/${hubToken}`, { method: "POST", body: stream, duplex: "half" } as RequestInit);
    expect(response.status).toBe(413);
    expect(server.rechecked).toEqual([]);
  });

  it("limits the requests of an endpoint, failed ones included, and lets them through again after the wait", async () => {
    const server = await start({ rateLimitPerMinute: 2 });
    const body = fixtureText("docker-hub-push.json");
    const statuses: number[] = [];
    for (const path of [`hub/wrong`, `hub/${hubToken}`, `hub/${hubToken}`]) statuses.push((await post(`${server.url}/webhooks/${path}`, body)).status);
    const limited = await post(`${server.url}/webhooks/hub/${hubToken}`, body);
    server.clock.advance(30_000);
    const later = await post(`${server.url}/webhooks/hub/${hubToken}`, body);

    expect(statuses).toEqual([401, 202, 429]);
    expect(limited.headers.get("retry-after")).toBe("30");
    expect(later.status).toBe(202);
    expect(server.outcomes).toEqual(["unauthorized", "accepted", "rate-limited", "rate-limited", "accepted"]);
  });

  it("answers 405 to other methods and 404 to unknown endpoints; other paths are not its own", async () => {
    const server = await start();
    expect((await fetch(`${server.url}/webhooks/registry`)).status).toBe(405);
    expect((await post(`${server.url}/webhooks/nope`, "{}")).status).toBe(404);
    expect((await post(`${server.url}/webhooks/registry/extra`, "{}")).status).toBe(404);
    expect((await fetch(`${server.url}/elsewhere`)).status).toBe(404);
    expect(server.rechecked).toEqual([]);
  });
});
