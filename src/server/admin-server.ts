import * as http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Registry } from "prom-client";
import { type CoreLogger, silentLogger } from "../core/ports/logger.js";

/**
 * The answer of a readiness check: ready, or not with a short reason for humans (shown in the 503 body), and
 * `detail` lines about degraded parts that do not decide readiness (shown either way, one per line).
 */
export type Readiness = boolean | { ready: boolean; reason?: string; detail?: readonly string[] };

export interface AdminServerOptions {
  /** The address to listen on. Required. */
  host: string;
  /** The TCP port to listen on; 0 picks a free one (see `address()`). Required (the process default is 9090). */
  port: number;
  /**
   * Whether the process should get traffic, asked on every `/readyz` (keep it cheap): e.g. caches synced and not
   * shutting down. A function that throws counts as not ready. Default: always ready.
   */
  ready?: () => Readiness;
  /** Served as Prometheus text on `/metrics`. Default: none, `/metrics` answers 404. */
  metrics?: Registry;
  /** Where failures of the metrics collection go. Default: silent. */
  logger?: CoreLogger;
}

/** The admin port: probes and metrics, kept apart from the API so that neither can starve the other. */
export interface AdminServer {
  /** Starts listening; resolves once the port is bound. */
  listen(): Promise<void>;
  /** The bound address (the actual port when `port` was 0). Throws before `listen()` resolved. */
  address(): { host: string; port: number };
  /** Stops accepting and closes every connection (scrapes and probes are short). Idempotent. */
  close(): Promise<void>;
}

/**
 * Creates the admin HTTP/1.1 server:
 * - `GET /healthz`: 200 while the process runs (liveness: restart it when this fails),
 * - `GET /readyz`: 200 when `ready()` says so, else 503 with the reason (readiness: route traffic elsewhere); either
 *   way followed by the detail lines,
 * - `GET /metrics`: the registry in the Prometheus text format,
 * - anything else: 404 (and 405 for other methods on the paths above).
 */
export function createAdminServer(options: AdminServerOptions): AdminServer {
  const logger = options.logger ?? silentLogger;
  const { metrics } = options;
  const ready = options.ready ?? (() => true);
  /** Open connections and how many requests each has in flight. */
  const sockets = new Map<Socket, number>();
  let closing: Promise<void> | undefined;

  const send = (response: http.ServerResponse, status: number, body: string, contentType = "text/plain; charset=utf-8") => {
    response.writeHead(status, { "content-type": contentType, "cache-control": "no-store" });
    response.end(body);
  };

  const readiness = (): { ready: boolean; reason: string; detail: readonly string[] } => {
    try {
      const answer = ready();
      if (typeof answer === "boolean") return { ready: answer, reason: answer ? "" : "not ready", detail: [] };
      return { ready: answer.ready, reason: answer.reason ?? (answer.ready ? "" : "not ready"), detail: answer.detail ?? [] };
    } catch (error) {
      return {
        ready: false,
        reason: `readiness check failed: ${error instanceof Error ? error.message : String(error)}`,
        detail: [],
      };
    }
  };

  const server = http.createServer((request, response) => {
    const socket = request.socket;
    sockets.set(socket, (sockets.get(socket) ?? 0) + 1);
    response.once("close", () => {
      const inFlight = (sockets.get(socket) ?? 1) - 1;
      sockets.set(socket, inFlight);
      if (closing !== undefined && inFlight === 0) socket.destroySoon();
    });
    const path = new URL(request.url ?? "/", "http://admin").pathname;
    const known = path === "/healthz" || path === "/readyz" || (path === "/metrics" && metrics !== undefined);
    if (!known) {
      send(response, 404, "not found\n");
      return;
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.setHeader("allow", "GET, HEAD");
      send(response, 405, "method not allowed\n");
      return;
    }
    if (path === "/healthz") {
      send(response, 200, "ok\n");
    } else if (path === "/readyz") {
      const { ready: isReady, reason, detail } = readiness();
      const body = [isReady ? "ready" : `not ready: ${reason}`, ...detail].map((line) => `${line}\n`).join("");
      send(response, isReady ? 200 : 503, body);
    } else if (metrics !== undefined) {
      metrics.metrics().then(
        (text) => send(response, 200, text, metrics.contentType),
        (error: unknown) => {
          logger.error({ err: error }, "collecting metrics failed");
          send(response, 500, "collecting metrics failed\n");
        },
      );
    }
  });
  server.on("connection", (socket: Socket) => {
    sockets.set(socket, 0);
    socket.once("close", () => sockets.delete(socket));
  });

  return {
    listen() {
      return new Promise<void>((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        server.once("error", onError);
        server.listen(options.port, options.host, () => {
          server.off("error", onError);
          resolve();
        });
      });
    },
    address() {
      const address = server.address() as AddressInfo | null;
      if (address === null) throw new Error("the admin server is not listening");
      return { host: address.address, port: address.port };
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        if (!server.listening) {
          resolve();
          return;
        }
        server.close(() => resolve());
        // A probe or scrape in flight gets its answer; idle keep-alive connections are not waited for.
        for (const [socket, inFlight] of sockets) if (inFlight === 0) socket.destroy();
      });
      return closing;
    },
  };
}
