import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createPrometheusAlertQuery } from "../../src/alerts/prometheus-alert-query.js";

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A loopback server answering like Prometheus's /api/v1/query would (or not); keeps the queries it got. */
async function prometheus(answer: (query: URLSearchParams) => { status: number; body: unknown } | "hang") {
  const queries: URLSearchParams[] = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (url.pathname !== "/api/v1/query") {
      response.writeHead(404).end("not found");
      return;
    }
    queries.push(url.searchParams);
    const answered = answer(url.searchParams);
    if (answered === "hang") return;
    response.writeHead(answered.status, { "content-type": "application/json" }).end(JSON.stringify(answered.body));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, queries };
}

const vector = (result: unknown[]) => ({ status: 200, body: { status: "success", data: { resultType: "vector", result } } });

describe("the Prometheus alert query", () => {
  it("returns the labels of each sample of an instant query, and nothing when nothing fires", async () => {
    let firing = true;
    const server = await prometheus(() =>
      vector(firing ? [{ metric: { __name__: "ALERTS", alertname: "HighErrorRate", alertstate: "firing", severity: "page" }, value: [1, "1"] }] : []),
    );
    const query = createPrometheusAlertQuery({ url: `${server.url}/`, timeoutMs: 2000 });
    expect(await query.query('ALERTS{alertstate="firing"}')).toEqual([{ __name__: "ALERTS", alertname: "HighErrorRate", alertstate: "firing", severity: "page" }]);
    expect(server.queries[0]?.get("query")).toBe('ALERTS{alertstate="firing"}');
    expect(server.queries[0]?.get("timeout")).toBe("2s");
    firing = false;
    expect(await query.query('ALERTS{alertstate="firing"}')).toEqual([]);
  });

  it("rejects, saying why, on a query error, an HTTP error, a result that is not a vector, and no answer in time", async () => {
    const server = await prometheus((params) => {
      const query = params.get("query");
      if (query === "bad(") return { status: 400, body: { status: "error", errorType: "bad_data", error: "parse error: unclosed left parenthesis" } };
      if (query === "teapot") return { status: 503, body: "overloaded" };
      if (query === "scalar(1)") return { status: 200, body: { status: "success", data: { resultType: "scalar", result: [1, "1"] } } };
      return "hang";
    });
    const query = createPrometheusAlertQuery({ url: server.url, timeoutMs: 300 });
    await expect(query.query("bad(")).rejects.toThrow(/the query failed \(bad_data\): parse error: unclosed left parenthesis/);
    await expect(query.query("teapot")).rejects.toThrow(/answered 503/);
    await expect(query.query("scalar(1)")).rejects.toThrow(/returns a scalar, not an instant vector/);
    await expect(query.query("up")).rejects.toThrow(/no answer within 300 ms/);
  });

  it("rejects when Prometheus cannot be reached", async () => {
    const server = await prometheus(() => vector([]));
    const url = server.url;
    for (const open of servers.splice(0)) await new Promise((resolve) => open.close(resolve));
    await expect(createPrometheusAlertQuery({ url }).query("up")).rejects.toThrow(/unreachable \(ECONNREFUSED\)/);
  });
});
