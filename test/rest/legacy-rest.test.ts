/**
 * Golden tests of the REST drop-in: the requests are byte for byte what the original CLI
 * (xcnt/kubernetes-update-manager, `update` command) sends, the answers what it parses.
 *
 * Where the requests come from (the original's sources, read in the public code index):
 * - client/updateExecution.go: every request carries `Authorization: APIKey <key>`. Start() POSTs
 *   to the `--url` (e.g. http://manager:9000/updates) with grequests `Data` {image, update_classifier};
 *   Get() and Finish() GET and DELETE `path.Join(url, uuid)`. 200, 201 and 204 are success, 404 is
 *   os.ErrNotExist (the CLI's monitor then prints "expect it to be already done" and exits 0),
 *   401 is "unauthorized", anything else "Unexpected status code".
 * - grequests (the CLI's HTTP library) encodes `Data` as url.Values.Encode(): keys sorted,
 *   `application/x-www-form-urlencoded`, with `User-Agent: GRequests/0.10`; Go's transport adds
 *   `Accept-Encoding: gzip` and writes Host, User-Agent, Content-Length, then the sorted headers.
 * - web/serializer.go: the JSON `{"uuid", "counts": {"jobs": {"total", "updated"}, "deployments":
 *   {"total", "updated"}}, "status": {"finish_time", "finished", "failed", "successful"}}` in that
 *   order; `finish_time` a time.Time (RFC 3339) or null. `jobs` is an object like `deployments`
 *   (the CLI reads `Counts.Jobs.Total`). gin answers `application/json; charset=utf-8`.
 * - web/updater.go: POST 201 with the update, 400 without image or update_classifier; GET 400 for a
 *   malformed uuid, 404 unknown; DELETE 204 whether or not the update exists.
 *
 * Assumptions where this server differs on purpose (docs/migration.md): error answers carry a JSON
 * body `{"error", "reason"}` (the original's were empty; the CLI ignores bodies); DELETE of an update
 * that has not finished answers 409 instead of dropping a running update; a malformed uuid on DELETE
 * answers 400; unknown or repeated form fields answer 400.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import type { AccessGrant } from "../../src/auth/access-grant.js";
import { type InProcessApp, startInProcessApp, testApiKey } from "./in-process-app.js";
import { type RawResponse, rawExchange } from "./raw-http.js";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { UpdateState } from "../../gen/updatemanager/v1/update_pb.js";
import { UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";

const apps: InProcessApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function start(options: Parameters<typeof startInProcessApp>[0] = {}): Promise<InProcessApp> {
  const app = await startInProcessApp(options);
  apps.push(app);
  return app;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Go's url.Values.Encode(): sorted keys, QueryEscape (space as +, reserved characters escaped). */
function goFormEncode(values: Record<string, string>): string {
  return Object.keys(values)
    .sort()
    .map((key) => `${goQueryEscape(key)}=${goQueryEscape(values[key] as string)}`)
    .join("&");
}

function goQueryEscape(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, "+");
}

/** The CLI's Start(): grequests.Post(url, {Headers: Authorization, Data: {image, update_classifier}}). */
function cliPost(port: number, apiKey: string, image: string, classifier: string): string {
  const body = goFormEncode({ image, update_classifier: classifier });
  return (
    "POST /updates HTTP/1.1\r\n" +
    `Host: 127.0.0.1:${port}\r\n` +
    "User-Agent: GRequests/0.10\r\n" +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    `Authorization: APIKey ${apiKey}\r\n` +
    "Content-Type: application/x-www-form-urlencoded\r\n" +
    "Accept-Encoding: gzip\r\n" +
    "\r\n" +
    body
  );
}

/** The CLI's Get() and Finish(): no body, same headers. */
function cliRequest(method: "GET" | "DELETE", port: number, apiKey: string, uuid: string): string {
  return (
    `${method} /updates/${uuid} HTTP/1.1\r\n` +
    `Host: 127.0.0.1:${port}\r\n` +
    "User-Agent: GRequests/0.10\r\n" +
    `Authorization: APIKey ${apiKey}\r\n` +
    "Accept-Encoding: gzip\r\n" +
    "\r\n"
  );
}

/** The original's JSON, byte for byte, for the given values. */
function legacyJson(uuid: string, jobs: [number, number], deployments: [number, number], status: string): string {
  return (
    `{"uuid":"${uuid}","counts":{"jobs":{"total":${jobs[0]},"updated":${jobs[1]}},` +
    `"deployments":{"total":${deployments[0]},"updated":${deployments[1]}}},"status":${status}}`
  );
}

/** The update as the Update RPCs show it (the full-scope key). */
async function getUpdate(app: InProcessApp, id: string) {
  const client = createClient(UpdateService, createConnectTransport({ baseUrl: app.baseUrl, httpVersion: "1.1" }));
  const { update } = await client.getUpdate({ updateId: id }, { headers: { authorization: `Bearer ${testApiKey}` } });
  if (update === undefined) throw new Error(`no update ${id}`);
  return update;
}

const running = `{"finish_time":null,"finished":false,"failed":false,"successful":false}`;
const jsonType = "application/json; charset=utf-8";
const newImage = "registry.example.com/shop/web:1.5.0";

/** The CLI's monitorUpdate(): GET once a second until status.finished (here: the fake clock's second). */
async function pollUntilFinished(app: InProcessApp, uuid: string): Promise<RawResponse[]> {
  const answers: RawResponse[] = [];
  for (let second = 0; second < 600; second++) {
    const answer = await rawExchange(app.port, cliRequest("GET", app.port, testApiKey, uuid));
    answers.push(answer);
    if (answer.status !== 200 || (JSON.parse(answer.body) as { status: { finished: boolean } }).status.finished) return answers;
    await app.clock.advanceAsync(1000);
  }
  throw new Error("the update did not finish in 600 simulated seconds");
}

describe("legacy REST API: the original CLI's update command, replayed", () => {
  it("POST creates the update (201 and the original's JSON), GET follows it to a successful end", async () => {
    const app = await start();

    const created = await rawExchange(app.port, cliPost(app.port, testApiKey, newImage, "shop"));

    expect(created.status).toBe(201);
    expect(created.headers["content-type"]).toBe(jsonType);
    const { uuid } = JSON.parse(created.body) as { uuid: string };
    expect(uuid).toMatch(uuidPattern);
    expect(created.headers.location).toBe(`/updates/${uuid}`);
    // The demo: one migration template (shop/web-migrate); web, worker, the report CronJob and the
    // legacy-annotated storefront use the repository.
    expect(created.body).toBe(legacyJson(uuid, [1, 0], [4, 0], running));
    expect(Number(created.headers["content-length"])).toBe(Buffer.byteLength(created.body));

    const polls = await pollUntilFinished(app, uuid);
    expect(polls.length).toBeGreaterThan(2);
    const last = polls[polls.length - 1] as RawResponse;
    expect(last.status).toBe(200);
    expect(last.headers["content-type"]).toBe(jsonType);
    const finishTime = (JSON.parse(last.body) as { status: { finish_time: string } }).status.finish_time;
    // RFC 3339 (Go's time.Time parses it), at the fake clock's time of the end.
    expect(finishTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    expect(Date.parse(finishTime)).toBeGreaterThan(Date.parse("2025-01-01T00:00:00Z"));
    expect(last.body).toBe(
      legacyJson(uuid, [1, 1], [4, 4], `{"finish_time":"${finishTime}","finished":true,"failed":false,"successful":true}`),
    );
    // In between, the progress the CLI draws as bars only grows.
    const updated = polls.map((poll) => (JSON.parse(poll.body) as { counts: { deployments: { updated: number } } }).counts.deployments.updated);
    expect(updated).toEqual([...updated].sort((a, b) => a - b));
    // The images really changed.
    const patched = app.cluster.writes().filter((write) => write.operation === "patch-images" && write.outcome === "applied");
    expect(patched.map((write) => `${write.target.namespace}/${write.target.name}`).sort()).toEqual([
      // legacy/storefront opted in with the original's annotation (xcnt.io/update-classifier).
      "legacy/storefront",
      "shop/report",
      "shop/web",
      "shop/worker",
    ]);
  });

  it("reports a rolled-back update as finished and failed, so the CLI exits non-zero", async () => {
    const app = await start();
    const created = await rawExchange(app.port, cliPost(app.port, testApiKey, "registry.example.com/shop/web:1.5.0-broken", "shop"));
    expect(created.status).toBe(201);
    const { uuid } = JSON.parse(created.body) as { uuid: string };

    const polls = await pollUntilFinished(app, uuid);
    const last = JSON.parse((polls[polls.length - 1] as RawResponse).body) as { status: Record<string, unknown> };
    expect(last.status).toMatchObject({ finished: true, failed: true, successful: false });
    expect(last.status.finish_time).toEqual(expect.stringMatching(/Z$/));
  });

  it("DELETE forgets a finished update (204, empty), after which GET answers 404: the CLI's 'already done'", async () => {
    const app = await start();
    const { uuid } = JSON.parse((await rawExchange(app.port, cliPost(app.port, testApiKey, newImage, "shop"))).body) as { uuid: string };
    await pollUntilFinished(app, uuid);

    const deleted = await rawExchange(app.port, cliRequest("DELETE", app.port, testApiKey, uuid));
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBe("");

    const gone = await rawExchange(app.port, cliRequest("GET", app.port, testApiKey, uuid));
    expect(gone.status).toBe(404);
    expect(JSON.parse(gone.body)).toEqual({ error: `update ${uuid} not found`, reason: "UPDATE_NOT_FOUND" });
    // Deleting again is still a success, as in the original.
    expect((await rawExchange(app.port, cliRequest("DELETE", app.port, testApiKey, uuid))).status).toBe(204);
  });

  it("DELETE of an update that is still running answers 409 and keeps it (it does not cancel either)", async () => {
    const app = await start();
    const { uuid } = JSON.parse((await rawExchange(app.port, cliPost(app.port, testApiKey, newImage, "shop"))).body) as { uuid: string };

    const refused = await rawExchange(app.port, cliRequest("DELETE", app.port, testApiKey, uuid));
    expect(refused.status).toBe(409);
    expect(JSON.parse(refused.body)).toMatchObject({ reason: "UPDATE_NOT_FINISHED" });

    const polls = await pollUntilFinished(app, uuid);
    expect(JSON.parse((polls[polls.length - 1] as RawResponse).body)).toMatchObject({ status: { successful: true } });
  });

  it("answers GET for a known update from the store: never 404 while it exists", async () => {
    const app = await start();
    const { uuid } = JSON.parse((await rawExchange(app.port, cliPost(app.port, testApiKey, newImage, "shop"))).body) as { uuid: string };
    const first = await rawExchange(app.port, cliRequest("GET", app.port, testApiKey, uuid));
    expect(first.status).toBe(200);
    expect(first.body).toBe(legacyJson(uuid, [1, 0], [4, 0], running));
    // The uuid in upper case is the same update (the original parsed it with uuid.Parse).
    expect((await rawExchange(app.port, cliRequest("GET", app.port, testApiKey, uuid.toUpperCase()))).status).toBe(200);
  });
});

describe("legacy REST API: refusals", () => {
  it("answers 401 without the header and with a wrong key, on every route, and changes nothing", async () => {
    const app = await start();
    const uuid = "7d2b4c6e-1f3a-4b5c-8d9e-0a1b2c3d4e5f";
    const withoutHeader = (request: string) => request.replace(/Authorization: [^\r]*\r\n/, "");
    const cases = [
      withoutHeader(cliPost(app.port, testApiKey, newImage, "shop")),
      withoutHeader(cliRequest("GET", app.port, testApiKey, uuid)),
      withoutHeader(cliRequest("DELETE", app.port, testApiKey, uuid)),
      cliPost(app.port, "wrong-key-wrong-key-wrong", newImage, "shop"),
      cliRequest("GET", app.port, "wrong-key-wrong-key-wrong", uuid),
      cliRequest("DELETE", app.port, "wrong-key-wrong-key-wrong", uuid),
    ];
    for (const request of cases) {
      const answer = await rawExchange(app.port, request);
      expect(answer.status).toBe(401);
      expect(answer.headers["content-type"]).toBe(jsonType);
      expect(JSON.parse(answer.body)).toMatchObject({ reason: "UNAUTHENTICATED" });
      expect(answer.body).not.toContain("wrong-key");
    }
    expect(app.cluster.writes()).toEqual([]);
  });

  it("accepts the key as `Bearer` too", async () => {
    const app = await start();
    const request = cliPost(app.port, testApiKey, newImage, "shop").replace(`APIKey ${testApiKey}`, `Bearer ${testApiKey}`);
    expect((await rawExchange(app.port, request)).status).toBe(201);
  });

  it("answers 400 without image or update_classifier, and for a malformed uuid", async () => {
    const app = await start();
    const noImage = cliPost(app.port, testApiKey, "", "shop");
    const noClassifier = cliPost(app.port, testApiKey, newImage, "");
    for (const [request, field] of [
      [noImage, "image"],
      [noClassifier, "update_classifier"],
    ] as const) {
      const answer = await rawExchange(app.port, request);
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body)).toEqual({ error: `the form field ${field} is required`, reason: "INVALID_ARGUMENT" });
    }
    for (const method of ["GET", "DELETE"] as const) {
      const answer = await rawExchange(app.port, cliRequest(method, app.port, testApiKey, "abc"));
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body)).toEqual({ error: `"abc" is not an update id (a UUID)`, reason: "INVALID_ARGUMENT" });
    }
    expect(app.cluster.writes()).toEqual([]);
  });

  it("answers 404 for an unknown uuid; an image nothing uses is 201 and an empty update that succeeded (404 when strict)", async () => {
    const app = await start();
    const unknown = await rawExchange(app.port, cliRequest("GET", app.port, testApiKey, "7d2b4c6e-1f3a-4b5c-8d9e-0a1b2c3d4e5f"));
    expect(unknown.status).toBe(404);
    const nothing = await rawExchange(app.port, cliPost(app.port, testApiKey, "registry.example.com/nobody/uses:1.0", "shop"));
    expect(nothing.status).toBe(201);
    const { uuid } = JSON.parse(nothing.body) as { uuid: string };
    const polled = await rawExchange(app.port, cliRequest("GET", app.port, testApiKey, uuid));
    expect(JSON.parse(polled.body)).toMatchObject({
      counts: { jobs: { total: 0, updated: 0 }, deployments: { total: 0, updated: 0 } },
      status: { finished: true, failed: false, successful: true },
    });
    expect(app.cluster.writes()).toEqual([]);

    const strict = await start({ env: { UPDATE_MANAGER_REST_STRICT_NO_TARGETS: "true" } });
    const refused = await rawExchange(strict.port, cliPost(strict.port, testApiKey, "registry.example.com/nobody/uses:1.0", "shop"));
    expect(refused.status).toBe(404);
    expect(JSON.parse(refused.body)).toMatchObject({ reason: "NO_TARGETS" });
  });

  it("queues a POST while another update holds the workloads (201, QUEUED), and applies it after the first", async () => {
    const app = await start();
    const first = JSON.parse((await rawExchange(app.port, cliPost(app.port, testApiKey, newImage, "shop"))).body) as { uuid: string };
    const queued = await rawExchange(app.port, cliPost(app.port, testApiKey, "registry.example.com/shop/web:1.6.0", "shop"));
    expect(queued.status).toBe(201);
    const { uuid } = JSON.parse(queued.body) as { uuid: string };
    expect(JSON.parse(queued.body)).toMatchObject({ status: { finished: false, failed: false } });
    expect((await getUpdate(app, uuid)).state).toBe(UpdateState.QUEUED);
    await pollUntilFinished(app, first.uuid);
    const polls = await pollUntilFinished(app, uuid);
    expect(JSON.parse((polls.at(-1) as RawResponse).body)).toMatchObject({ status: { successful: true } });
    expect(app.cluster.getWorkload({ kind: "Deployment", namespace: "shop", name: "web" })?.containers[0]?.image).toBe(
      "registry.example.com/shop/web:1.6.0",
    );
  });

  it("answers 201 and an update recorded FAILED (IMAGE_QUARANTINED) for an image that failed here before", async () => {
    const app = await start();
    const broken = "registry.example.com/shop/web:1.5.0-broken";
    const { uuid } = JSON.parse((await rawExchange(app.port, cliPost(app.port, testApiKey, broken, "shop"))).body) as { uuid: string };
    await pollUntilFinished(app, uuid);
    const again = await rawExchange(app.port, cliPost(app.port, testApiKey, broken, "shop"));
    expect(again.status).toBe(201);
    const refused = JSON.parse(again.body) as { uuid: string };
    const polled = JSON.parse((await rawExchange(app.port, cliRequest("GET", app.port, testApiKey, refused.uuid))).body);
    expect(polled).toMatchObject({ status: { finished: true, failed: true, successful: false } });
    expect(polled.reason).toMatch(/^IMAGE_QUARANTINED: /);
  });

  it("answers 201 and an update recorded FAILED (PERMISSION_DENIED) for a key whose scope does not cover the classifier", async () => {
    const platformOnly: AccessGrant = { rpcs: new Set(["Update", "GetUpdate"]), scope: { classifiers: ["platform"] } };
    const key = "platform-key-0123456789";
    const app = await start({
      accessControl: { keys: [{ name: "platform-ci", sha256: createHash("sha256").update(key).digest(), grant: platformOnly }] },
    });
    const answer = await rawExchange(app.port, cliPost(app.port, key, newImage, "shop"));
    expect(answer.status).toBe(201);
    const { uuid } = JSON.parse(answer.body) as { uuid: string };
    const record = await getUpdate(app, uuid);
    expect(record).toMatchObject({ state: UpdateState.FAILED, requester: "platform-ci", classifier: "shop" });
    expect(record.reason).toMatch(/^PERMISSION_DENIED: /);
    // Its creator polls it (its scope does not cover the update, but it created it), as the original CLI does.
    const polled = await rawExchange(app.port, cliRequest("GET", app.port, key, uuid));
    expect(polled.status).toBe(200);
    expect(JSON.parse(polled.body)).toMatchObject({ status: { finished: true, failed: true }, reason: expect.stringMatching(/^PERMISSION_DENIED: /) });
    // DELETE needs a write permission on the update (CancelUpdate), which this key lacks.
    const deleted = await rawExchange(app.port, cliRequest("DELETE", app.port, key, "7d2b4c6e-1f3a-4b5c-8d9e-0a1b2c3d4e5f"));
    expect(deleted.status).toBe(403);
    expect(app.cluster.writes()).toEqual([]);
  });

  it("answers 201 and an update recorded FAILED (RATE_LIMITED) once the caller's write budget is spent", async () => {
    const app = await start({ accessControl: { writeLimit: { perMinute: 1, burst: 1 } } });
    expect((await rawExchange(app.port, cliPost(app.port, testApiKey, newImage, "shop"))).status).toBe(201);
    const limited = await rawExchange(app.port, cliPost(app.port, testApiKey, "registry.example.com/shop/web:1.6.0", "shop"));
    expect(limited.status).toBe(201);
    const { uuid } = JSON.parse(limited.body) as { uuid: string };
    expect(JSON.parse(limited.body)).toMatchObject({ status: { finished: true, failed: true } });
    expect((await getUpdate(app, uuid)).reason).toMatch(/^RATE_LIMITED: api-key is calling too often/);
  });

  it("answers 201 and an update recorded FAILED (CACHE_NOT_SYNCED) before the cluster caches synced", async () => {
    const app = await start();
    app.cluster.stop();
    const answer = await rawExchange(app.port, cliPost(app.port, testApiKey, newImage, "shop"));
    expect(answer.status).toBe(201);
    const { uuid } = JSON.parse(answer.body) as { uuid: string };
    expect((await getUpdate(app, uuid)).reason).toMatch(/^CACHE_NOT_SYNCED: /);
  });

  it("accepts the original's Authorization forms, compared in full: `<key>EXTRA` and a prefix are refused", async () => {
    const app = await start();
    const withHeader = (value: string) => cliRequest("GET", app.port, testApiKey, "7d2b4c6e-1f3a-4b5c-8d9e-0a1b2c3d4e5f").replace(`APIKey ${testApiKey}`, value);
    for (const value of [`APIKey ${testApiKey}`, `apikey ${testApiKey}`, `Token ${testApiKey}`, `Bearer ${testApiKey}`, testApiKey]) {
      // 404: authenticated, and the update is unknown.
      expect((await rawExchange(app.port, withHeader(value))).status, value).toBe(404);
    }
    for (const value of [`APIKey ${testApiKey}EXTRA`, `${testApiKey}EXTRA`, `APIKey ${testApiKey.slice(0, -1)}`, `APIKey ${testApiKey} more`]) {
      expect((await rawExchange(app.port, withHeader(value))).status, value).toBe(401);
    }
  });

  it("accepts the uuid spellings of the original's parser; /health answers 204; a trailing slash redirects (301)", async () => {
    const app = await start();
    const { uuid } = JSON.parse((await rawExchange(app.port, cliPost(app.port, testApiKey, newImage, "shop"))).body) as { uuid: string };
    for (const spelling of [uuid.replace(/-/g, ""), `urn:uuid:${uuid}`, `{${uuid}}`, `{${uuid.toUpperCase()}}`]) {
      const answer = await rawExchange(app.port, cliRequest("GET", app.port, testApiKey, spelling));
      expect(answer.status, spelling).toBe(200);
      expect(JSON.parse(answer.body).uuid).toBe(uuid);
    }
    expect((await rawExchange(app.port, cliRequest("GET", app.port, testApiKey, `{${uuid}`))).status).toBe(400);

    const health = await rawExchange(app.port, `GET /health HTTP/1.1\r\nHost: 127.0.0.1:${app.port}\r\n\r\n`);
    expect(health.status).toBe(204);
    const slash = await rawExchange(app.port, cliRequest("GET", app.port, testApiKey, `${uuid}/`));
    expect(slash.status).toBe(301);
    expect(slash.headers.location).toBe(`/updates/${uuid}`);
    const unknownPath = await rawExchange(app.port, cliRequest("GET", app.port, testApiKey, uuid).replace("/updates/", "/update/"));
    expect(unknownPath.status).toBe(404);
  });

  it("polling one's own update never spends the read budget", async () => {
    const app = await start({ accessControl: { readLimit: { perMinute: 1, burst: 1 } } });
    const { uuid } = JSON.parse((await rawExchange(app.port, cliPost(app.port, testApiKey, newImage, "shop"))).body) as { uuid: string };
    for (let poll = 0; poll < 20; poll++) {
      expect((await rawExchange(app.port, cliRequest("GET", app.port, testApiKey, uuid))).status).toBe(200);
    }
    // Reads of what it did not create still spend it.
    const unknown = "7d2b4c6e-1f3a-4b5c-8d9e-0a1b2c3d4e5f";
    expect((await rawExchange(app.port, cliRequest("GET", app.port, testApiKey, unknown))).status).toBe(404);
    expect((await rawExchange(app.port, cliRequest("GET", app.port, testApiKey, unknown))).status).toBe(429);
  });

  it("answers 405 with Allow for other methods, 415 for other content types, and leaves other paths alone", async () => {
    const app = await start();
    const put = await rawExchange(app.port, cliRequest("GET", app.port, testApiKey, "x").replace("GET /updates/x", "PUT /updates"));
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe("POST");
    const json = cliPost(app.port, testApiKey, newImage, "shop").replace("application/x-www-form-urlencoded", "application/json");
    const wrongType = await rawExchange(app.port, json);
    expect(wrongType.status).toBe(415);
    const other = await rawExchange(app.port, cliRequest("GET", app.port, testApiKey, "x").replace("/updates/x", "/swagger/index.html"));
    expect(other.status).toBe(404);
    expect(other.headers["content-type"]).toBe("text/plain; charset=utf-8");
  });
});
