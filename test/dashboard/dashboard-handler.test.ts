import http from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import type { CoreLogger } from "../../src/core/ports/logger.js";
import type { DashboardAsset, DashboardAssets } from "../../src/dashboard/dashboard-assets.js";
import { createDashboardHandler, dashboardContentSecurityPolicy } from "../../src/dashboard/dashboard-handler.js";
import { createHttp1Router, type Http1Handler } from "../../src/server/http1-router.js";

// The handler on a loopback HTTP/1.1 server, behind the same router the API port uses, with a small asset map
// (the real bundle, built and loaded, is tested in dashboard-assets.test.ts).

let server: http.Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

const script = "console.log('dashboard');".repeat(50);
function file(contentType: string, cacheControl: string, body: string, etag: string): DashboardAsset {
  return { contentType, cacheControl, etag, body: Buffer.from(body), gzip: gzipSync(body) };
}
const assets: DashboardAssets = {
  loadMs: 1,
  files: new Map([
    ["/", file("text/html; charset=utf-8", "no-cache", "<!doctype html><title>UM</title>", '"page"')],
    ["/dashboard/app-0123.js", file("text/javascript; charset=utf-8", "public, max-age=31536000, immutable", script, '"js"')],
    ["/dashboard/app-4567.css", file("text/css; charset=utf-8", "public, max-age=31536000, immutable", "body{}", '"css"')],
  ]),
};

/** The rest of the API port's plain HTTP/1.1 handlers: whatever the dashboard leaves. */
const next: Http1Handler = (request, response) => {
  response.end(`next handler: ${request.url}`);
  return true;
};

async function serve(handler: Http1Handler): Promise<{ host: string; port: number }> {
  server = http.createServer(createHttp1Router([handler, next]));
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return { host: "127.0.0.1", port: (server.address() as AddressInfo).port };
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A request with the path sent exactly as given (fetch would normalise `..` away before sending). */
function request(
  address: { host: string; port: number },
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request({ ...address, path, method: options.method ?? "GET", headers: options.headers ?? {} }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
    });
    outgoing.on("error", reject);
    outgoing.end();
  });
}

function recordingLogger(): CoreLogger & { lines: { level: string; fields: Record<string, unknown>; message: string }[] } {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const logger = {
    lines,
    debug: (fields: Record<string, unknown>, message: string) => lines.push({ level: "debug", fields, message }),
    info: (fields: Record<string, unknown>, message: string) => lines.push({ level: "info", fields, message }),
    warn: (fields: Record<string, unknown>, message: string) => lines.push({ level: "warn", fields, message }),
    error: (fields: Record<string, unknown>, message: string) => lines.push({ level: "error", fields, message }),
    child: () => logger,
  };
  return logger;
}

describe("the dashboard handler", () => {
  it("serves the page at / with its content type, revalidation and a strict CSP", async () => {
    const address = await serve(createDashboardHandler({ load: async () => assets }));
    const page = await request(address, "/?from=pipeline");
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.headers["cache-control"]).toBe("no-cache");
    expect(page.headers.etag).toBe('"page"');
    expect(page.headers["content-security-policy"]).toBe(dashboardContentSecurityPolicy);
    expect(page.headers["x-content-type-options"]).toBe("nosniff");
    expect(page.body.toString()).toBe("<!doctype html><title>UM</title>");
  });

  it("allows scripts, styles and API calls from its own origin only, and no framing", () => {
    const directives = new Map(
      dashboardContentSecurityPolicy.split(";").map((d) => {
        const [name = "", ...values] = d.trim().split(/\s+/);
        return [name, values] as const;
      }),
    );
    expect(directives.get("default-src")).toEqual(["'self'"]);
    expect(directives.get("script-src")).toEqual(["'self'"]);
    expect(directives.get("style-src")).toEqual(["'self'"]);
    expect(directives.get("connect-src")).toEqual(["'self'"]);
    expect(directives.get("frame-ancestors")).toEqual(["'none'"]);
    expect(dashboardContentSecurityPolicy).not.toMatch(/unsafe-inline|unsafe-eval|data:|\*/);
  });

  it("serves bundled assets with their content types, cached for good", async () => {
    const address = await serve(createDashboardHandler({ load: async () => assets }));
    const js = await request(address, "/dashboard/app-0123.js");
    expect(js.status).toBe(200);
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(js.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(js.headers["x-content-type-options"]).toBe("nosniff");
    expect(js.body.toString()).toBe(script);
    const css = await request(address, "/dashboard/app-4567.css");
    expect(css.headers["content-type"]).toBe("text/css; charset=utf-8");
  });

  it("gzips for clients that accept it, and not for those that refuse it", async () => {
    const address = await serve(createDashboardHandler({ load: async () => assets }));
    const zipped = await request(address, "/dashboard/app-0123.js", { headers: { "accept-encoding": "br, gzip;q=0.8" } });
    expect(zipped.headers["content-encoding"]).toBe("gzip");
    expect(zipped.headers.vary).toBe("accept-encoding");
    expect(gunzipSync(zipped.body).toString()).toBe(script);
    const refused = await request(address, "/dashboard/app-0123.js", { headers: { "accept-encoding": "gzip;q=0" } });
    expect(refused.headers["content-encoding"]).toBeUndefined();
    expect(refused.body.toString()).toBe(script);
  });

  it("answers 304 to a request that already has the current version", async () => {
    const address = await serve(createDashboardHandler({ load: async () => assets }));
    const again = await request(address, "/", { headers: { "if-none-match": 'W/"old", "page"' } });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    const changed = await request(address, "/", { headers: { "if-none-match": '"old"' } });
    expect(changed.status).toBe(200);
  });

  it("answers HEAD with the headers only", async () => {
    const address = await serve(createDashboardHandler({ load: async () => assets }));
    const head = await request(address, "/dashboard/app-0123.js", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe(String(script.length));
    expect(head.body.length).toBe(0);
  });

  it("answers 404 for an unknown asset, with the same protective headers", async () => {
    const address = await serve(createDashboardHandler({ load: async () => assets }));
    const missing = await request(address, "/dashboard/app-ffff.js");
    expect(missing.status).toBe(404);
    expect(missing.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(missing.headers["x-content-type-options"]).toBe("nosniff");
    expect(missing.headers["content-security-policy"]).toBe(dashboardContentSecurityPolicy);
  });

  it("never reaches a file outside its own assets, however the path is written", async () => {
    const address = await serve(createDashboardHandler({ load: async () => assets }));
    for (const path of [
      "/dashboard/../package.json",
      "/dashboard/../../../../etc/passwd",
      "/dashboard/%2e%2e/package.json",
      "/dashboard/..%2fpackage.json",
      "/dashboard/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
      "/dashboard/dashboard-handler.ts",
      "/dashboard/browser/main.ts",
      "/dashboard/index.html",
      "/dashboard//app-0123.js",
    ]) {
      const answer = await request(address, path);
      expect({ path, status: answer.status }).toEqual({ path, status: 404 });
      expect(answer.body.toString()).toBe("not found\n");
    }
  });

  it("leaves every other path to the next handler (the REST drop-in, the router's 404)", async () => {
    const address = await serve(createDashboardHandler({ load: async () => assets }));
    expect((await request(address, "/updates")).body.toString()).toBe("next handler: /updates");
    expect((await request(address, "/dashboard")).body.toString()).toBe("next handler: /dashboard");
    expect((await request(address, "/index.html")).body.toString()).toBe("next handler: /index.html");
  });

  it("refuses methods other than GET and HEAD on its paths with 405 and Allow", async () => {
    const address = await serve(createDashboardHandler({ load: async () => assets }));
    const post = await request(address, "/", { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe("GET, HEAD");
  });

  it("holds requests that arrive while it is still loading, then answers them", async () => {
    let finish!: (loaded: DashboardAssets) => void;
    const handler = createDashboardHandler({ load: () => new Promise((resolve) => (finish = resolve)) });
    const address = await serve(handler);
    const pending = request(address, "/");
    await new Promise((resolve) => setImmediate(resolve));
    finish(assets);
    expect(await handler.ready).toBe(true);
    expect((await pending).status).toBe(200);
  });

  it("answers 503, logs why and reports the reason when the bundle cannot be loaded", async () => {
    const logger = recordingLogger();
    const handler = createDashboardHandler({
      logger,
      load: async () => {
        throw new Error("no dashboard bundle in /app/dist/dashboard/ (run npm run build)");
      },
    });
    expect(handler.status()).toEqual({ state: "loading" });
    const address = await serve(handler);
    expect(await handler.ready).toBe(false);
    const answer = await request(address, "/");
    expect(answer.status).toBe(503);
    expect(answer.body.toString()).toMatch(/could not be loaded/);
    const logged = logger.lines.find((line) => line.level === "error");
    expect(logged?.message).toMatch(/could not be loaded/);
    expect(String(logged?.fields.err)).toMatch(/npm run build/);
    expect(handler.status()).toEqual({ state: "failed", reason: expect.stringMatching(/no dashboard bundle/) });
  });

  it("logs how long loading took", async () => {
    const logger = recordingLogger();
    const handler = createDashboardHandler({ logger, load: async () => assets });
    await handler.ready;
    expect(handler.status()).toEqual({ state: "ready" });
    expect(logger.lines).toContainEqual(
      expect.objectContaining({ level: "info", message: "dashboard loaded", fields: expect.objectContaining({ loadMs: 1 }) }),
    );
  });
});
