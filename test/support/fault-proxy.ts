import { createServer, type Server } from "node:https";
import { request as httpsRequest } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { createTestPki, type TestPki } from "../server/test-certificates.js";

/** One request as the proxy saw it, before it decided what to do with it. */
export interface ProxiedRequest {
  readonly method: string;
  /** Path without the query, e.g. `/apis/apps/v1/namespaces/shop/deployments/web`. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly userAgent: string;
  /** True for `?watch=true` (or `watch=1`). */
  readonly watch: boolean;
  /** The request body (empty for reads), as text. */
  readonly body: string;
}

/**
 * What the proxy does to a matching request instead of passing it on unchanged.
 * - `status`: answers itself with that HTTP status and a Kubernetes `Status` body; the API server never sees it.
 * - `delay`: waits, then forwards.
 * - `reset`: resets the client's connection before forwarding (the request is never applied).
 * - `reset-after`: forwards, waits for the API server's whole answer, then resets the client's connection (the
 *   request was applied, the client never learns it).
 * - `drop-watch`: forwards a watch and cuts it (both sides) after `afterMs`, mid-stream.
 * - `watch-gone`: answers a watch with the API server's own "too old resource version" event (an ERROR event
 *   carrying a 410 `Status`) and ends it, as a resumed watch meets after etcd compaction.
 */
export type Fault =
  | { readonly kind: "status"; readonly status: number; readonly retryAfterSeconds?: number }
  | { readonly kind: "delay"; readonly ms: number }
  | { readonly kind: "reset" }
  | { readonly kind: "reset-after" }
  | { readonly kind: "drop-watch"; readonly afterMs: number }
  | { readonly kind: "watch-gone" };

/** A table row: which requests, what to do, how many times. */
export interface FaultRule {
  /** Named in the proxy's log. */
  readonly name: string;
  readonly match: (request: ProxiedRequest) => boolean;
  readonly fault: Fault;
  /**
   * Only the first `times` matching requests are affected, then the rule rests for `every - times` matching
   * requests and starts again (a burst pattern). Default: every matching request.
   */
  readonly times?: number;
  /** Length of the cycle `times` is counted in. Default: never restarts. */
  readonly every?: number;
}

/** A crash point: called when a matching request arrives (`before` it is forwarded) or after it was applied. */
export interface CrashHook {
  readonly match: (request: ProxiedRequest) => boolean;
  /** `before`: the request is held and never forwarded; `after`: it is applied, its answer never delivered. */
  readonly when: "before" | "after";
  /** Kills the process under test; the proxy then drops the request's connection. Called once. */
  readonly action: (request: ProxiedRequest) => Promise<void>;
}

/** One line of the proxy's log. */
export interface ProxyLogEntry {
  readonly method: string;
  readonly path: string;
  readonly userAgent: string;
  readonly watch: boolean;
  /** The rule that affected the request, or `crash`; undefined when it passed unchanged. */
  readonly fault?: string;
  /** The status the client got (0: no answer: a reset, a crash, a cut watch). */
  status: number;
}

export interface FaultProxy {
  /** `https://127.0.0.1:<port>`, the address to write into the kubeconfig of the process under test. */
  readonly url: string;
  /** PEM of the CA the proxy's serving certificate chains to (the kubeconfig's certificate-authority-data). */
  readonly caPem: string;
  /** Replaces the fault table (counts start again). An empty table passes everything on. */
  setFaults(rules: readonly FaultRule[]): void;
  /** Arms one crash point (replacing any armed one); resolves once its action ran. */
  crashOn(hook: CrashHook): Promise<ProxiedRequest>;
  /** Disarms the crash point. */
  disarmCrash(): void;
  /** Every request so far. */
  readonly log: readonly ProxyLogEntry[];
  /** How many requests each rule affected. */
  faultCounts(): Record<string, number>;
  /** Cuts every open connection (watches included). */
  cutAll(): void;
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  /** The API server, `https://127.0.0.1:<port>`. Required. */
  readonly target: string;
  /** PEM the API server's certificate verifies against. Required. */
  readonly targetCaPem: string;
}

/**
 * A TLS proxy in front of the API server that injects faults, table-driven: it terminates TLS with its own
 * certificate (made with openssl for 127.0.0.1), forwards each request to the real API server with the client's
 * own headers (its bearer token and User-Agent), and streams the answers back, watches included.
 */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const pki: TestPki = createTestPki();
  const ca = pki.ca("fault-proxy-ca");
  const leaf = pki.leaf("fault-proxy", "fault-proxy-ca", "server");
  pki.remove();
  const target = new URL(options.target);
  const log: ProxyLogEntry[] = [];
  const sockets = new Set<Socket>();
  const upstreams = new Set<IncomingMessage>();
  let rules: { rule: FaultRule; seen: number; hits: number }[] = [];
  const counts: Record<string, number> = {};
  let crash: { hook: CrashHook; fired: boolean; resolve: (request: ProxiedRequest) => void } | undefined;

  const decide = (request: ProxiedRequest): FaultRule | undefined => {
    for (const entry of rules) {
      if (!entry.rule.match(request)) continue;
      const position = entry.rule.every === undefined ? entry.seen : entry.seen % entry.rule.every;
      entry.seen++;
      if (entry.rule.times !== undefined && position >= entry.rule.times) continue;
      entry.hits++;
      counts[entry.rule.name] = entry.hits;
      return entry.rule;
    }
    return undefined;
  };

  const server: Server = createServer({ key: leaf.key, cert: leaf.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("error", () => undefined);
    req.on("end", () => {
      void handle(req, res, Buffer.concat(chunks)).catch(() => res.destroy());
    });
  });
  // The raw TCP sockets under the TLS ones, by client port: only a TCP socket can be reset (RST).
  const rawByPort = new Map<number, Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    const port = socket.remotePort;
    if (port !== undefined) rawByPort.set(port, socket);
    socket.on("close", () => {
      sockets.delete(socket);
      if (port !== undefined && rawByPort.get(port) === socket) rawByPort.delete(port);
    });
  });
  const reset = (res: ServerResponse): void => {
    const tls = res.socket;
    const raw = tls?.remotePort === undefined ? undefined : rawByPort.get(tls.remotePort);
    if (raw !== undefined) raw.resetAndDestroy();
    else tls?.destroy();
  };
  // A client that resets mid-handshake is no failure of the proxy.
  server.on("tlsClientError", () => undefined);

  const handle = async (req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> => {
    const url = new URL(req.url ?? "/", "https://proxy");
    const request: ProxiedRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      userAgent: String(req.headers["user-agent"] ?? ""),
      watch: ["true", "1"].includes(url.searchParams.get("watch") ?? ""),
      body: body.toString("utf8"),
    };
    const entry: ProxyLogEntry = { method: request.method, path: request.path, userAgent: request.userAgent, watch: request.watch, status: 0 };
    log.push(entry);

    if (crash !== undefined && !crash.fired && crash.hook.match(request)) {
      const armed = crash;
      armed.fired = true;
      (entry as { fault?: string }).fault = "crash";
      if (armed.hook.when === "after") await forward(req, body, undefined);
      await armed.hook.action(request);
      reset(res);
      armed.resolve(request);
      return;
    }

    const rule = decide(request);
    if (rule !== undefined) (entry as { fault?: string }).fault = rule.name;
    const fault = rule?.fault;
    switch (fault?.kind) {
      case "status": {
        entry.status = fault.status;
        const status = { kind: "Status", apiVersion: "v1", status: "Failure", code: fault.status, message: `injected by the fault proxy (${rule!.name})`, reason: reasonOf(fault.status) };
        res.writeHead(fault.status, {
          "content-type": "application/json",
          ...(fault.retryAfterSeconds === undefined ? {} : { "retry-after": String(fault.retryAfterSeconds) }),
        });
        res.end(JSON.stringify(status));
        return;
      }
      case "reset":
        reset(res);
        return;
      case "watch-gone": {
        entry.status = 200;
        res.writeHead(200, { "content-type": "application/json" });
        const gone = { kind: "Status", apiVersion: "v1", status: "Failure", code: 410, reason: "Expired", message: "too old resource version (injected by the fault proxy)" };
        res.end(`${JSON.stringify({ type: "ERROR", object: gone })}\n`);
        return;
      }
      case "reset-after":
        await forward(req, body, undefined);
        reset(res);
        return;
      case "delay":
        await new Promise((resolve) => setTimeout(resolve, fault.ms));
        break;
      default:
        break;
    }
    await forward(req, body, { res, entry, cutAfterMs: fault?.kind === "drop-watch" ? fault.afterMs : undefined });
  };

  /** Sends the request to the API server; streams the answer to `to` when given, else reads and drops it. */
  const forward = (
    req: IncomingMessage,
    body: Buffer,
    to: { res: ServerResponse; entry: ProxyLogEntry; cutAfterMs: number | undefined } | undefined,
  ): Promise<void> =>
    new Promise<void>((resolve) => {
      const headers = { ...req.headers, host: target.host };
      const upstream = httpsRequest(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers, ca: options.targetCaPem },
        (answer) => {
          upstreams.add(answer);
          answer.on("close", () => upstreams.delete(answer));
          if (to === undefined) {
            answer.resume();
            answer.on("end", () => resolve());
            answer.on("error", () => resolve());
            return;
          }
          to.entry.status = answer.statusCode ?? 0;
          to.res.writeHead(answer.statusCode ?? 502, answer.headers);
          // A watch with nothing to report yet must still get its headers: its client waits for them.
          to.res.flushHeaders();
          answer.pipe(to.res);
          if (to.cutAfterMs !== undefined) {
            const timer = setTimeout(() => {
              answer.destroy();
              reset(to.res);
            }, to.cutAfterMs);
            answer.on("close", () => clearTimeout(timer));
          }
          answer.on("error", () => to.res.destroy());
          answer.on("close", () => resolve());
          to.res.on("close", () => answer.destroy());
        },
      );
      upstream.on("error", () => {
        if (to !== undefined) reset(to.res);
        resolve();
      });
      upstream.end(body);
    });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;

  return {
    url: `https://127.0.0.1:${port}`,
    caPem: ca.cert.toString("utf8"),
    setFaults(table) {
      rules = table.map((rule) => ({ rule, seen: 0, hits: 0 }));
      for (const key of Object.keys(counts)) delete counts[key];
    },
    crashOn(hook) {
      return new Promise<ProxiedRequest>((resolve) => {
        crash = { hook, fired: false, resolve };
      });
    },
    disarmCrash() {
      crash = undefined;
    },
    log,
    faultCounts: () => ({ ...counts }),
    cutAll() {
      for (const answer of upstreams) answer.destroy();
      for (const socket of sockets) socket.resetAndDestroy();
    },
    async close() {
      for (const answer of upstreams) answer.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function reasonOf(status: number): string {
  if (status === 409) return "Conflict";
  if (status === 429) return "TooManyRequests";
  if (status === 503) return "ServiceUnavailable";
  if (status === 504) return "Timeout";
  return "InternalError";
}
