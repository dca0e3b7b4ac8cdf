import { type ClientRequest, type IncomingMessage, request as httpRequest, STATUS_CODES } from "node:http";
import { request as httpsRequest, type RequestOptions } from "node:https";
import type { KubeConnection } from "./kube-connection.js";

/** One line of a watch: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR (then `object` is a Status). */
export type WatchEventHandler = (type: string, object: unknown) => void;

/** A running watch. */
export interface WatchStream {
  /** Ends it; `done` is then called with no error (if it was not called already). */
  abort(): void;
}

/** An HTTP answer other than 200 to a watch request. */
export class WatchRequestError extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: string,
  ) {
    super(STATUS_CODES[statusCode] ?? `HTTP ${statusCode}`);
    this.name = "WatchRequestError";
  }
}

/** Largest watch line kept: beyond it the watch is ended with an error instead of growing without bound. */
const maxLineBytes = 16 * 1024 * 1024;

/**
 * `GET <path>?watch=true&...` with the connection's credentials, calling `onEvent` for each JSON line and `done`
 * exactly once when the stream ends: with no error when the server closed it or `abort()` was called, with the error
 * otherwise (a non-200 answer is a WatchRequestError carrying `statusCode`, as client-node's Watch reports it). Resolves
 * once the server answered 200, or after `done` was called when it did not (refused, unreachable). What client-node's Watch does, on node:http instead of node-fetch (whose
 * URL parser alone costs about 13 MiB of memory).
 */
export async function startWatch(
  connection: KubeConnection,
  path: string,
  query: Readonly<Record<string, string | undefined>>,
  onEvent: WatchEventHandler,
  done: (error: unknown) => void,
): Promise<WatchStream> {
  let finished = false;
  let request: ClientRequest | undefined;
  const finish = (error: unknown): void => {
    if (finished) return;
    finished = true;
    request?.destroy();
    done(error);
  };
  const stream: WatchStream = { abort: () => finish(null) };
  try {
    const cluster = connection.getCurrentCluster();
    if (cluster === null) throw new Error("the kubeconfig has no current cluster");
    const url = new URL(cluster.server.replace(/\/+$/, "") + path);
    url.searchParams.set("watch", "true");
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, value);
    const options: RequestOptions = { method: "GET", headers: { accept: "application/json" } };
    await connection.applyToHTTPSOptions(options);
    if (finished) return stream; // aborted meanwhile
    const send = url.protocol === "http:" ? httpRequest : httpsRequest;
    await new Promise<void>((resolve) => {
      request = send(url, options, (response: IncomingMessage) => {
        if (response.statusCode !== 200) {
          // Reported before this resolves, so that a refused watch is told apart from one that ended later.
          const chunks: Buffer[] = [];
          const refused = (error?: unknown) => {
            finish(error ?? new WatchRequestError(response.statusCode ?? 0, Buffer.concat(chunks).toString("utf8")));
            resolve();
          };
          response.on("data", (chunk: Buffer) => chunks.length < 64 && chunks.push(chunk));
          response.on("end", () => refused());
          response.on("error", refused);
          response.on("close", () => refused());
          return;
        }
        resolve();
        // Long-lived: keep the connection's TCP keep-alive probing, as client-node does.
        response.socket?.setKeepAlive(true, 30_000);
        response.setEncoding("utf8");
        let pending = "";
        response.on("data", (chunk: string) => {
          pending += chunk;
          let newline = pending.indexOf("\n");
          while (newline !== -1 && !finished) {
            const line = pending.slice(0, newline);
            pending = pending.slice(newline + 1);
            deliver(line);
            newline = pending.indexOf("\n");
          }
          if (pending.length > maxLineBytes) finish(new Error(`a watch line of ${path} is longer than ${maxLineBytes} bytes`));
        });
        response.on("end", () => {
          if (pending.trim() !== "") deliver(pending);
          finish(null);
        });
        response.on("error", finish);
        response.on("close", () => finish(null));
      });
      request.on("error", (error) => {
        resolve();
        finish(error);
      });
      request.on("close", () => resolve());
      request.end();
    });
  } catch (error) {
    finish(error);
  }
  return stream;

  function deliver(line: string): void {
    if (line.trim() === "") return;
    let event: { type?: unknown; object?: unknown };
    try {
      event = JSON.parse(line) as { type?: unknown; object?: unknown };
    } catch {
      return; // As client-node: a line that is not JSON is skipped.
    }
    if (typeof event.type === "string") onEvent(event.type, event.object);
  }
}
