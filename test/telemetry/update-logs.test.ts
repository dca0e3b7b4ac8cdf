import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { AlertQuery } from "../../src/core/ports/alert-query.js";
import { createLogger } from "../../src/telemetry/logger.js";
import { createHarness } from "../core/use-cases/engine-harness.js";

const oldImage = "registry.example.com/shop/web:1.0";
const brokenImage = "registry.example.com/shop/web:2.0";
const goodImage = "registry.example.com/shop/web:3.0";

/** The process logger (pino, JSON lines) writing into memory. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split("\n")) if (line !== "") lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { lines, logger: createLogger({ destination, format: "json", level: "debug" }) };
}

describe("log lines about an update", () => {
  it("carry its update_id and trace_id: accepted, queued, run, failed, rolled back, finished", async () => {
    const { lines, logger } = capturedLogger();
    const h = createHarness({ wrap: (deps) => ({ ...deps, logger: logger.child({ component: "engine" }) }) });
    h.add({ kind: "Job", namespace: "shop", name: "migrate", classifier: "shop", containers: [{ name: "m", image: oldImage }] });
    h.add({ kind: "Deployment", namespace: "shop", name: "a", classifier: "shop", replicas: 2, containers: [{ name: "app", image: oldImage }] });
    h.cluster.failImage(brokenImage, "crash-loop");
    const broken = await h.manager.startUpdate({ image: brokenImage, classifier: "shop" }, { requester: "ci" });
    const queued = await h.manager.startUpdate({ image: goodImage, classifier: "shop", queueIfBusy: true }, { requester: "ci" });
    expect((await h.settle(broken.id)).state).toBe("rolled-back");
    expect((await h.settle(queued.id)).state).toBe("succeeded");

    const traceIds = new Map([
      [broken.id, broken.trace?.traceId],
      [queued.id, queued.trace?.traceId],
    ]);
    expect(broken.trace?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(queued.trace?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(broken.trace?.traceId).not.toBe(queued.trace?.traceId);

    // Every line that names one of the updates anywhere carries both ids, the right ones.
    const about = lines.filter((line) => [...traceIds.keys()].some((id) => JSON.stringify(line).includes(id)));
    for (const line of about) {
      expect(line, JSON.stringify(line)).toMatchObject({ update_id: expect.any(String) });
      expect(line.trace_id, JSON.stringify(line)).toBe(traceIds.get(line.update_id as string));
    }
    const messages = (id: string) => about.filter((line) => line.update_id === id).map((line) => line.msg);
    expect(messages(broken.id)).toEqual(
      expect.arrayContaining([
        "update started",
        "migration started",
        "migration succeeded",
        "workload patched",
        "workload failed",
        "rolling back",
        "workload rolled back",
        "update finished",
      ]),
    );
    expect(messages(queued.id)).toEqual(
      expect.arrayContaining(["update queued behind busy targets", "queued update leaves the queue", "workload healthy", "update finished"]),
    );
  });
});

describe("log lines about an update that waits", () => {
  it("carry its trace_id too: an alert gate whose query fails open, an approved update queued behind a busy target", async () => {
    const { lines, logger } = capturedLogger();
    const failing: AlertQuery = {
      async query() {
        throw new Error("Prometheus at 127.0.0.1:9 unreachable");
      },
    };
    const h = createHarness({
      engine: {
        approvalPolicies: [{ name: "production", classifiers: ["shop"], approvers: 1, deadlineMs: 60 * 60_000 }],
        alertGatePolicies: [{ name: "no-pages", query: "ALERTS", whenFiring: "wait", onQueryError: "open", recheckMs: 10_000 }],
      },
      wrap: (deps) => ({ ...deps, alerts: failing, logger: logger.child({ component: "engine" }) }),
    });
    h.add({ kind: "Deployment", namespace: "shop", name: "a", classifier: "shop", replicas: 2, containers: [{ name: "app", image: oldImage }] });
    const waiting = await h.manager.startUpdate({ image: goodImage, classifier: "shop" }, { requester: "ci" });
    const running = await h.manager.startUpdate({ image: brokenImage, classifier: "shop" }, { requester: "ci" });
    await h.manager.decideApproval({ id: running.id, decision: "approve" }, { requester: "alice" });
    // Approved while the other update holds the target: it leaves its wait and queues.
    expect((await h.manager.decideApproval({ id: waiting.id, decision: "approve" }, { requester: "bob" })).state).toBe("queued");
    await h.settle(running.id);
    await h.settle(waiting.id);

    const traceIds = new Map([
      [waiting.id, waiting.trace?.traceId],
      [running.id, running.trace?.traceId],
    ]);
    const about = lines.filter((line) => typeof line.update_id === "string" && traceIds.has(line.update_id));
    expect(about.map((line) => line.msg)).toEqual(
      expect.arrayContaining([
        "alert gate query failed; the policy lets the update pass",
        "update leaves its wait and queues behind busy targets",
      ]),
    );
    for (const line of about) expect(line.trace_id, JSON.stringify(line)).toBe(traceIds.get(line.update_id as string));
  });
});
