import type { Duplex } from "node:stream";

/** The bytes every HTTP/2 connection starts with (RFC 9113 §3.4), prior knowledge ("h2c") included. */
export const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/**
 * Reads from a freshly accepted socket until it is clear whether the client speaks HTTP/2 with prior knowledge:
 * resolves `true` once the whole connection preface arrived, `false` as soon as a byte differs from it (an HTTP/1.1
 * request line differs at the first byte). The preface may arrive split across any number of TCP segments.
 *
 * Whatever was read is pushed back with `unshift` and the socket is left paused, so the HTTP server the socket is
 * handed to next sees the stream from its first byte. Rejects if the socket ends or fails before a decision; the
 * caller owns timeouts (a client that connects and stays silent) and destroying the socket.
 */
export function detectHttp2Preface(socket: Duplex): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    let received: Buffer = Buffer.alloc(0);
    const cleanup = () => {
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("close", onEnd);
      socket.off("error", onError);
    };
    const onData = (chunk: Buffer) => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      const compared = Math.min(received.length, HTTP2_PREFACE.length);
      const matches = received.subarray(0, compared).equals(HTTP2_PREFACE.subarray(0, compared));
      if (matches && received.length < HTTP2_PREFACE.length) return;
      cleanup();
      socket.pause();
      socket.unshift(received);
      resolve(matches);
    };
    const onEnd = () => {
      cleanup();
      reject(new Error("connection closed before the first request"));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    socket.on("data", onData);
    socket.on("end", onEnd);
    socket.on("close", onEnd);
    socket.on("error", onError);
  });
}
