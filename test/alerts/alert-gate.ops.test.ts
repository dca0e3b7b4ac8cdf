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

/**
 * Follows the update's stream until the server ends it (the update finished), then reads the update once. One
 * call instead of polling: the test runs anonymously, and a 200 ms GetUpdate loop spends the anonymous read budget
 * (100 a minute, burst 50) in about 12 s, shorter than the demo's rollout of every `shop` workload.
 */
async function finishedUpdate(id: string, timeoutMs = 60_000) {
  for await (const _ of client.watchUpdate({ updateId: id, afterSequence: 0n }, { timeoutMs })) {
    // the events themselves are checked by `eventsOf`
  }
  const { update } = await client.getUpdate({ updateId: id });
  return update!;
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
    const done = await finishedUpdate(update!.id);
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
