/** Raw Connect protocol requests over HTTP/1.1 (fetch), for bytes no generated client would send. */

export interface ConnectAnswer {
  readonly httpStatus: number;
  /** The Connect error code (`invalid_argument`, ...), or "ok". */
  readonly code: string;
  readonly message: string;
}

/** A unary call: `application/proto` or `application/json` body as given. */
export async function connectUnary(
  baseUrl: string,
  path: string,
  body: Uint8Array | string,
  contentType: "application/proto" | "application/json",
  authorization: string,
): Promise<ConnectAnswer> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": contentType, authorization },
    body,
    signal: AbortSignal.timeout(5000),
  });
  const text = Buffer.from(await response.arrayBuffer()).toString("utf8");
  if (response.status === 200) return { httpStatus: 200, code: "ok", message: "" };
  const parsed = JSON.parse(text) as { code?: string; message?: string };
  return { httpStatus: response.status, code: parsed.code ?? "", message: parsed.message ?? "" };
}

/** A server-streaming call with one enveloped request message; the code from the end-of-stream message. */
export async function connectServerStream(
  baseUrl: string,
  path: string,
  message: Uint8Array,
  authorization: string,
): Promise<ConnectAnswer> {
  const envelope = new Uint8Array(5 + message.length);
  new DataView(envelope.buffer).setUint32(1, message.length);
  envelope.set(message, 5);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 5000);
  try {
    const response = await fetch(`${baseUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/connect+proto", authorization },
      body: envelope,
      signal: controller.signal,
    });
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (response.status !== 200) {
      const parsed = JSON.parse(Buffer.from(bytes).toString("utf8")) as { code?: string; message?: string };
      return { httpStatus: response.status, code: parsed.code ?? "", message: parsed.message ?? "" };
    }
    // The last envelope (flag 0x02) is the end-of-stream JSON.
    let at = 0;
    let end: { error?: { code: string; message?: string } } = {};
    while (at + 5 <= bytes.length) {
      const flags = bytes[at] as number;
      const length = new DataView(bytes.buffer, bytes.byteOffset + at + 1, 4).getUint32(0);
      if ((flags & 0x02) !== 0) end = JSON.parse(Buffer.from(bytes.subarray(at + 5, at + 5 + length)).toString("utf8"));
      at += 5 + length;
    }
    return { httpStatus: 200, code: end.error?.code ?? "ok", message: end.error?.message ?? "" };
  } finally {
    clearTimeout(timer);
  }
}
