import type * as http2 from "node:http2";
import type { Socket } from "node:net";

/**
 * Keeps track of every connection a server holds so that shutdown can be graceful first and forceful last:
 * idle connections go away at once, in-flight requests get to finish, and nothing outlives the grace period.
 * Node's own `server.close()` only stops accepting; it neither closes HTTP/2 sessions nor idle HTTP/1.1 sockets
 * of connections a server received through a `'connection'` event, which is how the API port hands them over.
 */
export interface ConnectionDrainer {
  /** True once `drain` was called. */
  readonly draining: boolean;
  /**
   * An HTTP/2 connection and its session. Draining sends GOAWAY and lets open streams finish; the socket is
   * closed when the session is, even if the client keeps its side open. One that arrives while draining is
   * closed at once.
   */
  trackHttp2(socket: Socket, session: http2.Http2Session): void;
  /** An HTTP/1.1 connection, idle while it has no request in flight. One that arrives while draining is closed. */
  trackHttp1(socket: Socket): void;
  /** A request on an HTTP/1.1 connection: the connection is busy until the response closes. */
  trackHttp1Request(socket: Socket, response: { once(event: "close", listener: () => void): unknown }): void;
  /**
   * A connection whose protocol is not known yet (first bytes or TLS handshake pending). Draining does not
   * wait for it: it is destroyed when draining ends if it is still open and was not tracked otherwise.
   */
  trackUndecided(socket: Socket): void;
  /**
   * Closes idle connections, sends HTTP/2 GOAWAY, closes busy HTTP/1.1 connections after their response, and
   * resolves once every tracked connection closed, destroying whatever is left after `graceMs`. Idempotent.
   */
  drain(graceMs: number): Promise<void>;
}

/** How long an HTTP/2 connection stays open after its last frame went out during a drain. */
const http2LingerMs = 100;

interface Tracked {
  /** The HTTP/2 session, for HTTP/2 connections. */
  session?: http2.Http2Session;
  /** Requests in flight, for HTTP/1.1 connections. */
  inFlight: number;
}

export function createConnectionDrainer(): ConnectionDrainer {
  const connections = new Map<Socket, Tracked>();
  const undecided = new Set<Socket>();
  let draining: Promise<void> | undefined;
  let onAllClosed: (() => void) | undefined;

  const track = (socket: Socket, tracked: Tracked) => {
    undecided.delete(socket);
    connections.set(socket, tracked);
    socket.once("close", () => {
      connections.delete(socket);
      if (connections.size === 0) onAllClosed?.();
    });
  };

  const closeGracefully = (socket: Socket, tracked: Tracked) => {
    const { session } = tracked;
    if (session === undefined) {
      if (tracked.inFlight === 0) socket.destroy();
      return;
    }
    // The session ends once its open streams have; a client that never closes its side of the connection
    // (some keep a session for reuse until they see it fail) must not hold up the shutdown.
    // Node ends the socket once the session has no more streams, then waits for the client to close its side,
    // which some clients never do while they are idle. Once our side finished, GOAWAY and every response went
    // out; a short linger lets the client read them before a close that could turn into a reset.
    const linger = () => setTimeout(() => socket.destroy(), http2LingerMs).unref();
    if (socket.writableFinished) linger();
    else socket.once("finish", linger);
    if (!session.closed) session.close();
  };

  return {
    get draining() {
      return draining !== undefined;
    },
    trackHttp2(socket, session) {
      const tracked: Tracked = { session, inFlight: 0 };
      track(socket, tracked);
      if (draining !== undefined) closeGracefully(socket, tracked);
    },
    trackHttp1(socket) {
      const tracked: Tracked = { inFlight: 0 };
      track(socket, tracked);
      if (draining !== undefined) closeGracefully(socket, tracked);
    },
    trackHttp1Request(socket, response) {
      const tracked = connections.get(socket);
      if (tracked === undefined) return;
      tracked.inFlight++;
      response.once("close", () => {
        tracked.inFlight--;
        // destroySoon (not destroy) lets the response bytes already written reach the client.
        if (draining !== undefined && tracked.inFlight === 0) socket.destroySoon();
      });
    },
    trackUndecided(socket) {
      undecided.add(socket);
      socket.once("close", () => undecided.delete(socket));
    },
    drain(graceMs) {
      draining ??= new Promise<void>((resolve) => {
        let timer: NodeJS.Timeout | undefined;
        const finish = () => {
          onAllClosed = undefined;
          clearTimeout(timer);
          for (const [socket, { session }] of connections) {
            session?.destroy();
            socket.destroy();
          }
          for (const socket of undecided) socket.destroy();
          resolve();
        };
        onAllClosed = finish;
        timer = setTimeout(finish, graceMs);
        for (const [socket, tracked] of connections) closeGracefully(socket, tracked);
        if (connections.size === 0) finish();
      });
      return draining;
    },
  };
}
