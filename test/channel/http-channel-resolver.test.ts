import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpChannelResolver } from "../../src/channel/http-channel-resolver.js";

describe("createHttpChannelResolver (a channel server on loopback)", () => {
  let server: Server;
  let base: string;
  const seen: string[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      seen.push(request.url ?? "");
      if (request.url === "/releases/latest") {
        response.writeHead(302, { location: "https://github.com/rancher/k3os/releases/tag/v0.21.5-k3s2r1" });
      } else if (request.url === "/relative") {
        response.writeHead(302, { location: "/releases/tag/v1.28.2+k3s1" });
      } else if (request.url === "/releases/v2.0.0") {
        response.writeHead(200);
      } else if (request.url === "/no-location") {
        response.writeHead(302);
      } else {
        response.writeHead(500);
      }
      response.end("body");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const resolve = (path: string) => createHttpChannelResolver().resolve(`${base}${path}`, AbortSignal.timeout(5_000));

  it("answers the last path segment of a 302's Location, without following it", async () => {
    expect(await resolve("/releases/latest")).toBe("v0.21.5-k3s2r1");
    expect(seen).not.toContain("/releases/tag/v0.21.5-k3s2r1");
  });

  it("reads a relative Location against the channel URL", async () => {
    expect(await resolve("/relative")).toBe("v1.28.2+k3s1");
  });

  it("takes the URL's own last segment on a 2xx, as the seed does", async () => {
    expect(await resolve("/releases/v2.0.0")).toBe("v2.0.0");
  });

  it("fails naming the answer otherwise", async () => {
    await expect(resolve("/broken")).rejects.toThrow(/HTTP 500/);
    await expect(resolve("/no-location")).rejects.toThrow(/without a Location/);
  });
});
