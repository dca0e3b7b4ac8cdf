import { setMaxListeners } from "node:events";
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import * as tls from "node:tls";
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { type CoreLogger, silentLogger } from "../core/ports/logger.js";
import { createConnectionDrainer } from "./connection-drainer.js";
import { detectHttp2Preface } from "./http2-preface.js";

type NodeHandler = ReturnType<typeof connectNodeAdapter>;
type NodeServerRequest = Parameters<NodeHandler>[0];
type NodeServerResponse = Parameters<NodeHandler>[1];

/** What the route registration gets besides the router. */
export interface ApiRoutesContext {
  /** Aborted when `close()` starts: streaming handlers end their streams (with OK) when it fires. */
  readonly shutdownSignal: AbortSignal;
}

export interface ApiServerOptions {
  /** Registers the Connect services. Called once, by `createApiServer`. Required. */
  routes: (router: ConnectRouter, context: ApiRoutesContext) => void;
  /** The address to listen on, e.g. "0.0.0.0", "::" or "127.0.0.1". Required. */
  host: string;
  /** The TCP port to listen on; 0 picks a free one (see `address()`). Required. */
  port: number;
  /**
   * The largest request message accepted, in bytes; a larger one fails with RESOURCE_EXHAUSTED before it is
   * buffered. Also caps HTTP/1.1 request bodies declared with a Content-Length on non-RPC paths (413).
   * Default: 1 MiB (connect's own default is ~4 GiB).
   */
  maxRequestBytes?: number;
  /**
   * Serve TLS: HTTP/2 negotiated with ALPN, HTTP/1.1 for clients that do not offer h2. With `clientCa`, a client
   * must present a certificate that CA issued, or the handshake fails (the caller is still identified by its
   * Authorization header). `updateTls()` swaps the material for new connections.
   * Default: none, plaintext HTTP/2 ("h2c" with prior knowledge) and HTTP/1.1 on the same port.
   */
  tls?: TlsMaterial;
  /** Interceptors for every RPC, outermost first. Default: none. */
  interceptors?: Interceptor[];
  /** Where connection-level problems go (RPC logging is an interceptor's job). Default: silent. */
  logger?: CoreLogger;
  /**
   * Handles plain HTTP/1.1 requests for paths that are not RPCs (a REST API, a dashboard). HTTP/2 requests for
   * such paths and everything when this is unset get 404. Default: none.
   */
  http1Fallback?: (request: http.IncomingMessage, response: http.ServerResponse) => void;
  /**
   * How long `close()` waits for in-flight calls and streams before it destroys the connections left.
   * Default: 4000 ms.
   */
  shutdownGraceMs?: number;
  /**
   * How long a new plaintext connection may stay silent before the server can tell HTTP/2 from HTTP/1.1;
   * it is closed after that. Default: 10000 ms.
   */
  firstBytesTimeoutMs?: number;
  /**
   * How long an HTTP/1.1 client may take to send a request's headers (slowloris protection); the connection is
   * closed after that (408 when nothing was answered yet). Checked every second. Default: 10000 ms.
   */
  headersTimeoutMs?: number;
  /**
   * How long an HTTP/1.1 client may take to send a whole request, headers and body (streams the server sends
   * are not limited). Default: 30000 ms.
   */
  requestTimeoutMs?: number;
  /**
   * HTTP/2 limits per connection, so that one client cannot hold unbounded server memory: concurrent streams
   * (RPCs and WatchUpdate streams; more are refused with REFUSED_STREAM), the size of a request's header list, and
   * the session's buffered memory (beyond it new streams are refused until it drains).
   * Default: 100 streams, 16 KiB of headers, 10 MiB per session.
   */
  http2Limits?: { readonly maxConcurrentStreams?: number; readonly maxHeaderListBytes?: number; readonly maxSessionMemoryMiB?: number };
}

/** PEM material for the API port's TLS. */
export interface TlsMaterial {
  /** The certificate chain. */
  readonly cert: Buffer;
  readonly key: Buffer;
  /** CAs whose client certificates are accepted; when set, clients must present one. Default: none required. */
  readonly clientCa?: Buffer;
}

/** The API port: gRPC, gRPC-Web and Connect over HTTP/2 and HTTP/1.1, on one listening socket. */
export interface ApiServer {
  /** Starts listening; resolves once the port is bound. */
  listen(): Promise<void>;
  /** The bound address (the actual port when `port` was 0). Throws before `listen()` resolved. */
  address(): { host: string; port: number };
  /**
   * Shuts down gracefully: stops accepting connections, aborts `shutdownSignal` so streams end cleanly, lets
   * in-flight unary calls finish, sends GOAWAY to HTTP/2 clients and closes idle connections, and destroys
   * whatever is still open after `shutdownGraceMs`. Idempotent.
   */
  close(): Promise<void>;
  /** Aborted when `close()` starts. The same signal `routes` receives. */
  readonly shutdownSignal: AbortSignal;
  /**
   * Serves new TLS connections with this material; open connections keep theirs. Throws (and keeps the old
   * material) when it is unusable, e.g. a key that does not match the certificate; throws without TLS.
   */
  updateTls(material: TlsMaterial): void;
}

export const defaultMaxRequestBytes = 1024 * 1024;
export const defaultShutdownGraceMs = 4000;
export const defaultHeadersTimeoutMs = 10_000;
export const defaultRequestTimeoutMs = 30_000;

/** The secure-context options of the material; `tls.createSecureContext` checks that key and certificate match. */
function secureContextOptions(material: TlsMaterial): tls.SecureContextOptions {
  return { cert: material.cert, key: material.key, ...(material.clientCa === undefined ? {} : { ca: material.clientCa }) };
}

/**
 * Creates the API server. Without TLS, one TCP listener peeks at each connection's first bytes: the HTTP/2
 * preface hands it to an HTTP/2 server (gRPC needs HTTP/2), anything else to an HTTP/1.1 server (Connect and
 * gRPC-Web from browsers, curl, the REST drop-in). With TLS, ALPN makes the same choice.
 */
export function createApiServer(options: ApiServerOptions): ApiServer {
  const logger = options.logger ?? silentLogger;
  const maxRequestBytes = options.maxRequestBytes ?? defaultMaxRequestBytes;
  const shutdownGraceMs = options.shutdownGraceMs ?? defaultShutdownGraceMs;
  const firstBytesTimeoutMs = options.firstBytesTimeoutMs ?? 10_000;
  const headersTimeoutMs = options.headersTimeoutMs ?? defaultHeadersTimeoutMs;
  // Node requires requestTimeout >= headersTimeout.
  const requestTimeoutMs = Math.max(options.requestTimeoutMs ?? defaultRequestTimeoutMs, headersTimeoutMs);
  // How often Node checks those timeouts (its default, 30 s, would let a slow client keep a socket for long).
  const connectionsCheckingInterval = Math.min(1000, headersTimeoutMs);
  const shutdown = new AbortController();
  // Every open WatchUpdate stream listens to it (removed when the stream ends); Node's leak warning past 10 listeners
  // would be a false alarm on a busy replica.
  setMaxListeners(0, shutdown.signal);
  const drainer = createConnectionDrainer();
  const { http1Fallback } = options;

  const handleRpc = connectNodeAdapter({
    routes: (router) => options.routes(router, { shutdownSignal: shutdown.signal }),
    readMaxBytes: maxRequestBytes,
    interceptors: options.interceptors ?? [],
    fallback: (request, response) => handleNonRpc(request, response),
  });

  function handleNonRpc(request: NodeServerRequest, response: NodeServerResponse): void {
    if (http1Fallback === undefined) {
      response.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      response.end("not found\n");
      return;
    }
    // HTTP/2 reaches the plain handlers too: browsers speak HTTP/2 on a TLS port (ALPN), and the
    // dashboard must load there. Node's HTTP/2 compatibility objects carry the request/response
    // surface the handlers use (url, method, headers, writeHead, setHeader, end).
    const plainRequest = request as http.IncomingMessage;
    const plainResponse = response as unknown as http.ServerResponse;
    const declared = Number(plainRequest.headers["content-length"] ?? 0);
    if (declared > maxRequestBytes) {
      // `connection` is a hop-by-hop header HTTP/2 forbids.
      const headers: http.OutgoingHttpHeaders = { "content-type": "text/plain; charset=utf-8" };
      if (request.httpVersionMajor === 1) headers.connection = "close";
      plainResponse.writeHead(413, headers);
      plainResponse.end(`request body larger than ${maxRequestBytes} bytes\n`);
      return;
    }
    http1Fallback(plainRequest, plainResponse);
  }

  const onRequest = (request: NodeServerRequest, response: NodeServerResponse) => {
    if (request.httpVersionMajor === 1) {
      drainer.trackHttp1Request(request.socket as net.Socket, response as unknown as http.ServerResponse);
    }
    handleRpc(request, response);
  };

  // Node creates the session synchronously while it handles 'connection' (plaintext) or 'secureConnection'
  // (TLS, before listeners added here run), so the newest session belongs to the socket just handed over.
  let newestSession: http2.ServerHttp2Session | undefined;
  const onSession = (session: http2.ServerHttp2Session) => {
    newestSession = session;
    session.on("error", (error) => logger.debug({ err: error }, "http/2 session failed"));
  };
  const takeNewestSession = () => {
    const session = newestSession;
    newestSession = undefined;
    return session;
  };

  const h2Options: http2.ServerOptions = {
    settings: {
      maxConcurrentStreams: options.http2Limits?.maxConcurrentStreams ?? 100,
      maxHeaderListSize: options.http2Limits?.maxHeaderListBytes ?? 16 * 1024,
    },
    maxSessionMemory: options.http2Limits?.maxSessionMemoryMiB ?? 10,
  };
  let listener: net.Server;
  let secureServer: http2.Http2SecureServer | undefined;
  if (options.tls === undefined) {
    const h2 = http2.createServer(h2Options, onRequest);
    const h1 = http.createServer(
      { headersTimeout: headersTimeoutMs, requestTimeout: requestTimeoutMs, connectionsCheckingInterval },
      onRequest,
    );
    h2.on("session", onSession);
    listener = net.createServer((socket) => {
      if (drainer.draining) {
        socket.destroy();
        return;
      }
      drainer.trackUndecided(socket);
      socket.setTimeout(firstBytesTimeoutMs, () => socket.destroy());
      detectHttp2Preface(socket).then(
        (isHttp2) => {
          socket.setTimeout(0);
          if (drainer.draining) {
            socket.destroy();
            return;
          }
          if (isHttp2) {
            // The HTTP/2 session reads what was pushed back by itself.
            h2.emit("connection", socket);
            const session = takeNewestSession();
            if (session === undefined) socket.destroy();
            else drainer.trackHttp2(socket, session);
            return;
          }
          drainer.trackHttp1(socket);
          h1.emit("connection", socket);
          // detectHttp2Preface leaves the socket paused; the HTTP/1.1 server does not resume it by itself.
          socket.resume();
        },
        (error: unknown) => {
          logger.debug({ err: error }, "connection closed before its protocol was known");
          socket.destroy();
        },
      );
    });
    // Node's HTTP/1.1 server arms its header and request timeouts (slow-client protection) on 'listening',
    // which it never sees itself because connections are handed to it.
    listener.on("listening", () => h1.emit("listening"));
    listener.on("close", () => h1.close());
  } else {
    const requireClientCert = options.tls.clientCa !== undefined;
    const secure = http2.createSecureServer(
      {
        ...h2Options,
        ...secureContextOptions(options.tls),
        allowHTTP1: true,
        ALPNProtocols: ["h2", "http/1.1"],
        requestCert: requireClientCert,
        rejectUnauthorized: requireClientCert,
      },
      onRequest,
    );
    // The same slow-client limits for HTTP/1.1 over TLS (Node reads them when the server starts listening).
    Object.assign(secure, { headersTimeout: headersTimeoutMs, requestTimeout: requestTimeoutMs, connectionsCheckingInterval });
    secureServer = secure;
    secure.on("session", onSession);
    secure.on("connection", (socket: net.Socket) => drainer.trackUndecided(socket));
    secure.on("secureConnection", (socket: net.Socket & { alpnProtocol?: string | false }) => {
      const session = takeNewestSession();
      if (socket.alpnProtocol === "h2" && session !== undefined) drainer.trackHttp2(socket, session);
      else drainer.trackHttp1(socket);
    });
    secure.on("tlsClientError", (error) => logger.debug({ err: error }, "tls handshake failed"));
    listener = secure;
  }
  listener.on("error", (error) => logger.error({ err: error }, "api server listener failed"));

  let closing: Promise<void> | undefined;

  return {
    shutdownSignal: shutdown.signal,
    updateTls(material) {
      if (secureServer === undefined) throw new Error("the API server was created without TLS");
      const context = secureContextOptions(material);
      // Throws on a bad pair before anything changes.
      tls.createSecureContext(context);
      secureServer.setSecureContext(context);
    },
    listen() {
      return new Promise<void>((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        listener.once("error", onError);
        listener.listen(options.port, options.host, () => {
          listener.off("error", onError);
          resolve();
        });
      });
    },
    address() {
      const address = listener.address() as AddressInfo | null;
      if (address === null) throw new Error("the API server is not listening");
      return { host: address.address, port: address.port };
    },
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => {
          if (!listener.listening) resolve();
          else listener.close(() => resolve());
        });
        shutdown.abort();
        await drainer.drain(shutdownGraceMs);
        await stopped;
      })();
      return closing;
    },
  };
}
