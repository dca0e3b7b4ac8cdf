/**
 * Floods of streams and connections, and slowloris-style HTTP/1.1 clients: every call is answered
 * (or the slow client cut off), Health/Check stays SERVING, and nothing is written to the cluster.
 */
import * as net from "node:net";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";
import { type InProcessApp, startInProcessApp, testApiKey } from "../rest/in-process-app.js";
import { rawExchange } from "../rest/raw-http.js";
import { connectUnary } from "./connect-wire.js";

let app: InProcessApp;
beforeAll(async () => {
  app = await startInProcessApp({ server: { headersTimeoutMs: 300, requestTimeoutMs: 600 } });
});
afterAll(async () => {
  await app.close();
});

const unknownId = "7d2b4c6e-1f3a-4b5c-8d9e-0a1b2c3d4e5f";
const withKey: { interceptors: Interceptor[] } = {
  interceptors: [
    (next) => (req) => {
      req.header.set("authorization", `Bearer ${testApiKey}`);
      return next(req);
    },
  ],
};

async function expectHealthyAndUntouched(): Promise<void> {
  expect(await app.serving()).toBe(true);
  expect(app.cluster.writes()).toEqual([]);
}

describe("floods", () => {
  it("answers 200 concurrent streams on one HTTP/2 connection (gRPC), each with its code", async () => {
    const client = createClient(UpdateService, createGrpcTransport({ baseUrl: app.baseUrl, ...withKey }));
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) =>
        i % 2 === 0
          ? client.getUpdate({ updateId: unknownId })
          : (async () => {
              for await (const _ of client.watchUpdate({ updateId: unknownId })) break;
            })(),
      ),
    );
    expect(results.map((result) => (result.status === "rejected" ? ConnectError.from(result.reason).code : "ok"))).toEqual(
      Array.from({ length: 200 }, () => Code.NotFound),
    );
    await expectHealthyAndUntouched();
  });

  it("answers 200 concurrent HTTP/1.1 connections (REST and Connect), unauthenticated writes refused", async () => {
    const form = "image=registry.example.com%2Fshop%2Fweb%3A1.5.0&update_classifier=shop";
    const unauthenticatedPost =
      "POST /updates HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
      `Content-Length: ${form.length}\r\n\r\n${form}`;
    const rest = Array.from({ length: 100 }, () => rawExchange(app.port, unauthenticatedPost, 10_000));
    const connect = Array.from({ length: 100 }, () =>
      connectUnary(app.baseUrl, `/${UpdateService.typeName}/GetUpdate`, JSON.stringify({ updateId: unknownId }), "application/json", `Bearer ${testApiKey}`),
    );
    const [restAnswers, connectAnswers] = await Promise.all([Promise.all(rest), Promise.all(connect)]);
    expect(new Set(restAnswers.map((answer) => answer.status))).toEqual(new Set([401]));
    expect(new Set(connectAnswers.map((answer) => answer.code))).toEqual(new Set(["not_found"]));
    await expectHealthyAndUntouched();
  });

  it("refuses an oversized RPC message with RESOURCE_EXHAUSTED and the wrong content type with 415", async () => {
    const client = createClient(UpdateService, createConnectTransport({ baseUrl: app.baseUrl, httpVersion: "2", ...withKey }));
    await expect(client.update({ image: "a".repeat(2 * 1024 * 1024), classifier: "shop" })).rejects.toMatchObject({
      code: Code.ResourceExhausted,
    });
    const wrongType = await fetch(`${app.baseUrl}/${UpdateService.typeName}/Update`, {
      method: "POST",
      headers: { "content-type": "text/plain", authorization: `Bearer ${testApiKey}` },
      body: "image=x",
    });
    expect(wrongType.status).toBe(415);
    await expectHealthyAndUntouched();
  });

  it("ignores unknown JSON fields in Connect requests the way protobuf JSON does, and validates the known ones", async () => {
    const answer = await connectUnary(
      app.baseUrl,
      `/${UpdateService.typeName}/Update`,
      JSON.stringify({ image: "registry.example.com/shop/web", classifier: "shop", surprise: { nested: [1, 2] } }),
      "application/json",
      `Bearer ${testApiKey}`,
    );
    expect(answer.code).toBe("invalid_argument");
    await expectHealthyAndUntouched();
  });
});

describe("slow clients", () => {
  /** Opens a connection that sends `prefix` and then one byte every 50 ms forever; resolves when the server closes it. */
  function dribble(prefix: string): Promise<{ closedAfterMs: number; answer: string }> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const socket = net.connect(app.port, "127.0.0.1");
      let answer = "";
      let sent = 0;
      const drip = setInterval(() => {
        if (sent++ > 200) {
          clearInterval(drip);
          socket.destroy();
          reject(new Error("the server never cut the slow client off"));
          return;
        }
        socket.write("a");
      }, 50);
      socket.write(prefix);
      socket.on("data", (chunk: Buffer) => {
        answer += chunk.toString("latin1");
      });
      socket.on("error", () => {});
      socket.on("close", () => {
        clearInterval(drip);
        resolve({ closedAfterMs: Date.now() - started, answer });
      });
    });
  }

  it("cuts off a client that sends its headers byte by byte (408), while serving others meanwhile", async () => {
    const slow = dribble("GET /updates/x HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    const others = await Promise.all(
      Array.from({ length: 5 }, () =>
        rawExchange(app.port, `GET /updates/${unknownId} HTTP/1.1\r\nHost: x\r\nAuthorization: APIKey ${testApiKey}\r\n\r\n`),
      ),
    );
    expect(others.map((answer) => answer.status)).toEqual([404, 404, 404, 404, 404]);
    const { closedAfterMs, answer } = await slow;
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(closedAfterMs).toBeLessThan(5000);
    await expectHealthyAndUntouched();
  });

  it("cuts off a client that never finishes its body (408)", async () => {
    const { answer } = await dribble(
      `POST /updates HTTP/1.1\r\nHost: x\r\nAuthorization: APIKey ${testApiKey}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\nimage=`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    await expectHealthyAndUntouched();
  });

  it("closes a connection that never says anything", async () => {
    const quiet = createApiServerQuietCheck();
    await expect(quiet).resolves.toBe(true);
  });
});

/** A silent plaintext connection is closed after firstBytesTimeoutMs (the protocol sniffing limit). */
async function createApiServerQuietCheck(): Promise<boolean> {
  const { createApiServer } = await import("../../src/server/api-server.js");
  const server = createApiServer({ routes: () => {}, host: "127.0.0.1", port: 0, firstBytesTimeoutMs: 200 });
  await server.listen();
  try {
    return await new Promise<boolean>((resolve) => {
      const socket = net.connect(server.address().port, "127.0.0.1");
      const timer = setTimeout(() => {
        socket.destroy();
        resolve(false);
      }, 5000);
      socket.on("error", () => {});
      socket.on("close", () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  } finally {
    await server.close();
  }
}
