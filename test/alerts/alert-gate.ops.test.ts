/**
 * The alert gate against Debian's Prometheus: it scrapes a tiny exporter the test controls (every second), an alert
 * rule (`for: 0s`, evaluated every second) fires while the exporter says so, and the real server process (embedded
 * cluster) queries it before an update starts. An update waits while the alert fires and runs once it stops; with
 * Prometheus gone, the next update waits too (fail closed), the event naming the failure.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UpdateEvent } from "../../gen/updatemanager/v1/event_pb.js";
import { GateKind } from "../../gen/updatemanager/v1/gate_pb.js";
import { UpdateState } from "../../gen/updatemanager/v1/update_pb.js";
import { UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";
import { type PrometheusProcess, startPrometheus } from "../support/prometheus.js";
import { type ServerProcess, startServer } from "../support/server-process.js";

const repo = "registry.example.com/shop/web";

let dir: string;
let exporter: Server;
let errorsHigh = 1;
let prometheus: PrometheusProcess;
let server: ServerProcess;
let client: ReturnType<typeof createClient<typeof UpdateService>>;

/** Polls GetUpdate until `accept` (bounded): the server moves the update on its own timers. */
async function updateUntil(id: string, accept: (state: UpdateState) => boolean, timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { update } = await client.getUpdate({ updateId: id });
    if (update !== undefined && accept(update.state)) return update;
    if (Date.now() > until) throw new Error(`update ${id} still ${update?.state} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200)); // polling the server's state, bounded above
  }
}

async function eventsOf(id: string): Promise<UpdateEvent[]> {
  const events: UpdateEvent[] = [];
  for await (const message of client.watchUpdate({ updateId: id, afterSequence: 0n }, { timeoutMs: 10_000 })) {
    if (message.message.case === "event") events.push(message.message.value);
  }
  return events;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "um-alert-gate-"));
  exporter = createServer((request, response) => {
    if (request.url !== "/metrics") {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(`# TYPE demo_errors_high gauge\ndemo_errors_high ${errorsHigh}\n`);
  });
  await new Promise<void>((resolve) => exporter.listen(0, "127.0.0.1", resolve));
  prometheus = await startPrometheus({
    targets: [`127.0.0.1:${(exporter.address() as AddressInfo).port}`],
    ruleGroups: [
      {
        name: "demo",
        rules: [{ alert: "DemoErrorsHigh", expr: "demo_errors_high > 0", for: "0s", labels: { severity: "page" } }],
      },
    ],
  });
  const policies = join(dir, "policies.yaml");
  writeFileSync(
    policies,
    JSON.stringify({
      alertGates: {
        prometheus: { url: prometheus.url, timeout: "5s" },
        policies: [{ name: "no-pages", query: 'ALERTS{alertstate="firing",severity="page"}', recheckInterval: "1s" }],
      },
    }),
  );
  server = await startServer({ env: { UPDATE_MANAGER_WATCH_REGISTRIES: "false", UPDATE_MANAGER_POLICIES_FILE: policies } });
  client = createClient(UpdateService, createGrpcTransport({ baseUrl: server.apiUrl }));
  await prometheus.waitFor('ALERTS{alertname="DemoErrorsHigh",alertstate="firing"}', (samples) => samples.length === 1);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await prometheus?.stop();
  await new Promise((resolve) => (exporter === undefined ? resolve(undefined) : exporter.close(resolve)));
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe("the alert gate against Prometheus", () => {
  it("an update waits while the alert fires and runs once it stops", async () => {
    const { update } = await client.update({ image: `${repo}:1.5.0`, classifier: "shop" });
    expect(update?.state).toBe(UpdateState.WAITING_FOR_GATE);
    expect(update?.gateWait?.gate).toBe(GateKind.ALERTS);
    expect(update?.gateWait?.reason).toMatch(/alert gate "no-pages": 1 alert fires: DemoErrorsHigh\{[^}]*severity=page\}/);
    // Still waiting after Prometheus scraped the firing exporter twice more (the gate re-checks every second).
    const created = Math.floor(timestampDate(update!.createTime!).getTime() / 1000);
    await prometheus.waitFor(`timestamp(demo_errors_high) > ${created + 2}`, (samples) => samples.length === 1);
    expect((await client.getUpdate({ updateId: update!.id })).update?.state).toBe(UpdateState.WAITING_FOR_GATE);

    errorsHigh = 0;
    await prometheus.waitFor('ALERTS{alertname="DemoErrorsHigh"}', (samples) => samples.length === 0);
    const done = await updateUntil(update!.id, (state) => state === UpdateState.SUCCEEDED || state === UpdateState.FAILED);
    expect(done.state).toBe(UpdateState.SUCCEEDED);
    // Its timeout counted from when it started, after the wait.
    expect(timestampDate(done.startTime!).getTime()).toBeGreaterThan(timestampDate(done.createTime!).getTime() + 2000);
    const kinds = (await eventsOf(update!.id)).map((event) => event.kind.case);
    expect(kinds.slice(0, 4)).toEqual(["planned", "gateClosed", "gateOpened", "planned"]);
  });

  it("fails closed when Prometheus cannot be reached, naming why", async () => {
    await prometheus.stop();
    const { update } = await client.update({ image: `${repo}:1.6.0`, classifier: "shop" });
    expect(update?.state).toBe(UpdateState.WAITING_FOR_GATE);
    expect(update?.gateWait?.reason).toMatch(/the query failed, which counts as firing: Prometheus at 127\.0\.0\.1:\d+: unreachable \(ECONNREFUSED\)/);
    const closed = (await client.cancelUpdate({ updateId: update!.id, reason: "ops test" })).update;
    expect(closed?.state).toBe(UpdateState.CANCELLED);
  });
});
