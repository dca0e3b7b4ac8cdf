import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DomainError } from "../../../../src/core/domain/domain-error.js";
import { findCondition } from "../../../../src/core/domain/node-plan/node-plan-status.js";
import type { PlanWindow } from "../../../../src/core/domain/node-plan/node-upgrade-plan.js";
import type { FreezeStore } from "../../../../src/core/ports/freeze-store.js";
import { silentLogger } from "../../../../src/core/ports/logger.js";
import type { NodePlanFacts } from "../../../../src/core/use-cases/notification-dispatcher.js";
import { createMemoryFreezeStore } from "../../../../src/store/memory/memory-freeze-store.js";
import type { ChannelResolver, NodePlansPort } from "../../../../src/core/ports/node-plans.js";
import { createNodePlanController, type NodePlanController, type NodePlanNotifications } from "../../../../src/core/use-cases/node-plans/node-plan-controller.js";
import { createFakeClock, type FakeClock } from "../../../support/fake-clock.js";
import { k3osExample } from "../../../support/node-plan-examples.js";
import { createFakeNodePlans, type FakeNodePlans } from "./fake-node-plans.js";

const planLabel = "plan.update-manager.io/k3os-latest";
const selectorLabel = "plan.upgrade.cattle.io/k3os-latest";

interface Harness {
  clock: FakeClock;
  fake: FakeNodePlans;
  controller: NodePlanController;
  channelCalls: string[];
}

interface HarnessOptions {
  channel?: ChannelResolver["resolve"];
  start?: Date;
  extraWindows?: (plan: string) => readonly PlanWindow[];
  freeze?: Pick<FreezeStore, "get">;
  notify?: NodePlanNotifications;
}

function harness(options: HarnessOptions = {}): Harness {
  const clock = createFakeClock(options.start ?? new Date("2026-12-07T10:00:00Z"));
  const fake = createFakeNodePlans(clock);
  const channelCalls: string[] = [];
  const controller = createNodePlanController(
    {
      port: fake.port,
      clock,
      logger: silentLogger,
      ...(options.freeze === undefined ? {} : { freeze: options.freeze }),
      ...(options.notify === undefined ? {} : { notify: options.notify }),
      channels: {
        resolve(url, signal) {
          channelCalls.push(url);
          return options.channel === undefined ? Promise.reject(new Error("no channel in this test")) : options.channel(url, signal);
        },
      },
    },
    {
      keyPrefix: "update-manager.io",
      namespace: "system-upgrade",
      succeededJobTtlMs: 60_000,
      ...(options.extraWindows === undefined ? {} : { extraWindows: options.extraWindows }),
    },
  );
  return { clock, fake, controller, channelCalls };
}

/** Reconciles the plans until none asks to be looked at again at once (bounded). */
async function settle(controller: NodePlanController, names: readonly string[]): Promise<void> {
  for (let round = 0; round < 50; round++) {
    let again = false;
    for (const name of names) {
      const result = await controller.reconcile(name);
      if (result.requeueAfterMs === 0) again = true;
    }
    if (!again) return;
  }
  throw new Error("the plans did not settle within 50 rounds");
}

function addK3osNodes(fake: FakeNodePlans, count: number): void {
  for (let index = 1; index <= count; index++) fake.addNode(`node-${index}`, { [selectorLabel]: "true", "kubernetes.io/hostname": `node-${index}` });
}

/** Runs the plan to its end, succeeding (or failing, per `fail`) each Job it starts; returns the order nodes ran in. */
async function runPlan(h: Harness, names: readonly string[], fail: (job: string) => boolean = () => false): Promise<string[]> {
  const order: string[] = [];
  for (let step = 0; step < 40; step++) {
    await settle(h.controller, names);
    const running = h.fake.runningJobs();
    if (running.length === 0) return order;
    for (const job of running) {
      order.push(h.fake.jobs.get(job)!.manifest.spec.template.spec.nodeName);
      h.fake.finishJob(job, fail(job) ? "failed" : "succeeded", fail(job) ? "BackoffLimitExceeded: Job has reached the specified backoff limit" : undefined);
    }
  }
  throw new Error("the plan did not finish");
}

describe("the node plan controller", () => {
  it("runs the seed's k3os example one node at a time: cordon, drain, Job, label, uncordon, then Complete", async () => {
    const h = harness();
    addK3osNodes(h.fake, 3);
    h.fake.addNode("live", { [selectorLabel]: "true", "k3os.io/mode": "live" });
    h.fake.addPod("node-1", { name: "web-1" });
    h.fake.addPod("node-1", { name: "agent", controllerKind: "DaemonSet" });
    h.fake.addPod("node-1", { name: "kube-proxy", controllerKind: "Node", mirror: true });
    h.fake.applyPlan("k3os-latest", k3osExample().spec);

    const order = await runPlan(h, ["k3os-latest"]);

    expect(order.toSorted()).toEqual(["node-1", "node-2", "node-3"]);
    for (const node of ["node-1", "node-2", "node-3"]) {
      expect(h.fake.nodes.get(node)!.labels[planLabel]).toBe(h.fake.plan("k3os-latest").status.latestHash);
      expect(h.fake.nodes.get(node)!.unschedulable).toBe(false);
    }
    expect(h.fake.nodes.get("live")!.labels[planLabel]).toBeUndefined(); // NotIn live
    // Drained through evictions, leaving DaemonSet and mirror pods alone.
    expect(h.fake.writes.filter((w) => w.kind === "evict")).toEqual([{ kind: "evict", pod: "default/web-1" }]);
    // Every node: claimed (status) before cordoned, cordoned before its Job, labelled before uncordoned.
    for (const node of ["node-1", "node-2", "node-3"]) {
      const at = (predicate: (w: (typeof h.fake.writes)[number]) => boolean) => h.fake.writes.findIndex(predicate);
      const claimed = at((w) => w.kind === "status" && w.applying.includes(node));
      const cordoned = at((w) => w.kind === "cordon" && w.node === node);
      const job = at((w) => w.kind === "job-created" && w.name.includes(`-on-${node}-`));
      const labelled = at((w) => w.kind === "label" && w.node === node);
      const uncordoned = at((w) => w.kind === "uncordon" && w.node === node);
      expect(claimed).toBeGreaterThanOrEqual(0);
      expect(claimed).toBeLessThan(cordoned);
      expect(cordoned).toBeLessThan(job);
      expect(job).toBeLessThan(labelled);
      expect(labelled).toBeLessThan(uncordoned);
    }
    const status = h.fake.plan("k3os-latest").status;
    expect(status.latestVersion).toBe("v0.9.0-dev");
    expect(status.applying).toEqual([]);
    expect(status.observedGeneration).toBe(1);
    expect(status.nodes.map((r) => r.phase)).toEqual(["Succeeded", "Succeeded", "Succeeded"]);
    expect(findCondition(status, "Complete")?.status).toBe("True");
    expect(findCondition(status, "Validated")?.status).toBe("True");
    expect(findCondition(status, "Failed")?.status).toBe("False");
    expect(h.fake.events.map((e) => e.reason)).toContain("NodeUpgraded");
  });

  it("never has more Jobs running than concurrency", async () => {
    const h = harness();
    addK3osNodes(h.fake, 5);
    h.fake.applyPlan("k3os-latest", { ...k3osExample().spec, concurrency: 2 });
    let most = 0;
    for (let step = 0; step < 20; step++) {
      await settle(h.controller, ["k3os-latest"]);
      const running = h.fake.runningJobs();
      most = Math.max(most, running.length);
      expect(h.fake.plan("k3os-latest").status.applying.length).toBeLessThanOrEqual(2);
      if (running.length === 0) break;
      h.fake.finishJob(running[0]!, "succeeded");
    }
    expect(most).toBe(2);
    expect(findCondition(h.fake.plan("k3os-latest").status, "Complete")?.status).toBe("True");
  });

  it("stops on a failed Job: no further node, the failed node stays cordoned and reported", async () => {
    const h = harness();
    addK3osNodes(h.fake, 3);
    h.fake.applyPlan("k3os-latest", k3osExample().spec);
    await settle(h.controller, ["k3os-latest"]);
    const [first] = h.fake.runningJobs();
    const failedNode = h.fake.jobs.get(first!)!.manifest.spec.template.spec.nodeName;
    h.fake.finishJob(first!, "failed", "BackoffLimitExceeded: Job has reached the specified backoff limit");
    await settle(h.controller, ["k3os-latest"]);

    expect(h.fake.runningJobs()).toEqual([]);
    expect(h.fake.jobs.size).toBe(1);
    expect(h.fake.nodes.get(failedNode)!.unschedulable).toBe(true);
    const status = h.fake.plan("k3os-latest").status;
    const failed = findCondition(status, "Failed");
    expect(failed).toMatchObject({ status: "True", reason: "NodeFailed" });
    expect(failed?.message).toContain(failedNode);
    expect(failed?.message).toContain("BackoffLimitExceeded");
    expect(status.nodes.find((r) => r.name === failedNode)?.phase).toBe("Failed");
    expect(findCondition(status, "Complete")?.status).toBe("False");
    expect(h.fake.events.some((e) => e.type === "Warning" && e.reason === "JobFailed")).toBe(true);
    // The other nodes were never touched.
    expect(h.fake.writes.filter((w) => w.kind === "cordon").map((w) => (w as { node: string }).node)).toEqual([failedNode]);
  });

  it("records each step as a numbered event in the status it writes: gapless, in order, once", async () => {
    const h = harness();
    addK3osNodes(h.fake, 2);
    h.fake.applyPlan("k3os-latest", k3osExample().spec);
    const order = await runPlan(h, ["k3os-latest"]);
    await settle(h.controller, ["k3os-latest"]); // a pass with nothing new records nothing.

    const events = h.fake.plan("k3os-latest").status.events ?? [];
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, index) => index + 1));
    const perNode = ["NodeSelected", "NodeCordoned", "NodeDrained", "JobStarted", "JobSucceeded", "NodeLabelled", "NodeUncordoned"];
    for (const node of order) expect(events.filter((e) => e.node === node).map((e) => e.type)).toEqual(perNode);
    // One node after the other (concurrency 1), then the plan.
    expect(events.findLast((e) => e.node === order[0])!.sequence).toBeLessThan(events.find((e) => e.node === order[1])!.sequence);
    expect(events.at(-1)).toMatchObject({ type: "PlanComplete", hash: h.fake.plan("k3os-latest").status.latestHash });
    expect(events.filter((e) => e.type === "PlanComplete")).toHaveLength(1);
  });

  it("records a failed Job and the plan's failure once, however often the plan is looked at again", async () => {
    const h = harness();
    addK3osNodes(h.fake, 2);
    h.fake.applyPlan("k3os-latest", k3osExample().spec);
    await runPlan(h, ["k3os-latest"], () => true);
    for (let pass = 0; pass < 3; pass++) await h.controller.reconcile("k3os-latest");

    const events = h.fake.plan("k3os-latest").status.events ?? [];
    expect(events.slice(-2).map((e) => e.type)).toEqual(["JobFailed", "PlanFailed"]);
    expect(events.at(-2)?.message).toContain("BackoffLimitExceeded");
    expect(events.at(-1)?.message).toMatch(/^NodeFailed: /);
    expect(events.filter((e) => e.type === "PlanFailed")).toHaveLength(1);
  });

  describe("notifications", () => {
    function recorder(): NodePlanNotifications & { told: Array<{ kind: string } & NodePlanFacts> } {
      const told: Array<{ kind: string } & NodePlanFacts> = [];
      return {
        told,
        nodePlanStarted: (facts) => told.push({ kind: "started", ...facts }),
        nodePlanFailed: (facts) => told.push({ kind: "failed", ...facts }),
      };
    }

    it("tells once that a plan started applying its hash and once that it failed, however often it is looked at again", async () => {
      const notify = recorder();
      const h = harness({ notify });
      addK3osNodes(h.fake, 3);
      h.fake.applyPlan("k3os-latest", { ...k3osExample().spec, concurrency: 2 });
      await runPlan(h, ["k3os-latest"], () => true);
      for (let pass = 0; pass < 3; pass++) await h.controller.reconcile("k3os-latest");

      const hash = h.fake.plan("k3os-latest").status.latestHash;
      expect(notify.told.map((t) => t.kind)).toEqual(["started", "failed"]);
      expect(notify.told[0]).toMatchObject({ nodePlan: "k3os-latest", version: "v0.9.0-dev", hash });
      expect(notify.told[0]?.reason).toContain(`applying v0.9.0-dev (hash ${hash.slice(0, 12)}); `);
      expect(notify.told[0]?.reason).toMatch(/first nodes: node-\d, node-\d$/);
      expect(notify.told[1]?.reason).toContain("BackoffLimitExceeded");
      expect(notify.told[1]).toMatchObject({ version: "v0.9.0-dev", hash });

      // A new leader (a fresh controller over the same status) does not tell it again.
      const after = recorder();
      const next = createNodePlanController(
        { port: h.fake.port, clock: h.clock, logger: silentLogger, notify: after, channels: { resolve: () => Promise.reject(new Error("none")) } },
        { keyPrefix: "update-manager.io", namespace: "system-upgrade" },
      );
      for (let pass = 0; pass < 3; pass++) await next.reconcile("k3os-latest");
      expect(after.told).toEqual([]);
    });

    it("tells nothing for a plan that does not fail, and a new start when the spec changes", async () => {
      const notify = recorder();
      const h = harness({ notify });
      addK3osNodes(h.fake, 2);
      h.fake.applyPlan("k3os-latest", k3osExample().spec);
      await runPlan(h, ["k3os-latest"]);
      expect(notify.told.map((t) => t.kind)).toEqual(["started"]);
      h.fake.applyPlan("k3os-latest", { ...k3osExample().spec, version: "v0.10.0" });
      await runPlan(h, ["k3os-latest"]);
      expect(notify.told.map((t) => `${t.kind} ${t.version}`)).toEqual(["started v0.9.0-dev", "started v0.10.0"]);
    });
  });

  describe("the global freeze", () => {
    it("claims no node while frozen, says so in status, and resumes when unfrozen", async () => {
      const freeze = createMemoryFreezeStore();
      const h = harness({ freeze });
      addK3osNodes(h.fake, 2);
      await freeze.set({ frozen: true, reason: "black friday", principal: "ops", time: h.clock.now() });
      h.fake.applyPlan("k3os-latest", k3osExample().spec);
      await settle(h.controller, ["k3os-latest"]);

      let status = h.fake.plan("k3os-latest").status;
      expect(status.applying).toEqual([]);
      expect(h.fake.writes.filter((w) => w.kind === "cordon" || w.kind === "job-created")).toEqual([]);
      expect(status.message).toBe("held by the freeze (black friday): no node starts until unfrozen");
      expect(findCondition(status, "Complete")).toMatchObject({ status: "False", reason: "Frozen" });

      await freeze.set({ frozen: false, reason: "", principal: "ops", time: h.clock.now() });
      const order = await runPlan(h, ["k3os-latest"]);
      expect(order.toSorted()).toEqual(["node-1", "node-2"]);
      status = h.fake.plan("k3os-latest").status;
      expect(findCondition(status, "Complete")?.status).toBe("True");
      expect(status.message).toBeUndefined();
    });

    it("lets a node already claimed finish (drained, upgraded, uncordoned), then claims no other", async () => {
      const freeze = createMemoryFreezeStore();
      const h = harness({ freeze });
      addK3osNodes(h.fake, 3);
      h.fake.addPod("node-1", { name: "web-1" });
      h.fake.addPod("node-2", { name: "web-2" });
      h.fake.addPod("node-3", { name: "web-3" });
      h.fake.applyPlan("k3os-latest", k3osExample().spec);
      await h.controller.reconcile("k3os-latest"); // the finalizer
      await h.controller.reconcile("k3os-latest"); // the claim, written before anything is done to the node
      const [claimed] = h.fake.plan("k3os-latest").status.applying;
      expect(claimed).toBeDefined();
      await freeze.set({ frozen: true, reason: "", principal: "ops", time: h.clock.now() });

      const order = await runPlan(h, ["k3os-latest"]);
      expect(order).toEqual([claimed]);
      const node = h.fake.nodes.get(claimed!)!;
      expect(node.unschedulable).toBe(false);
      expect(node.labels[planLabel]).toBe(h.fake.plan("k3os-latest").status.latestHash);
      const status = h.fake.plan("k3os-latest").status;
      expect(status.applying).toEqual([]);
      expect(status.nodes.map((r) => r.name)).toEqual([claimed]);
      expect(status.message).toBe("held by the freeze: no node starts until unfrozen");
      expect(h.fake.writes.filter((w) => w.kind === "cordon").map((w) => (w as { node: string }).node)).toEqual([claimed]);
    });

    it("holds the plan when the freeze cannot be read", async () => {
      const h = harness({ freeze: { get: () => Promise.reject(new Error("configmaps is forbidden")) } });
      addK3osNodes(h.fake, 1);
      h.fake.applyPlan("k3os-latest", k3osExample().spec);
      await settle(h.controller, ["k3os-latest"]);
      const status = h.fake.plan("k3os-latest").status;
      expect(status.applying).toEqual([]);
      expect(status.message).toContain("the freeze cannot be read: configmaps is forbidden");
    });
  });

  it("leaves a node cordoned by someone else cordoned, and runs again when the spec changes", async () => {
    const h = harness();
    addK3osNodes(h.fake, 2);
    h.fake.nodes.get("node-2")!.unschedulable = true;
    h.fake.applyPlan("k3os-latest", k3osExample().spec);
    await runPlan(h, ["k3os-latest"]);
    expect(h.fake.nodes.get("node-2")!.unschedulable).toBe(true);
    expect(h.fake.nodes.get("node-1")!.unschedulable).toBe(false);
    const firstHash = h.fake.plan("k3os-latest").status.latestHash;

    h.fake.applyPlan("k3os-latest", { ...k3osExample().spec, version: "v0.10.0" });
    const order = await runPlan(h, ["k3os-latest"]);
    expect(order.toSorted()).toEqual(["node-1", "node-2"]);
    const status = h.fake.plan("k3os-latest").status;
    expect(status.latestHash).not.toBe(firstHash);
    expect(h.fake.nodes.get("node-1")!.labels[planLabel]).toBe(status.latestHash);
    expect(h.fake.jobs.get(status.nodes[0]!.jobName)!.manifest.spec.template.spec.containers[0]!.image).toBe("rancher/k3os:v0.10.0");
    expect(status.observedGeneration).toBe(2);
  });

  it("uncordons the node it cordoned and failed on once a new spec upgrades it, even after passes that did not reach it", async () => {
    const h = harness();
    addK3osNodes(h.fake, 2);
    h.fake.applyPlan("k3os-latest", k3osExample().spec);
    await runPlan(h, ["k3os-latest"], () => true);
    const failedNode = h.fake.plan("k3os-latest").status.nodes.find((r) => r.phase === "Failed")!.name;
    expect(h.fake.nodes.get(failedNode)!.unschedulable).toBe(true);

    // A fixed spec whose version cannot be resolved yet: the pass judging it must not forget the cordon it owes.
    h.fake.applyPlan("k3os-latest", { ...k3osExample().spec, window: { days: ["sunday"], startTime: "01:00", endTime: "02:00" }, version: "v0.10.0" });
    await settle(h.controller, ["k3os-latest"]);
    expect(h.fake.runningJobs()).toEqual([]);
    h.fake.applyPlan("k3os-latest", { ...k3osExample().spec, version: "v0.10.0" });
    const order = await runPlan(h, ["k3os-latest"]);
    expect(order).toContain(failedNode);
    const status = h.fake.plan("k3os-latest").status;
    expect(findCondition(status, "Complete")?.status).toBe("True");
    for (const node of h.fake.nodes.values()) expect([node.name, node.unschedulable, node.labels[planLabel]]).toEqual([node.name, false, status.latestHash]);
    expect(status.events?.filter((e) => e.node === failedNode && e.hash === status.latestHash).map((e) => e.type)).toContain("NodeUncordoned");
  });

  it("uncordons the node it failed on when deleted after a spec change that did not reach it yet", async () => {
    const h = harness();
    addK3osNodes(h.fake, 2);
    h.fake.applyPlan("k3os-latest", k3osExample().spec);
    await runPlan(h, ["k3os-latest"], () => true);
    const failedNode = h.fake.plan("k3os-latest").status.nodes.find((r) => r.phase === "Failed")!.name;
    h.fake.applyPlan("k3os-latest", { ...k3osExample().spec, window: { days: ["sunday"], startTime: "01:00", endTime: "02:00" }, version: "v0.10.0" });
    await settle(h.controller, ["k3os-latest"]);
    h.fake.deletePlan("k3os-latest");
    await settle(h.controller, ["k3os-latest"]);
    expect(h.fake.nodes.get(failedNode)!.unschedulable).toBe(false);
  });

  it.each([
    ["a name longer than 63 characters", "x".repeat(64), k3osExample().spec, "NameTooLong"],
    ["zero concurrency", "p", { ...k3osExample().spec, concurrency: 0 }, "InvalidConcurrency"],
    ["negative concurrency", "p", { ...k3osExample().spec, concurrency: -2 }, "InvalidConcurrency"],
    ["neither version nor channel", "p", { upgrade: { image: "x" } }, "MissingVersion"],
    ["an invalid selector", "p", { ...k3osExample().spec, nodeSelector: { matchExpressions: [{ key: "a", operator: "Bogus" }] } }, "InvalidNodeSelector"],
    ["an unknown secret", "p", { ...k3osExample().spec, secrets: [{ name: "missing" }] }, "UnknownSecret"],
    ["an unknown time zone", "p", { ...k3osExample().spec, window: { startTime: "1am", endTime: "2am", timeZone: "Atlantis/Central" } }, "InvalidWindow"],
  ])("refuses %s: Validated=False with the reason, nothing runs, nothing is cordoned", async (_name, planName, spec, reason) => {
    const h = harness();
    addK3osNodes(h.fake, 2);
    h.fake.applyPlan(planName, spec);
    await settle(h.controller, [planName]);
    const status = h.fake.plan(planName).status;
    expect(findCondition(status, "Validated")).toMatchObject({ status: "False", reason });
    expect(status.message).toBe(findCondition(status, "Validated")?.message);
    expect(h.fake.writes.filter((w) => w.kind !== "status" && w.kind !== "finalizer")).toEqual([]);
    expect(h.fake.events.some((e) => e.type === "Warning" && e.reason === reason)).toBe(true);
  });

  it("resolves a channel through its resolver at most once per interval, and reports failures in status", async () => {
    let answer: string | Error = "v1.2.3";
    const h = harness({ channel: async () => (answer instanceof Error ? Promise.reject(answer) : answer) });
    addK3osNodes(h.fake, 1);
    const { version: _version, ...channelOnly } = k3osExample().spec;
    h.fake.applyPlan("k3os-latest", channelOnly);
    await runPlan(h, ["k3os-latest"]);
    expect(h.channelCalls).toEqual(["https://github.com/rancher/k3os/releases/latest"]);
    expect(h.fake.plan("k3os-latest").status.latestVersion).toBe("v1.2.3");
    expect(findCondition(h.fake.plan("k3os-latest").status, "LatestResolved")).toMatchObject({ status: "True", reason: "Channel" });

    await h.clock.advanceAsync(10 * 60_000);
    await settle(h.controller, ["k3os-latest"]);
    expect(h.channelCalls).toHaveLength(1); // within 15 minutes: not asked again

    answer = new Error("unexpected response: HTTP/1.1 500");
    await h.clock.advanceAsync(6 * 60_000);
    await settle(h.controller, ["k3os-latest"]);
    expect(h.channelCalls).toHaveLength(2);
    const status = h.fake.plan("k3os-latest").status;
    expect(findCondition(status, "LatestResolved")).toMatchObject({ status: "False", reason: "ChannelError" });
    expect(findCondition(status, "LatestResolved")?.message).toContain("500");
    expect(status.latestVersion).toBe("v1.2.3"); // kept: nothing runs again for a failed resolution
    expect(h.fake.runningJobs()).toEqual([]);
  });

  it("starts nothing outside the window and says when it opens", async () => {
    const h = harness({ start: new Date("2026-12-06T12:00:00Z") }); // a Sunday
    addK3osNodes(h.fake, 1);
    h.fake.applyPlan("k3os-latest", { ...k3osExample().spec, window: { days: ["monday"], startTime: "01:00", endTime: "04:00", timeZone: "Europe/Berlin" } });
    const first = await h.controller.reconcile("k3os-latest");
    await settle(h.controller, ["k3os-latest"]);
    expect(h.fake.jobs.size).toBe(0);
    const status = h.fake.plan("k3os-latest").status;
    expect(status.nextWindowOpening).toBe("2026-12-07T00:00:00.000Z");
    expect(findCondition(status, "Complete")).toMatchObject({ status: "False", reason: "WindowClosed" });
    expect(first.requeueAfterMs).toBe(0); // the finalizer first
    expect((await h.controller.reconcile("k3os-latest")).requeueAfterMs).toBe(12 * 3_600_000);
    await h.clock.advanceAsync(12 * 3_600_000 + 60_000);
    await settle(h.controller, ["k3os-latest"]);
    expect(h.fake.runningJobs()).toHaveLength(1);
  });

  it("waits for the policies' windows too: it starts when its own window and theirs are open together", async () => {
    // The plan's own window: Monday 01:00-04:00 Berlin (00:00-03:00 UTC); the policies': 02:00-06:00 UTC daily.
    const policyWindow: PlanWindow = { days: [0, 1, 2, 3, 4, 5, 6], startSecond: 2 * 3600, endSecond: 6 * 3600, timeZone: "UTC" };
    const h = harness({ start: new Date("2026-12-06T12:00:00Z"), extraWindows: (plan) => (plan === "k3os-latest" ? [policyWindow] : []) });
    addK3osNodes(h.fake, 1);
    h.fake.applyPlan("k3os-latest", { ...k3osExample().spec, window: { days: ["monday"], startTime: "01:00", endTime: "04:00", timeZone: "Europe/Berlin" } });
    await settle(h.controller, ["k3os-latest"]);
    expect(h.fake.plan("k3os-latest").status.nextWindowOpening).toBe("2026-12-07T02:00:00.000Z");
    // At 01:00 UTC the plan's own window is open, the policies' is not.
    await h.clock.advanceAsync(13 * 3_600_000);
    await settle(h.controller, ["k3os-latest"]);
    expect(h.fake.runningJobs()).toHaveLength(0);
    await h.clock.advanceAsync(3_600_000);
    await settle(h.controller, ["k3os-latest"]);
    expect(h.fake.runningJobs()).toHaveLength(1);
  });

  it("never runs two exclusive plans at once", async () => {
    const h = harness();
    addK3osNodes(h.fake, 2);
    h.fake.applyPlan("a", { ...k3osExample().spec, exclusive: true, concurrency: 2 });
    h.fake.applyPlan("b", { ...k3osExample().spec, exclusive: true, concurrency: 2, version: "v2" });
    await settle(h.controller, ["a", "b"]);
    const owners = new Set(h.fake.runningJobs().map((job) => h.fake.jobs.get(job)!.manifest.metadata.labels["update-manager.io/node-plan"]));
    expect(owners.size).toBe(1);
    await runPlan(h, ["a", "b"]);
    expect(findCondition(h.fake.plan("a").status, "Complete")?.status).toBe("True");
    expect(findCondition(h.fake.plan("b").status, "Complete")?.status).toBe("True");
  });

  it("claims nothing on a conflict: the node is not cordoned until its claim is written", async () => {
    const h = harness();
    addK3osNodes(h.fake, 1);
    h.fake.applyPlan("k3os-latest", k3osExample().spec);
    await h.controller.reconcile("k3os-latest"); // adds the finalizer
    const original = h.fake.port.writeStatus;
    h.fake.port.writeStatus = async (name, resourceVersion, status) => {
      h.fake.touchPlan(name); // another writer wins the race
      return original(name, resourceVersion, status);
    };
    const result = await h.controller.reconcile("k3os-latest");
    expect(result.requeueAfterMs).toBe(0);
    expect(h.fake.plan("k3os-latest").status.applying).toEqual([]);
    await h.controller.reconcile("k3os-latest"); // loses again: still nothing done to the node
    expect(h.fake.writes.filter((w) => w.kind === "cordon" || w.kind === "job-created")).toEqual([]);
    h.fake.port.writeStatus = original;
    await settle(h.controller, ["k3os-latest"]);
    expect(h.fake.runningJobs()).toHaveLength(1);
  });

  it("retries evictions a PodDisruptionBudget refuses until the drain timeout, then fails the node", async () => {
    const h = harness();
    addK3osNodes(h.fake, 2);
    h.fake.addPod("node-1", { name: "db-0", controllerKind: "StatefulSet" });
    h.fake.addPod("node-2", { name: "db-1", controllerKind: "StatefulSet" });
    h.fake.blockEvictions(() => true);
    h.fake.applyPlan("k3os-latest", { ...k3osExample().spec, drain: { force: true, timeout: "30s" } });
    await h.controller.reconcile("k3os-latest");
    await h.controller.reconcile("k3os-latest"); // claims
    const pass = h.controller.reconcile("k3os-latest"); // drains
    await h.clock.advanceAsync(10_000);
    h.fake.blockEvictions(() => false); // the budget allows it now
    await h.clock.advanceAsync(10_000);
    await pass;
    expect(h.fake.writes.filter((w) => w.kind === "evict")).toHaveLength(1);
    expect(h.fake.runningJobs()).toHaveLength(1);

    // The second node's budget never allows it.
    h.fake.blockEvictions(() => true);
    h.fake.finishJob(h.fake.runningJobs()[0]!, "succeeded");
    await h.controller.reconcile("k3os-latest"); // labels, uncordons, claims the next
    const blockedPass = h.controller.reconcile("k3os-latest");
    await h.clock.advanceAsync(40_000);
    await blockedPass;
    const status = h.fake.plan("k3os-latest").status;
    expect(findCondition(status, "Failed")).toMatchObject({ status: "True", reason: "NodeFailed" });
    expect(findCondition(status, "Failed")?.message).toMatch(/timed out.*PodDisruptionBudget.*default\/db-/);
    expect(h.fake.runningJobs()).toEqual([]);
  });

  it("refuses to drain pods no controller manages without force, and emptyDir pods without deleteEmptydirData", async () => {
    const h = harness();
    addK3osNodes(h.fake, 1);
    h.fake.addPod("node-1", { name: "bare", controllerKind: undefined });
    h.fake.addPod("node-1", { name: "cache", usesEmptyDir: true });
    h.fake.applyPlan("k3os-latest", { ...k3osExample().spec, drain: { deleteLocalData: false } });
    await settle(h.controller, ["k3os-latest"]);
    const message = findCondition(h.fake.plan("k3os-latest").status, "Failed")?.message ?? "";
    expect(message).toContain("default/bare is managed by no controller");
    expect(message).toContain("default/cache has emptyDir data");
    expect(h.fake.writes.filter((w) => w.kind === "evict")).toEqual([]);
  });

  describe("every error also as a Kubernetes Event on the plan", () => {
    const warnings = (h: Harness) => h.fake.events.filter((e) => e.type === "Warning").map((e) => `${e.reason}: ${e.message}`);

    it("a drain that cannot finish (DrainFailed), with its reason", async () => {
      const h = harness();
      addK3osNodes(h.fake, 1);
      h.fake.addPod("node-1", { name: "bare", controllerKind: undefined });
      h.fake.applyPlan("k3os-latest", { ...k3osExample().spec, drain: { force: false } });
      await settle(h.controller, ["k3os-latest"]);
      expect(warnings(h)).toEqual([expect.stringMatching(/^DrainFailed: cannot drain node-1: default\/bare is managed by no controller/)]);
    });

    it("a claimed node that went away (NodeGone)", async () => {
      const h = harness();
      addK3osNodes(h.fake, 1);
      h.fake.applyPlan("k3os-latest", k3osExample().spec);
      await settle(h.controller, ["k3os-latest"]);
      expect(h.fake.runningJobs()).toHaveLength(1);
      h.fake.nodes.delete("node-1");
      await settle(h.controller, ["k3os-latest"]);
      expect(findCondition(h.fake.plan("k3os-latest").status, "Failed")?.message).toBe("node node-1 no longer exists");
      expect(warnings(h)).toEqual(["NodeGone: node node-1 no longer exists"]);
    });

    it("an API call the pass could not make (ReconcileError), once per distinct error, again after a clean pass", async () => {
      const h = harness();
      addK3osNodes(h.fake, 1);
      h.fake.applyPlan("k3os-latest", k3osExample().spec);
      const cordon = h.fake.port.setUnschedulable;
      const refusal = new DomainError("permission-denied", "CLUSTER_ERROR", "patch nodes node-1: forbidden");
      h.fake.port.setUnschedulable = () => Promise.reject(refusal);
      for (let pass = 0; pass < 4; pass++) await h.controller.reconcile("k3os-latest").catch(() => undefined);
      await expect(h.controller.reconcile("k3os-latest")).rejects.toBe(refusal); // still thrown: the runner retries
      expect(warnings(h)).toEqual(["ReconcileError: patch nodes node-1: forbidden"]);
      h.fake.port.setUnschedulable = cordon;
      await settle(h.controller, ["k3os-latest"]);
      expect(h.fake.runningJobs()).toHaveLength(1);
      h.fake.port.setUnschedulable = () => Promise.reject(refusal);
      h.fake.finishJob(h.fake.runningJobs()[0]!, "succeeded");
      await h.controller.reconcile("k3os-latest").catch(() => undefined);
      expect(warnings(h)).toEqual(["ReconcileError: patch nodes node-1: forbidden", "ReconcileError: patch nodes node-1: forbidden"]);
    });
  });

  it("waits for the health gate between nodes: a node not Ready again, or a budget below its desired healthy pods", async () => {
    const h = harness();
    addK3osNodes(h.fake, 2);
    h.fake.applyPlan("k3os-latest", { ...k3osExample().spec, postCompleteDelay: "1m" });
    await settle(h.controller, ["k3os-latest"]);
    const [job] = h.fake.runningJobs();
    const first = h.fake.jobs.get(job!)!.manifest.spec.template.spec.nodeName;
    h.fake.finishJob(job!, "succeeded");
    h.fake.nodes.get(first)!.ready = false; // rebooting
    h.fake.budgets.push({ namespace: "shop", name: "web", healthy: false });
    await settle(h.controller, ["k3os-latest"]);
    expect(h.fake.runningJobs()).toEqual([]);
    await h.clock.advanceAsync(2 * 60_000);
    await settle(h.controller, ["k3os-latest"]);
    expect(h.fake.runningJobs()).toEqual([]);
    expect(findCondition(h.fake.plan("k3os-latest").status, "Complete")).toMatchObject({ reason: "HealthGate" });
    expect(h.fake.plan("k3os-latest").status.message).toMatch(/not Ready: node-.*shop\/web/);
    h.fake.nodes.get(first)!.ready = true;
    h.fake.budgets.length = 0;
    await settle(h.controller, ["k3os-latest"]);
    expect(h.fake.runningJobs()).toHaveLength(1);
  });

  it("fails the plan when the health gate stays closed longer than its deadline", async () => {
    const h = harness();
    addK3osNodes(h.fake, 2);
    h.fake.applyPlan("k3os-latest", k3osExample().spec);
    await settle(h.controller, ["k3os-latest"]);
    h.fake.finishJob(h.fake.runningJobs()[0]!, "succeeded");
    h.fake.budgets.push({ namespace: "shop", name: "web", healthy: false });
    await settle(h.controller, ["k3os-latest"]);
    await h.clock.advanceAsync(11 * 60_000);
    await settle(h.controller, ["k3os-latest"]);
    expect(findCondition(h.fake.plan("k3os-latest").status, "Failed")).toMatchObject({ status: "True", reason: "HealthGateTimeout" });
    h.fake.budgets.length = 0;
    await settle(h.controller, ["k3os-latest"]);
    expect(h.fake.runningJobs()).toEqual([]);
  });

  describe("the health gate's wait for the owners of evicted pods", () => {
    /** Two nodes, each running a pod of its own ReplicaSet (3 replicas wanted, 3 ready). */
    function twoNodesWithWorkloads(h: Harness): void {
      addK3osNodes(h.fake, 2);
      for (const [node, owner] of [
        ["node-1", "web-1"],
        ["node-2", "web-2"],
      ] as const) {
        h.fake.addPod(node, { namespace: "shop", name: `${owner}-pod`, controllerKind: "ReplicaSet", controllerName: owner });
        h.fake.owners.set(`ReplicaSet/shop/${owner}`, { desired: 3, ready: 3 });
      }
    }
    const firstJobNode = (h: Harness) => h.fake.jobs.get(h.fake.runningJobs()[0]!)!.manifest.spec.template.spec.nodeName;
    const ownerOf = (node: string) => (node === "node-1" ? "web-1" : "web-2");

    it("records the owners in status before evicting, then waits until each is back at its desired ready replicas", async () => {
      const h = harness();
      twoNodesWithWorkloads(h);
      const evictPod = h.fake.port.evictPod;
      const recordedAtEviction: string[][] = [];
      h.fake.port.evictPod = async (pod, options) => {
        const result = h.fake.plan("k3os-latest").status.nodes.find((r) => r.phase === "Claimed");
        recordedAtEviction.push((result?.evictedOwners ?? []).map((o) => `${o.kind}/${o.namespace}/${o.name}`));
        const key = `ReplicaSet/${pod.namespace}/${pod.controllerName}`;
        const owner = h.fake.owners.get(key);
        if (owner !== undefined) h.fake.owners.set(key, { ...owner, ready: owner.ready - 1 }); // its replacement starts
        return evictPod(pod, options);
      };
      h.fake.applyPlan("k3os-latest", k3osExample().spec);
      await settle(h.controller, ["k3os-latest"]);
      const first = firstJobNode(h);
      expect(recordedAtEviction).toEqual([[`ReplicaSet/shop/${ownerOf(first)}`]]);
      expect(h.fake.plan("k3os-latest").status.nodes.find((r) => r.name === first)?.evictedOwners).toEqual([{ kind: "ReplicaSet", namespace: "shop", name: ownerOf(first) }]);

      h.fake.finishJob(h.fake.runningJobs()[0]!, "succeeded");
      await settle(h.controller, ["k3os-latest"]);
      await h.clock.advanceAsync(30_000);
      await settle(h.controller, ["k3os-latest"]);
      expect(h.fake.runningJobs()).toEqual([]); // the replacement is not ready yet
      const waiting = h.fake.plan("k3os-latest").status;
      expect(findCondition(waiting, "Complete")).toMatchObject({ reason: "HealthGate" });
      expect(waiting.message).toContain(`ReplicaSet/shop/${ownerOf(first)} (2/3 ready)`);

      h.fake.owners.set(`ReplicaSet/shop/${ownerOf(first)}`, { desired: 3, ready: 3 });
      await settle(h.controller, ["k3os-latest"]);
      expect(h.fake.runningJobs()).toHaveLength(1);
      const status = h.fake.plan("k3os-latest").status;
      // Back: dropped from the first node's result, so it is not read again.
      expect(status.nodes.find((r) => r.name === first)?.evictedOwners).toBeUndefined();
      const reads = h.fake.ownerReads.length;
      await settle(h.controller, ["k3os-latest"]);
      expect(h.fake.ownerReads.length).toBe(reads);
    });

    it("still waits for them after a restart mid-gate, and after a restart between recording and evicting", async () => {
      const h = harness();
      twoNodesWithWorkloads(h);
      h.fake.applyPlan("k3os-latest", k3osExample().spec);
      // Stop after the pass that recorded the first node's owners: nothing evicted yet.
      for (let pass = 0; pass < 10 && !h.fake.plan("k3os-latest").status.nodes.some((r) => r.evictedOwners !== undefined); pass++) {
        await h.controller.reconcile("k3os-latest");
      }
      expect(h.fake.writes.filter((w) => w.kind === "evict")).toEqual([]);
      const restarted = () =>
        createNodePlanController(
          { port: h.fake.port, clock: h.clock, logger: silentLogger, channels: { resolve: () => Promise.reject(new Error("none")) } },
          { keyPrefix: "update-manager.io", namespace: "system-upgrade" },
        );
      let controller = restarted();
      await settle(controller, ["k3os-latest"]);
      const first = firstJobNode(h);
      expect(h.fake.writes.filter((w) => w.kind === "evict")).toEqual([{ kind: "evict", pod: `shop/${ownerOf(first)}-pod` }]);
      h.fake.owners.set(`ReplicaSet/shop/${ownerOf(first)}`, { desired: 3, ready: 1 });
      h.fake.finishJob(h.fake.runningJobs()[0]!, "succeeded");
      await settle(controller, ["k3os-latest"]);

      controller = restarted(); // mid-gate: only the status remembers what was evicted
      await h.clock.advanceAsync(60_000);
      await settle(controller, ["k3os-latest"]);
      expect(h.fake.runningJobs()).toEqual([]);
      expect(h.fake.plan("k3os-latest").status.message).toContain(`ReplicaSet/shop/${ownerOf(first)} (1/3 ready)`);
      h.fake.owners.set(`ReplicaSet/shop/${ownerOf(first)}`, { desired: 3, ready: 3 });
      await settle(controller, ["k3os-latest"]);
      expect(h.fake.runningJobs()).toHaveLength(1);
    });

    it("opens for an owner deleted meanwhile, stays closed (saying why) while an owner cannot be read, and fails at the deadline", async () => {
      const h = harness();
      twoNodesWithWorkloads(h);
      h.fake.applyPlan("k3os-latest", k3osExample().spec);
      await settle(h.controller, ["k3os-latest"]);
      const first = firstJobNode(h);
      const readOwnerReplicas = h.fake.port.readOwnerReplicas;
      h.fake.port.readOwnerReplicas = async () => {
        throw new Error('replicasets.apps "web" is forbidden');
      };
      h.fake.finishJob(h.fake.runningJobs()[0]!, "succeeded");
      await settle(h.controller, ["k3os-latest"]);
      expect(h.fake.runningJobs()).toEqual([]);
      expect(h.fake.plan("k3os-latest").status.message).toContain("cannot read it: replicasets.apps \"web\" is forbidden");

      h.fake.port.readOwnerReplicas = readOwnerReplicas;
      h.fake.owners.delete(`ReplicaSet/shop/${ownerOf(first)}`); // scaled away, deleted: nothing to wait for
      await settle(h.controller, ["k3os-latest"]);
      expect(h.fake.runningJobs()).toHaveLength(1);
      const second = firstJobNode(h);
      h.fake.owners.set(`ReplicaSet/shop/${ownerOf(second)}`, { desired: 3, ready: 2 });
      h.fake.finishJob(h.fake.runningJobs()[0]!, "succeeded");
      await settle(h.controller, ["k3os-latest"]);
      // Every node done: the plan is complete even while the last node's owner is still coming back.
      expect(findCondition(h.fake.plan("k3os-latest").status, "Complete")?.status).toBe("True");
    });

    it("fails the plan when an owner is not back within the gate's deadline", async () => {
      const h = harness();
      twoNodesWithWorkloads(h);
      h.fake.addNode("node-3", { [selectorLabel]: "true" });
      h.fake.applyPlan("k3os-latest", k3osExample().spec);
      await settle(h.controller, ["k3os-latest"]);
      const first = firstJobNode(h);
      h.fake.owners.set(`ReplicaSet/shop/${ownerOf(first)}`, { desired: 3, ready: 2 });
      h.fake.finishJob(h.fake.runningJobs()[0]!, "succeeded");
      await settle(h.controller, ["k3os-latest"]);
      await h.clock.advanceAsync(11 * 60_000);
      await settle(h.controller, ["k3os-latest"]);
      const failed = findCondition(h.fake.plan("k3os-latest").status, "Failed");
      expect(failed).toMatchObject({ status: "True", reason: "HealthGateTimeout" });
      expect(failed?.message).toContain(`ReplicaSet/shop/${ownerOf(first)} (2/3 ready)`);
      expect(h.fake.runningJobs()).toEqual([]);
    });
  });

  it("fails the node when its Job gets no pod (FailedCreate) with the reason, within 60 s even with a pass's requeue on top", async () => {
    const h = harness();
    addK3osNodes(h.fake, 2);
    h.fake.refusePods(true);
    h.fake.applyPlan("k3os-latest", k3osExample().spec);
    await settle(h.controller, ["k3os-latest"]);
    expect(h.fake.runningJobs()).toHaveLength(1);
    await h.clock.advanceAsync(44_000);
    const requeue = await h.controller.reconcile("k3os-latest");
    expect(findCondition(h.fake.plan("k3os-latest").status, "Failed")?.status).toBe("False");
    // The next pass comes at the latest after the requeue (a Job's changes bring it earlier): 60 s is never passed.
    expect(44_000 + (requeue.requeueAfterMs ?? Number.POSITIVE_INFINITY)).toBeLessThan(60_000);
    await h.clock.advanceAsync(2_000);
    await settle(h.controller, ["k3os-latest"]);
    const failed = findCondition(h.fake.plan("k3os-latest").status, "Failed");
    expect(failed).toMatchObject({ status: "True", reason: "NodeFailed" });
    expect(failed?.message).toMatch(/FailedCreate: no pod could be created within 45 s/);
    expect(h.fake.events.some((e) => e.reason === "FailedCreate")).toBe(true);
  });

  it("on deletion uncordons what the plan cordoned, removes its Jobs and its finalizer", async () => {
    const h = harness();
    addK3osNodes(h.fake, 2);
    h.fake.nodes.get("node-2")!.unschedulable = true; // someone else's
    h.fake.applyPlan("k3os-latest", { ...k3osExample().spec, concurrency: 2 });
    await settle(h.controller, ["k3os-latest"]);
    expect(h.fake.runningJobs()).toHaveLength(2);
    h.fake.deletePlan("k3os-latest");
    await settle(h.controller, ["k3os-latest"]);
    expect(h.fake.port.getPlan("k3os-latest")).toBeUndefined();
    expect(h.fake.jobs.size).toBe(0);
    expect(h.fake.nodes.get("node-1")!.unschedulable).toBe(false);
    expect(h.fake.nodes.get("node-2")!.unschedulable).toBe(true);
  });

  it("deletes succeeded Jobs once their TTL has passed, never failed ones", async () => {
    const h = harness();
    addK3osNodes(h.fake, 2);
    h.fake.applyPlan("k3os-latest", { ...k3osExample().spec, concurrency: 2 });
    await settle(h.controller, ["k3os-latest"]);
    const [ok, bad] = h.fake.runningJobs();
    h.fake.finishJob(ok!, "succeeded");
    h.fake.finishJob(bad!, "failed", "DeadlineExceeded");
    await h.controller.sweepJobs();
    expect(h.fake.jobs.size).toBe(2);
    await h.clock.advanceAsync(61_000);
    await h.controller.sweepJobs();
    expect([...h.fake.jobs.keys()]).toEqual([bad]);
  });

  it("keeps concurrency across two replicas deciding on the same plans (status claims with resourceVersion preconditions)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.record({ replica: fc.integer({ min: 0, max: 1 }), finish: fc.boolean(), ok: fc.boolean() }), { maxLength: 40 }),
        async (concurrency, nodeCount, steps) => {
          const h = harness();
          addK3osNodes(h.fake, nodeCount);
          // The second replica's cache lags one step behind (an old leader, a slow informer): it reads the plan as
          // it was before the last step, and writes with that resourceVersion.
          let stale = h.fake.port.getPlan("k3os-latest");
          const laggingPort = { ...h.fake.port, getPlan: (name: string) => (name === "k3os-latest" ? stale : h.fake.port.getPlan(name)) };
          const second = createNodePlanController(
            { port: laggingPort, clock: h.clock, logger: silentLogger, channels: { resolve: () => Promise.reject(new Error("none")) } },
            { keyPrefix: "update-manager.io", namespace: "system-upgrade" },
          );
          const replicas = [h.controller, second];
          h.fake.applyPlan("k3os-latest", { ...k3osExample().spec, concurrency });
          for (const step of steps) {
            const before = h.fake.port.getPlan("k3os-latest");
            await Promise.all([replicas[step.replica]!.reconcile("k3os-latest"), replicas[1 - step.replica]!.reconcile("k3os-latest")]);
            stale = before;
            expect(h.fake.plan("k3os-latest").status.applying.length).toBeLessThanOrEqual(concurrency);
            expect(h.fake.runningJobs().length).toBeLessThanOrEqual(concurrency);
            const running = h.fake.runningJobs();
            if (step.finish && running.length > 0) h.fake.finishJob(running[0]!, step.ok ? "succeeded" : "failed", "x");
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("keeps concurrency when the process dies at any write of a pass and a fresh one resumes from status (restarts)", async () => {
    /** The port of a process killed at its `at`-th write, before it reached the API server or once applied. */
    const dyingAt = (port: NodePlansPort, at: number, applied: boolean): NodePlansPort => {
      let count = 0;
      const kill = <A extends unknown[], R>(write: (...args: A) => Promise<R>) =>
        async (...args: A): Promise<R> => {
          if (count++ < at) return write(...args);
          if (applied && count - 1 === at) await write(...args);
          throw new Error("killed");
        };
      return {
        ...port,
        writeStatus: kill(port.writeStatus),
        setFinalizer: kill(port.setFinalizer),
        setUnschedulable: kill(port.setUnschedulable),
        labelNode: kill(port.labelNode),
        evictPod: kill(port.evictPod),
        createJob: kill(port.createJob),
        deleteJob: kill(port.deleteJob),
      };
    };
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(
          fc.record({ crash: fc.option(fc.record({ at: fc.integer({ min: 0, max: 6 }), applied: fc.boolean() }), { nil: undefined }), finish: fc.boolean(), ok: fc.boolean() }),
          { maxLength: 40 },
        ),
        async (concurrency, nodeCount, steps) => {
          const h = harness();
          addK3osNodes(h.fake, nodeCount);
          for (let index = 1; index <= nodeCount; index++) h.fake.addPod(`node-${index}`, { name: `web-${index}`, controllerName: `web-${index}` });
          h.fake.applyPlan("k3os-latest", { ...k3osExample().spec, concurrency });
          const fresh = (port: NodePlansPort) =>
            createNodePlanController(
              { port, clock: h.clock, logger: silentLogger, channels: { resolve: () => Promise.reject(new Error("none")) } },
              { keyPrefix: "update-manager.io", namespace: "system-upgrade" },
            );
          const invariants = () => {
            expect(h.fake.plan("k3os-latest").status.applying.length).toBeLessThanOrEqual(concurrency);
            expect(h.fake.runningJobs().length).toBeLessThanOrEqual(concurrency);
            expect([...h.fake.nodes.values()].filter((node) => node.unschedulable).length).toBeLessThanOrEqual(concurrency);
          };
          for (const step of steps) {
            // Each step is a new process: nothing but the plan's status carries over.
            const port = step.crash === undefined ? h.fake.port : dyingAt(h.fake.port, step.crash.at, step.crash.applied);
            await fresh(port)
              .reconcile("k3os-latest")
              .catch((error: unknown) => {
                if ((error as Error).message !== "killed") throw error;
              });
            invariants();
            const running = h.fake.runningJobs();
            if (step.finish && running.length > 0) h.fake.finishJob(running[0]!, step.ok ? "succeeded" : "failed", "x");
          }
          // No more crashes: the plan resumes to its end, every Job succeeding.
          const survivor = fresh(h.fake.port);
          for (let round = 0; round < 30; round++) {
            await settle(survivor, ["k3os-latest"]);
            invariants();
            const running = h.fake.runningJobs();
            if (running.length === 0 && h.fake.plan("k3os-latest").status.applying.length === 0) break;
            for (const job of running) h.fake.finishJob(job, "succeeded");
          }
          const status = h.fake.plan("k3os-latest").status;
          const failed = status.nodes.filter((r) => r.hash === status.latestHash && r.phase === "Failed").map((r) => r.name);
          if (failed.length === 0) {
            expect(findCondition(status, "Complete")?.status).toBe("True");
            for (const node of h.fake.nodes.values()) expect([node.labels[planLabel], node.unschedulable]).toEqual([status.latestHash, false]);
          } else {
            expect(findCondition(status, "Failed")?.status).toBe("True");
            for (const node of h.fake.nodes.values()) expect(node.unschedulable).toBe(failed.includes(node.name));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
