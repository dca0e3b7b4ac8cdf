import { describe, expect, it } from "vitest";
import type { AlertGatePolicy, AlertSample } from "../../../src/core/domain/alert-gate-policy.js";
import type { WindowPolicy } from "../../../src/core/domain/window-policy.js";
import type { AlertQuery } from "../../../src/core/ports/alert-query.js";
import type { UpdateEngineOptions } from "../../../src/core/use-cases/update-engine-options.js";
import { createMemoryFreezeStore } from "../../../src/store/memory/memory-freeze-store.js";
import { createMemoryTargetLocks } from "../../../src/store/memory/memory-target-locks.js";
import { createHarness, deployment, type Harness, isEvent, rejection } from "./engine-harness.js";

const registry = "registry.example.com/shop";
const minute = 60_000;

/** 09:00-17:00 UTC every day; the fake clock starts on Wednesday 2025-01-01 00:00 UTC. */
const officeHours = (outside: "wait" | "refuse" = "wait"): WindowPolicy => ({
  name: "office-hours",
  classifiers: ["shop"],
  window: { days: [0, 1, 2, 3, 4, 5, 6], startSecond: 9 * 3600, endSecond: 17 * 3600, timeZone: "UTC" },
  outside,
});

const noPages = (extra: Partial<AlertGatePolicy> = {}): AlertGatePolicy => ({
  name: "no-pages",
  query: 'ALERTS{alertstate="firing",severity="page"}',
  whenFiring: "wait",
  onQueryError: "closed",
  recheckMs: 10_000,
  ...extra,
});

/** A Prometheus the test controls: what the query returns, or how it fails. */
function fakeAlerts() {
  const state = {
    firing: [] as AlertSample[],
    /** Fires instead of `firing` while it returns something (e.g. once a workload was patched). */
    firingWhen: undefined as (() => AlertSample[]) | undefined,
    failure: undefined as Error | undefined,
    queries: 0,
  };
  const alerts: AlertQuery = {
    async query() {
      state.queries++;
      if (state.failure !== undefined) throw state.failure;
      return state.firingWhen?.() ?? state.firing;
    },
  };
  return { state, alerts };
}

function harness(engine: UpdateEngineOptions, alerts?: AlertQuery, workloads = ["web"]): Harness {
  const h = createHarness({ engine, wrap: (deps) => ({ ...deps, ...(alerts === undefined ? {} : { alerts }) }) });
  for (const name of workloads) {
    h.add({ kind: "Deployment", namespace: "shop", name, classifier: "shop", replicas: 2, containers: [{ name: "app", image: `${registry}/app:0` }] });
  }
  return h;
}

const start = (h: Harness, tag: number, extra: { queueIfBusy?: boolean; dryRun?: boolean } = {}) =>
  h.manager.startUpdate({ image: `${registry}/app:${tag}`, classifier: "shop", ...extra }, { requester: "ci" });

describe("windows", () => {
  it("outside its window an update waits (no lock, when it may start), then is planned again and runs once it opens", async () => {
    const h = harness({ windowPolicies: [officeHours()], defaultUpdateTimeoutMs: 10 * minute });
    const update = await start(h, 1);
    expect(update.state).toBe("waiting-for-gate");
    expect(update.gateWait).toMatchObject({ gate: "window", policy: 'window "office-hours"', notBefore: new Date("2025-01-01T09:00:00Z") });
    expect(update.gateWait?.reason).toContain("daily 09:00-17:00 UTC");
    expect(h.locks.holder(deployment("web"))).toBeUndefined();

    // Hours pass, far beyond its update timeout: it has not started, so it has not timed out.
    await h.clock.advanceAsync(8 * 60 * minute);
    await h.manager.whenIdle();
    expect((await h.store.get(update.id))?.state).toBe("waiting-for-gate");
    expect(h.patchWrites()).toHaveLength(0);

    const done = await h.settle(update.id, 2 * 60 * minute);
    expect(done.state).toBe("succeeded");
    expect(done.startTime!.getTime()).toBeGreaterThanOrEqual(new Date("2025-01-01T09:00:00Z").getTime());
    expect(await h.eventTypes(update.id)).toEqual(
      expect.arrayContaining(["planned", "gate-closed", "gate-opened", "planned", "workload-patched", "finished"]),
    );
    const types = await h.eventTypes(update.id);
    expect(types.slice(0, 4)).toEqual(["planned", "gate-closed", "gate-opened", "planned"]);
    expect(h.imagesOf(deployment("web"))).toEqual([`app=${registry}/app:1`]);
  });

  it("a refusing window refuses the update (FAILED_PRECONDITION, OUTSIDE_WINDOW), recording nothing; a dry run warns", async () => {
    const h = harness({ windowPolicies: [officeHours("refuse")] });
    const refused = await rejection(start(h, 1));
    expect(refused).toMatchObject({ code: "failed-precondition", reason: "OUTSIDE_WINDOW", metadata: { not_before: "2025-01-01T09:00:00.000Z" } });
    expect((await h.store.list({ pageSize: 10 })).items).toHaveLength(0);
    const dry = await start(h, 1, { dryRun: true });
    expect(dry.plan.warnings.join("\n")).toMatch(/would be refused: outside window "office-hours"/);
    // Inside the window it runs.
    await h.clock.advanceAsync(9 * 60 * minute);
    expect((await h.settle((await start(h, 1)).id)).state).toBe("succeeded");
  });

  it("does not apply to another classifier", async () => {
    const h = harness({ windowPolicies: [{ ...officeHours(), classifiers: ["other"] }] });
    expect((await start(h, 1)).state).toBe("pending");
  });

  it("a queued update whose turn comes outside the window waits for it, and a cancel ends the wait", async () => {
    const h = harness({ windowPolicies: [officeHours()] });
    // 16:59:58: the first update's rollout (a few seconds) ends after 17:00, so the second's turn comes outside the window.
    await h.clock.advanceAsync(17 * 60 * minute - 2000);
    const running = await start(h, 1);
    const queued = await start(h, 2, { queueIfBusy: true });
    expect(queued.state).toBe("queued");
    expect((await h.settle(running.id)).state).toBe("succeeded");
    await h.manager.whenIdle();
    const waiting = await h.store.get(queued.id);
    expect(waiting?.state).toBe("waiting-for-gate");
    expect(waiting?.gateWait?.notBefore).toEqual(new Date("2025-01-02T09:00:00Z"));
    const cancelled = await h.manager.cancelUpdate(queued.id, "not today", "alice");
    expect(cancelled.state).toBe("cancelled");
  });

  it("an approved update outside its window waits for it; a freeze holds a waiting update past the opening", async () => {
    const freeze = createMemoryFreezeStore();
    const h = createHarness({
      engine: { windowPolicies: [officeHours()], approvalPolicies: [{ name: "all", approvers: 1, deadlineMs: 60 * minute }] },
      wrap: (deps) => ({ ...deps, freeze }),
    });
    h.add({ kind: "Deployment", namespace: "shop", name: "web", classifier: "shop", replicas: 2, containers: [{ name: "app", image: `${registry}/app:0` }] });
    const update = await start(h, 1);
    expect(update.state).toBe("waiting-for-approval");
    const approved = await h.manager.decideApproval({ id: update.id, decision: "approve" }, { requester: "bob" });
    expect(approved.state).toBe("waiting-for-gate");
    expect(await h.eventTypes(update.id)).toEqual(["planned", "approval-required", "approval-granted", "gate-closed"]);

    await h.manager.freeze("", "alice");
    await h.clock.advanceAsync(10 * 60 * minute);
    await h.manager.whenIdle();
    expect((await h.store.get(update.id))?.state).toBe("waiting-for-gate");
    await h.manager.unfreeze("alice");
    expect((await h.settle(update.id)).state).toBe("succeeded");
  });

  it("a waiting update survives a restart and runs when the window opens", async () => {
    const h = harness({ windowPolicies: [officeHours()] });
    const update = await start(h, 1);
    const restarted = h.restart({ windowPolicies: [officeHours()] }, createMemoryTargetLocks());
    await restarted.resumeUnfinished();
    expect((await h.settle(update.id, 12 * 60 * minute, 60_000, restarted)).state).toBe("succeeded");
  });
});

describe("the alert gate", () => {
  it("an update waits while an alert fires and runs once it stops; one query per check", async () => {
    const { state, alerts } = fakeAlerts();
    state.firing = [{ alertname: "HighErrorRate", severity: "page", alertstate: "firing" }];
    const h = harness({ alertGatePolicies: [noPages()] }, alerts);
    const update = await start(h, 1);
    expect(update.state).toBe("waiting-for-gate");
    expect(update.gateWait).toMatchObject({ gate: "alerts", policy: 'alert gate "no-pages"' });
    expect(update.gateWait?.reason).toContain("HighErrorRate{severity=page}");
    const closed = (await h.events(update.id)).find((event) => event.type === "gate-closed");
    expect(closed).toMatchObject({ reason: expect.stringContaining("1 alert fires") });

    await h.clock.advanceAsync(60_000);
    await h.manager.whenIdle();
    expect((await h.store.get(update.id))?.state).toBe("waiting-for-gate");
    // Rechecked every 10 s, without a write each time.
    expect(state.queries).toBeGreaterThanOrEqual(5);
    expect((await h.eventTypes(update.id)).filter((type) => type === "gate-closed")).toHaveLength(1);

    state.firing = [];
    expect((await h.settle(update.id)).state).toBe("succeeded");
  });

  it("fails closed when the query fails, naming the failure; onQueryError open lets it pass", async () => {
    const { state, alerts } = fakeAlerts();
    state.failure = new Error("Prometheus at 127.0.0.1:9 unreachable (ECONNREFUSED)");
    const h = harness({ alertGatePolicies: [noPages()] }, alerts);
    const update = await start(h, 1);
    expect(update.state).toBe("waiting-for-gate");
    expect(update.gateWait?.reason).toMatch(/the query failed, which counts as firing: Prometheus at 127.0.0.1:9 unreachable/);

    const open = harness({ alertGatePolicies: [noPages({ onQueryError: "open" })] }, alerts);
    expect((await start(open, 1)).state).toBe("pending");
  });

  it("whenFiring fail refuses the update (ALERT_FIRING)", async () => {
    const { state, alerts } = fakeAlerts();
    state.firing = [{ alertname: "DiskFull" }];
    const h = harness({ alertGatePolicies: [noPages({ whenFiring: "refuse" })] }, alerts);
    const refused = await rejection(start(h, 1));
    expect(refused).toMatchObject({ code: "failed-precondition", reason: "ALERT_FIRING" });
    expect(refused.message).toContain("DiskFull");
  });

  it("between workloads a running update pauses while an alert fires, and goes on when it stops", async () => {
    const { state, alerts } = fakeAlerts();
    const h = harness({ alertGatePolicies: [noPages()] }, alerts, ["api", "web"]);
    // The alert fires once the first workload is patched, until the test stops it.
    let stopped = false;
    state.firingWhen = () => (h.patchWrites().length >= 1 && !stopped ? [{ alertname: "HighLatency" }] : []);
    const update = await start(h, 1);
    expect(update.state).toBe("pending");
    await h.until(update.id, isEvent("gate-closed"));
    expect(await h.eventTypes(update.id)).toContain("workload-healthy");
    // Paused: the second workload is not touched while the alert fires.
    await h.clock.advanceAsync(60_000);
    expect(h.patchWrites()).toHaveLength(1);
    expect((await h.store.get(update.id))?.state).toBe("running");
    stopped = true;
    const done = await h.settle(update.id);
    expect(done.state).toBe("succeeded");
    expect(h.patchWrites()).toHaveLength(2);
    expect(await h.eventTypes(update.id)).toContain("gate-opened");
  });

  it("between workloads, a failing policy fails the update and rolls back the workload it changed", async () => {
    const { state, alerts } = fakeAlerts();
    const h = harness({ alertGatePolicies: [noPages({ whenFiring: "refuse" })] }, alerts, ["api", "web"]);
    state.firingWhen = () => (h.patchWrites().length >= 1 ? [{ alertname: "HighLatency" }] : []);
    const update = await start(h, 1);
    const done = await h.settle(update.id);
    expect(done.state).toBe("rolled-back");
    expect(done.reason).toContain("ALERT_FIRING");
  });
});
