import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

/** A fault to inject into the next requests that match. */
export interface InjectedFault {
  /** Requests to answer with the fault, counting from now. */
  readonly count: number;
  readonly status: number;
  readonly headers?: Record<string, string>;
  /** Which requests: paths containing this text. Default: every request. */
  readonly pathIncludes?: string;
}

export interface FaultProxyOptions {
  /** The registry behind the proxy: "http://127.0.0.1:PORT". */
  readonly upstream: string;
  /**
   * Serve `GET /v2/<repo>/tags/list` with OCI distribution-spec pagination (`n`, `last`, `Link: <...>; rel="next"`)
   * over the upstream's full list. distribution 2.8 ignores `n` for tags (tag pagination came in 3.0), so
   * this is how the tier exercises pagination against a real registry's data. Default: false.
   */
  readonly paginateTags?: boolean;
  /** Drop `Docker-Content-Digest` from manifest responses. Default: false. */
  readonly stripDigestHeader?: boolean;
}

export interface FaultProxy {
  /** "127.0.0.1:PORT", the registry host to give the client. */
  readonly host: string;
  /** Every request the proxy received: "METHOD /path?query", and what it answered. */
  readonly requests: { readonly line: string; readonly status: number; readonly atMs: number }[];
  inject(fault: InjectedFault): void;
  /** The most requests the proxy was handling at once. */
  peakInFlight(): number;
  close(): Promise<void>;
}

const hopByHop = new Set(["connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"]);

/** An HTTP proxy on 127.0.0.1 in front of a loopback registry, injecting faults the test asks for. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const faults: { fault: InjectedFault; left: number }[] = [];
  const requests: FaultProxy["requests"] = [];
  let inFlight = 0;
  let peak = 0;

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = request.url ?? "/";
    const line = `${request.method} ${path}`;
    const answer = (status: number, headers: Record<string, string>, body?: Uint8Array | string) => {
      requests.push({ line, status, atMs: Date.now() });
      response.writeHead(status, headers);
      response.end(request.method === "HEAD" ? undefined : body);
    };
    const active = faults.find((entry) => entry.left > 0 && path.includes(entry.fault.pathIncludes ?? ""));
    if (active !== undefined) {
      active.left--;
      return answer(active.fault.status, { "content-type": "application/json", ...active.fault.headers }, JSON.stringify({
        errors: [{ code: "TOOMANYREQUESTS", message: "injected by the test proxy" }],
      }));
    }
    const url = new URL(path, "http://proxy");
    const forwardHeaders: Record<string, string> = {};
    for (const name of ["authorization", "accept", "user-agent"]) {
      const value = request.headers[name];
      if (typeof value === "string") forwardHeaders[name] = value;
    }
    const tagsList = /^\/v2\/(.+)\/tags\/list$/.exec(url.pathname);
    if (options.paginateTags && request.method === "GET" && tagsList !== null) {
      const upstream = await fetch(`${options.upstream}${url.pathname}`, { headers: forwardHeaders });
      const body = await upstream.arrayBuffer();
      if (upstream.status !== 200) return answer(upstream.status, copyHeaders(upstream.headers), new Uint8Array(body));
      const all = ((JSON.parse(Buffer.from(body).toString()) as { tags: string[] | null }).tags ?? []).sort();
      const n = Number(url.searchParams.get("n") ?? "100");
      const last = url.searchParams.get("last");
      const rest = last === null ? all : all.filter((tag) => tag > last);
      const page = rest.slice(0, n);
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (rest.length > n) {
        headers.link = `</v2/${tagsList[1]}/tags/list?n=${n}&last=${encodeURIComponent(page.at(-1)!)}>; rel="next"`;
      }
      return answer(200, headers, JSON.stringify({ name: tagsList[1], tags: page }));
    }
    const upstream = await fetch(`${options.upstream}${path}`, {
      method: request.method ?? "GET",
      headers: forwardHeaders,
      redirect: "manual",
    });
    const body = new Uint8Array(await upstream.arrayBuffer());
    const headers = copyHeaders(upstream.headers);
    if (options.stripDigestHeader && url.pathname.includes("/manifests/")) delete headers["docker-content-digest"];
    // Challenges name the registry's own realm; the token realm is absolute, so they pass through unchanged.
    return answer(upstream.status, headers, body);
  };

  const server: Server = createServer((request, response) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    handle(request, response)
      .catch((error: unknown) => {
        response.writeHead(502);
        response.end(String(error));
      })
      .finally(() => {
        inFlight--;
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    inject(fault) {
      faults.push({ fault, left: fault.count });
    },
    peakInFlight: () => peak,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function copyHeaders(headers: Headers): Record<string, string> {
  const result: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (!hopByHop.has(name)) result[name] = value;
  });
  return result;
}
