import * as net from "node:net";

/** One HTTP/1.1 response as it came off the wire. */
export interface RawResponse {
  readonly status: number;
  /** Lower-cased names; the last value wins. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Sends `request` byte for byte on a new connection and reads one response (Content-Length or
 * chunked body, or until the server closes). For replaying exactly what another client sends.
 */
export function rawExchange(port: number, request: string | Buffer, timeoutMs = 5000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let buffer = Buffer.alloc(0);
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      const parsed = error === undefined ? parse(buffer, true) : undefined;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (parsed !== undefined) resolve(parsed);
      else reject(error ?? new Error(`incomplete response: ${JSON.stringify(buffer.toString("latin1").slice(0, 200))}`));
    };
    const timer = setTimeout(() => finish(new Error("no complete response in time")), timeoutMs);
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const parsed = parse(buffer, false);
      if (parsed !== undefined) {
        done = true;
        clearTimeout(timer);
        socket.destroy();
        resolve(parsed);
      }
    });
    socket.on("error", (error) => (buffer.length > 0 ? finish() : finish(error)));
    socket.on("close", () => finish());
    socket.write(request);
  });
}

function parse(buffer: Buffer, ended: boolean): RawResponse | undefined {
  const headEnd = buffer.indexOf("\r\n\r\n");
  if (headEnd === -1) return undefined;
  const [statusLine = "", ...lines] = buffer.subarray(0, headEnd).toString("latin1").split("\r\n");
  const status = Number(statusLine.split(" ")[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = buffer.subarray(headEnd + 4);
  if (headers["content-length"] !== undefined) {
    const length = Number(headers["content-length"]);
    if (rest.length < length) return undefined;
    return { status, headers, body: rest.subarray(0, length).toString("utf8") };
  }
  if (headers["transfer-encoding"] === "chunked") {
    const text = rest.toString("latin1");
    if (!text.includes("0\r\n\r\n")) return undefined;
    let body = "";
    let at = 0;
    for (;;) {
      const lineEnd = text.indexOf("\r\n", at);
      const size = Number.parseInt(text.slice(at, lineEnd), 16);
      if (size === 0) break;
      body += text.slice(lineEnd + 2, lineEnd + 2 + size);
      at = lineEnd + 2 + size + 2;
    }
    return { status, headers, body: Buffer.from(body, "latin1").toString("utf8") };
  }
  if (status === 204 || status === 304) return { status, headers, body: "" };
  return ended ? { status, headers, body: rest.toString("utf8") } : undefined;
}
