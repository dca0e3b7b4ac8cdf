import type http from "node:http";

/**
 * A plain HTTP/1.1 handler mounted beside the RPC routes on the API port (the original's REST API,
 * the dashboard). Returns false when the request is not its own, so the next one may take it.
 */
export type Http1Handler = (request: http.IncomingMessage, response: http.ServerResponse) => boolean;

/** Tries each handler in order; a request none of them takes gets a plain 404. */
export function createHttp1Router(handlers: readonly Http1Handler[]) {
  return (request: http.IncomingMessage, response: http.ServerResponse): void => {
    for (const handler of handlers) {
      if (handler(request, response)) return;
    }
    response.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
    response.end("not found\n");
  };
}
