import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { detectHttp2Preface, HTTP2_PREFACE } from "../../src/server/http2-preface.js";

/** Lets pending stream events and promise callbacks run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

async function readAll(stream: PassThrough): Promise<Buffer> {
  stream.end();
  const chunks: Buffer[] = [];
  stream.resume();
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe("detectHttp2Preface", () => {
  it("waits for the whole preface when it arrives byte by byte, then gives every byte back", async () => {
    const socket = new PassThrough();
    let decided: boolean | undefined;
    const detection = detectHttp2Preface(socket).then((isHttp2) => {
      decided = isHttp2;
    });
    for (const byte of HTTP2_PREFACE.subarray(0, -1)) {
      socket.write(Buffer.from([byte]));
      await settle();
      expect(decided).toBeUndefined();
    }
    socket.write(Buffer.concat([HTTP2_PREFACE.subarray(-1), Buffer.from("frames")]));
    await detection;
    expect(decided).toBe(true);
    expect((await readAll(socket)).toString("latin1")).toBe(`${HTTP2_PREFACE.toString("latin1")}frames`);
  });

  it("decides HTTP/1.1 at the first differing byte without waiting for more", async () => {
    const socket = new PassThrough();
    const detection = detectHttp2Preface(socket);
    socket.write("GET / HTTP/1.1\r\n");
    expect(await detection).toBe(false);
    expect((await readAll(socket)).toString("latin1")).toBe("GET / HTTP/1.1\r\n");
  });

  it("decides HTTP/1.1 for a request that starts like the preface and then differs", async () => {
    const socket = new PassThrough();
    const detection = detectHttp2Preface(socket);
    socket.write("PRI");
    await settle();
    socket.write("NT / HTTP/1.1\r\n");
    expect(await detection).toBe(false);
    expect((await readAll(socket)).toString("latin1")).toBe("PRINT / HTTP/1.1\r\n");
  });

  it("rejects when the client goes away before the first request", async () => {
    const socket = new PassThrough();
    const detection = detectHttp2Preface(socket);
    socket.write("PRI *");
    socket.end();
    socket.resume();
    await expect(detection).rejects.toThrow(/closed before the first request/);
  });
});
