import type http from "node:http";
import { RestProblem } from "./rest-error.js";

export interface ReadFormOptions {
  /** The largest body accepted, counted as it arrives (chunked bodies too); 413 beyond. Required. */
  readonly maxBytes: number;
  /** The field names accepted; any other is refused (400), so a typo cannot pass unnoticed. Required. */
  readonly fields: readonly string[];
}

const formType = "application/x-www-form-urlencoded";

/**
 * Reads an `application/x-www-form-urlencoded` body (what the original CLI sends) into its fields.
 * Refuses, as a RestProblem: another content type or a content encoding (415), a body larger than
 * `maxBytes` (413, before more is buffered), bytes that are not UTF-8, malformed percent-escapes,
 * unknown or repeated fields (400). Empty fields count as absent.
 */
export async function readFormBody(request: http.IncomingMessage, options: ReadFormOptions): Promise<Map<string, string>> {
  checkContentType(request.headers["content-type"]);
  const encoding = request.headers["content-encoding"];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== "identity") {
    throw new RestProblem(415, "UNSUPPORTED_MEDIA_TYPE", "compressed request bodies are not accepted: send the form uncompressed");
  }
  const body = await readBody(request, options.maxBytes);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    throw invalid("the form is not UTF-8");
  }
  return parseForm(text, options.fields);
}

function checkContentType(header: string | undefined): void {
  const [type = "", ...parameters] = (header ?? "").split(";").map((part) => part.trim().toLowerCase());
  const charset = parameters.find((parameter) => parameter.startsWith("charset="))?.slice("charset=".length).replace(/"/g, "");
  if (type !== formType || (charset !== undefined && charset !== "utf-8" && charset !== "utf8")) {
    throw new RestProblem(
      415,
      "UNSUPPORTED_MEDIA_TYPE",
      `send the fields as ${formType} (UTF-8)${header === undefined ? "" : `, not ${JSON.stringify(header.slice(0, 100))}`}`,
    );
  }
}

/**
 * A request's body, counted as it arrives (chunked bodies too): a RestProblem 413 naming `what` once it passes
 * `maxBytes`, before more is buffered.
 */
export function readBody(request: http.IncomingMessage, maxBytes: number, what = "the form"): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (error: Error | undefined) => {
      if (settled) return;
      settled = true;
      request.off("data", onData);
      if (error === undefined) resolve(Buffer.concat(chunks, size));
      else reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        // Stop buffering; the answer closes the connection, which drops the rest.
        request.pause();
        settle(new RestProblem(413, "BODY_TOO_LARGE", `${what} is larger than ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    request.on("data", onData);
    request.once("end", () => settle(undefined));
    request.once("error", (error) => settle(error));
    request.once("close", () => settle(new Error("the client closed the connection before the body ended")));
  });
}

function parseForm(text: string, allowed: readonly string[]): Map<string, string> {
  const fields = new Map<string, string>();
  const seen = new Set<string>();
  for (const pair of text.split("&")) {
    if (pair === "") continue;
    const equals = pair.indexOf("=");
    const name = decode(equals === -1 ? pair : pair.slice(0, equals));
    const value = equals === -1 ? "" : decode(pair.slice(equals + 1));
    if (!allowed.includes(name)) {
      throw invalid(`unknown field ${JSON.stringify(name.slice(0, 64))}: the fields are ${allowed.join(", ")}`);
    }
    if (seen.has(name)) throw invalid(`field ${name} is given more than once`);
    seen.add(name);
    if (value !== "") fields.set(name, value);
  }
  return fields;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    throw invalid("the form has a malformed percent-escape");
  }
}

function invalid(message: string): RestProblem {
  return new RestProblem(400, "INVALID_ARGUMENT", message);
}
