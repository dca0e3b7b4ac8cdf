/**
 * Hostile input on the REST drop-in: every case gets its status, the server stays up (Health/Check of
 * the UpdateService still SERVING) and the cluster's write log stays empty.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type InProcessApp, startInProcessApp, testApiKey } from "../rest/in-process-app.js";
import { rawExchange } from "../rest/raw-http.js";

let app: InProcessApp;
beforeAll(async () => {
  app = await startInProcessApp();
});
afterAll(async () => {
  await app.close();
});

function post(body: string | Buffer, headers: Record<string, string> = {}): Buffer {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  const all: Record<string, string> = {
    Host: "127.0.0.1",
    Authorization: `APIKey ${testApiKey}`,
    "Content-Type": "application/x-www-form-urlencoded",
    "Content-Length": String(bytes.length),
    ...headers,
  };
  const head = Object.entries(all)
    .filter(([, value]) => value !== "")
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  return Buffer.concat([Buffer.from(`POST /updates HTTP/1.1\r\n${head}\r\n`, "latin1"), bytes]);
}

function form(image: string, classifier = "shop"): string {
  return `image=${encodeURIComponent(image)}&update_classifier=${encodeURIComponent(classifier)}`;
}

function get(path: string): string {
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: APIKey ${testApiKey}\r\n\r\n`;
}

async function expectRefused(request: string | Buffer, status: number, reason?: string): Promise<void> {
  const answer = await rawExchange(app.port, request);
  expect(answer.status).toBe(status);
  if (reason !== undefined) expect(JSON.parse(answer.body)).toMatchObject({ reason });
  expect(await app.serving()).toBe(true);
  expect(app.cluster.writes()).toEqual([]);
}

describe("REST drop-in under hostile input", () => {
  it.each([
    ["no tag or digest", "registry.example.com/shop/web"],
    ["upper case repository", "registry.example.com/Shop/Web:1.5.0"],
    ["spaces", "registry.example.com/shop/web :1.5.0"],
    ["a malformed digest", "registry.example.com/shop/web@sha256:zzzz"],
    ["path traversal", "../../etc/passwd:1"],
    ["only colons", ":::"],
    ["a newline", "registry.example.com/shop/web:1.5.0\nX-Injected: yes"],
    ["a NUL byte", "registry.example.com/shop/web:1.5.0\u0000"],
    ["right-to-left override", "registry.example.com/shop/web:1.5.0\u202e"],
    ["emoji", "registry.example.com/shop/web:🚀"],
    ["10 000 characters", `registry.example.com/shop/${"a".repeat(10_000)}:1`],
  ])("refuses an image reference with %s: 400", async (_name, image) => {
    await expectRefused(post(form(image)), 400, "INVALID_ARGUMENT");
  });

  it.each([
    ["non-ASCII", "shöp"],
    ["control characters", "shop\u0007\u001b[31m"],
    ["a huge value (64 KiB of label)", "a".repeat(60_000)],
    ["a 64-character label value", "a".repeat(64)],
    ["a slash", "shop/../admin"],
  ])("refuses a classifier with %s: 400", async (_name, classifier) => {
    await expectRefused(post(form("registry.example.com/shop/web:1.5.0", classifier)), 400, "INVALID_ARGUMENT");
  });

  it("refuses unknown and repeated fields: 400", async () => {
    await expectRefused(post(`${form("registry.example.com/shop/web:1.5.0")}&dry_run=true`), 400, "INVALID_ARGUMENT");
    await expectRefused(post(`${form("registry.example.com/shop/web:1.5.0")}&image=x:1`), 400, "INVALID_ARGUMENT");
  });

  it("refuses malformed percent-escapes and bytes that are not UTF-8: 400", async () => {
    await expectRefused(post("image=%zz&update_classifier=shop"), 400, "INVALID_ARGUMENT");
    await expectRefused(post(Buffer.from([...Buffer.from("image=a:1&update_classifier="), 0xff, 0xfe])), 400, "INVALID_ARGUMENT");
  });

  it.each([
    ["JSON", "application/json"],
    ["multipart", "multipart/form-data; boundary=x"],
    ["text", "text/plain"],
    ["a foreign charset", "application/x-www-form-urlencoded; charset=iso-8859-1"],
    ["no content type", ""],
  ])("refuses a body sent as %s: 415", async (_name, type) => {
    await expectRefused(post(form("registry.example.com/shop/web:1.5.0"), { "Content-Type": type }), 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  it("refuses a compressed body: 415", async () => {
    await expectRefused(post(form("registry.example.com/shop/web:1.5.0"), { "Content-Encoding": "gzip" }), 415);
  });

  it("refuses an oversized form, declared or chunked, before buffering it: 413", async () => {
    const big = `image=${"a".repeat(70_000)}&update_classifier=shop`;
    await expectRefused(post(big), 413, "BODY_TOO_LARGE");
    const chunked = Buffer.concat([
      Buffer.from(
        `POST /updates HTTP/1.1\r\nHost: x\r\nAuthorization: APIKey ${testApiKey}\r\n` +
          "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n",
      ),
      ...Array.from({ length: 20 }, () => Buffer.from(`1000\r\n${"a".repeat(0x1000)}\r\n`)),
      Buffer.from("0\r\n\r\n"),
    ]);
    await expectRefused(chunked, 413, "BODY_TOO_LARGE");
    // Above the API port's own cap (1 MiB), refused from the declared length alone.
    await expectRefused(post("x", { "Content-Length": String(2 * 1024 * 1024) }), 413);
  });

  it("refuses path traversal in the update id: 400, or not the REST API's path at all: 404", async () => {
    await expectRefused(get("/updates/..%2F..%2Fetc%2Fpasswd"), 400, "INVALID_ARGUMENT");
    await expectRefused(get("/updates/%2e%2e"), 400, "INVALID_ARGUMENT");
    await expectRefused(get("/updates/../../etc/passwd"), 404);
    await expectRefused(get("/updates/7d2b4c6e-1f3a-4b5c-8d9e-0a1b2c3d4e5f/../x"), 404);
  });

  it("refuses a malformed Authorization header without echoing it: 401", async () => {
    for (const header of ["APIKey two words-secret", "Basic c2VjcmV0", `APIKey ${"s".repeat(4000)}`]) {
      const answer = await rawExchange(app.port, post(form("registry.example.com/shop/web:1.5.0"), { Authorization: header }));
      expect(answer.status).toBe(401);
      expect(answer.body).not.toMatch(/secret|c2VjcmV0|sss/);
    }
    // A control character in a header is refused by the HTTP parser itself.
    await expectRefused(post(form("registry.example.com/shop/web:1.5.0"), { Authorization: "APIKey \u0001secret" }), 400);
    expect(await app.serving()).toBe(true);
    expect(app.cluster.writes()).toEqual([]);
  });

  it("answers a request line Node cannot parse with 400 and stays up", async () => {
    await expectRefused("GET /updates/\u0000 HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    await expectRefused(`GET /updates HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`, 431);
  });
});
