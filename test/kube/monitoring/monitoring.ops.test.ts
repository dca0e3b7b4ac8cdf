import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UpdateState } from "../../../gen/updatemanager/v1/update_pb.js";
import { UpdateService } from "../../../gen/updatemanager/v1/update_service_pb.js";
import { panelQueryProblems } from "../../support/dashboard-panel-queries.js";
import { type PrometheusProcess, type PromSample, startPrometheus } from "../../support/prometheus.js";
import { type ServerProcess, startServer } from "../../support/server-process.js";
import { rulesFile, rulesTestFile } from "./monitoring-files.js";

const run = promisify(execFile);
const repo = "registry.example.com/shop/web";

/**
 * Panels that are rightly empty on the embedded cluster after finished updates, and why. Every other panel must
 * return data.
 */
const mayBeEmpty: Record<string, string> = {
  "Updates in progress by state": "no update is unfinished once both have finished",
  // These four are read back through Prometheus from a manager on a real API server in
  // test/e2e-kube/update-on-kubernetes.kube.test.ts instead.
  "Kubernetes API requests per second": "the embedded cluster makes no API requests",
  "Informer restarts per hour": "the embedded cluster has no informers",
  "Informer lag p90 by resource": "the embedded cluster has no informers",
  "Informer relists per hour by resource": "the embedded cluster has no informers",
  // Read back through Prometheus from a manager watching a real registry in test/e2e-kube/registry-watch.kube.test.ts.
  "Registry requests per second by registry and code": "registry watching is off (no network beyond loopback)",
  "Registry errors per hour": "registry watching is off (no network beyond loopback)",
};

describe("alert rules under promtool", () => {
  it("are valid rules", async () => {
    const { stdout } = await run("promtool", ["check", "rules", rulesFile]);
    expect(stdout).toContain("SUCCESS: 7 rules found");
  });

  it("pass their unit tests", async () => {
    const { stdout } = await run("promtool", ["test", "rules", rulesTestFile]);
    expect(stdout).toContain("SUCCESS");
  });
});

describe("Prometheus scraping the server after real updates", () => {
  let server: ServerProcess;
  let prometheus: PrometheusProcess;
  let hook: Server;
  let dir: string;
  const value = (samples: PromSample[]) => samples.map((sample) => Number(sample.value[1]));

  beforeAll(async () => {
    // A webhook channel that accepts everything, so that the notifications panel has data.
    hook = createServer((request, response) => {
      request.resume();
      request.on("end", () => response.writeHead(204).end());
    });
    await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
    dir = mkdtempSync(join(tmpdir(), "um-monitoring-"));
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    writeFileSync(
      join(dir, "notifications.yaml"),
      `channels:\n  - { name: hook, type: webhook, url: "${hookUrl}" }\nroutes:\n  - { events: [update-succeeded, update-rolled-back], channels: [hook] }\n`,
    );
    server = await startServer({
      env: {
        UPDATE_MANAGER_WATCH_REGISTRIES: "false",
        UPDATE_MANAGER_REVISION: "ops-test",
        UPDATE_MANAGER_NOTIFICATIONS_FILE: join(dir, "notifications.yaml"),
      },
    });
    prometheus = await startPrometheus({ targets: [`127.0.0.1:${server.adminPort}`] });
    // Scraped (and the caches synced) before the updates, so rates see them happen.
    await prometheus.waitFor("update_manager_caches_synced", (samples) => value(samples)[0] === 1);

    const client = createClient(UpdateService, createGrpcTransport({ baseUrl: server.apiUrl }));
    const finish = async (image: string) => {
      const { update } = await client.update({ image, classifier: "shop" });
      let state: UpdateState | undefined;
      for await (const message of client.watchUpdate({ updateId: update!.id, afterSequence: 0n }, { timeoutMs: 90_000 })) {
        if (message.message.case === "event" && message.message.value.kind.case === "finished") {
          state = message.message.value.kind.value.state;
        }
      }
      return state;
    };
    expect(await finish(`${repo}:1.5.0`)).toBe(UpdateState.SUCCEEDED);
    expect(await finish(`${repo}:2.0.0-broken`)).toBe(UpdateState.ROLLED_BACK);
  }, 150_000);

  afterAll(async () => {
    await prometheus?.stop();
    await server?.stop();
    await new Promise((resolve) => hook?.close(resolve));
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("reads back the updates by state and requester kind, the rollback, leadership, build info and notifications", async () => {
    const finished = await prometheus.waitFor("update_manager_updates_finished_total > 0", (samples) => samples.length === 2);
    expect(
      finished.map((sample) => [sample.metric.state, sample.metric.requester_kind, Number(sample.value[1])]).sort(),
    ).toEqual([
      ["rolled-back", "anonymous", 1],
      ["succeeded", "anonymous", 1],
    ]);
    expect(value(await prometheus.waitFor('update_manager_rollbacks_total{result="succeeded"}', (s) => s.length === 1))).toEqual([1]);
    expect(value(await prometheus.waitFor("update_manager_leader", (s) => s.length === 1))).toEqual([1]);
    expect(value(await prometheus.waitFor("update_manager_updates_past_deadline", (s) => s.length === 1))).toEqual([0]);
    const [info] = await prometheus.waitFor("update_manager_build_info", (s) => s.length === 1);
    expect(info!.metric).toMatchObject({ revision: "ops-test", version: "0.1.0", node_version: process.version });
    const rollouts = await prometheus.waitFor(
      'update_manager_step_duration_seconds_count{step="rollout"} > 0',
      (s) => s.length === 2,
    );
    expect(rollouts.map((s) => s.metric.result).sort()).toEqual(["failed", "succeeded"]);
    // The success and the rollback, each told on the webhook channel.
    const sent = await prometheus.waitFor('update_manager_notifications_total{result="sent"} >= 2', (s) => s.length === 1);
    expect(sent.map((sample) => [sample.metric.channel, Number(sample.value[1])])).toEqual([["hook", 2]]);
  });

  it("answers every Grafana panel's expression, with data wherever data must exist", async () => {
    // The rates need two scrapes after the updates.
    await prometheus.waitFor("sum(increase(update_manager_updates_finished_total[1h]))", (s) => value(s)[0]! > 0);
    const problems = await panelQueryProblems(prometheus, { mayBeEmpty });
    expect(problems).toEqual([]);
  });
});
