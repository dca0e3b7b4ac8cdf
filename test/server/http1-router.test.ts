import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createHttp1Router, type Http1Handler } from "../../src/server/http1-router.js";

let server: http.Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function serve(handlers: Http1Handler[]): Promise<string> {
  server = http.createServer(createHttp1Router(handlers));
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const answer =
  (prefix: string, body: string): Http1Handler =>
  (request, response) => {
    if (!request.url?.startsWith(prefix)) return false;
    response.end(body);
    return true;
  };

describe("the HTTP/1.1 router on the API port", () => {
  it("gives a request to the first handler that takes it", async () => {
    const url = await serve([answer("/updates", "rest"), answer("/", "dashboard")]);
    expect(await (await fetch(`${url}/updates/1`)).text()).toBe("rest");
    expect(await (await fetch(`${url}/index.html`)).text()).toBe("dashboard");
  });

  it("answers 404 when no handler takes the request", async () => {
    const url = await serve([answer("/updates", "rest")]);
    const response = await fetch(`${url}/other`);
    expect(response.status).toBe(404);
    expect(await response.text()).toBe("not found\n");
  });
});
