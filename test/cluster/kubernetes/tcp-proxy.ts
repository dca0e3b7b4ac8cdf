import { createConnection, createServer, type Socket } from "node:net";

/**
 * A loopback TCP proxy in front of the API server whose connections a test can cut, and which it
 * can make refuse new ones: a real broken network between a client and the server (TLS passes
 * through untouched; the server certificate names 127.0.0.1, which the proxy listens on too).
 */
export interface TcpProxy {
  /** `https://127.0.0.1:<port>`. */
  readonly url: string;
  /** Connections accepted so far. */
  accepted(): number;
  /** Destroys every open connection (both sides), like a dropped network link. */
  cut(): void;
  /** While true, new connections are reset as soon as they are accepted. */
  refuse(refusing: boolean): void;
  /** Resolves once `count` connections were refused in all; rejects after `timeoutMs`. */
  whenRefused(count: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: URL): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let refusing = false;
  let accepted = 0;
  let refused = 0;
  const refusalWaiters = new Set<() => void>();
  const server = createServer((client) => {
    accepted++;
    if (refusing) {
      refused++;
      client.resetAndDestroy();
      for (const waiter of [...refusalWaiters]) waiter();
      return;
    }
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  const cut = () => {
    for (const socket of sockets) socket.resetAndDestroy();
    sockets.clear();
  };
  return {
    url: `${target.protocol}//127.0.0.1:${port}`,
    accepted: () => accepted,
    cut,
    refuse(value) {
      refusing = value;
    },
    whenRefused(count, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (refused < count) return;
          clearTimeout(timer);
          refusalWaiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          refusalWaiters.delete(check);
          reject(new Error(`only ${refused} of ${count} connections were refused within ${timeoutMs} ms`));
        }, timeoutMs);
        refusalWaiters.add(check);
        check();
      });
    },
    close() {
      cut();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
