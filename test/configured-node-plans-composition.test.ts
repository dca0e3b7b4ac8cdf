import { afterEach, describe, expect, it, vi } from "vitest";
import { demoPlan } from "../src/cluster/simulated/demo-node-plans.js";
import { createConfiguredNodePlans, type ConfiguredNodePlansOptions } from "../src/configured-node-plans-composition.js";
import { systemClock } from "../src/core/ports/clock.js";
import * as kubernetes from "../src/kubernetes-composition.js";
import type { NodePlans } from "../src/node-plans-composition.js";
import { createMemoryFreezeStore } from "../src/store/memory/memory-freeze-store.js";
import { createRecordingLogger, type LogLine } from "./core/use-cases/engine-harness.js";
import { emptyCluster, type FakeApiServer, startFakeApiServer } from "./support/fake-api-server.js";
import { createFakeClock } from "./support/fake-clock.js";

const ignoredWarning = "UPDATE_MANAGER_NODE_PLANS is ignored: node upgrade plans need a Kubernetes cluster";

let api: FakeApiServer | undefined;
let plans: NodePlans | undefined;

afterEach(async () => {
  await plans?.stop();
  plans = undefined;
  await api?.close();
  api = undefined;
});

/** A loopback API server with no plans, nodes, Jobs or budgets, counting the requests it gets. */
async function emptyApiServer() {
  let requests = 0;
  api = await startFakeApiServer((request, response) => {
    requests++;
    emptyCluster(request, response);
  });
  return { kubeConfig: api.kubeConfig, requests: () => requests };
}

function options(
  cluster: ConfiguredNodePlansOptions["cluster"],
  enabled: boolean,
  lines: LogLine[],
  overrides: Partial<ConfiguredNodePlansOptions> = {},
): ConfiguredNodePlansOptions {
  return {
    cluster,
    config: { enabled, namespace: "system-upgrade", channelIntervalMs: 60_000 },
    keyPrefix: "update-manager.io",
    canExecute: undefined,
    clock: systemClock,
    logger: createRecordingLogger(lines),
    freeze: createMemoryFreezeStore(),
    ...overrides,
  };
}

describe("the node plans the application runs", () => {
  it.each([true, false])("on the embedded demo: its sample plan, whatever UPDATE_MANAGER_NODE_PLANS says (%s)", (enabled) => {
    const lines: LogLine[] = [];
    plans = createConfiguredNodePlans(options({ kind: "embedded" }, enabled, lines));
    expect(plans?.reads.listPlans().map((plan) => plan.name)).toEqual([demoPlan.name]);
    expect(lines.filter((line) => line.level === "warn")).toEqual([]);
  });

  it("on the embedded demo: held by the freeze it is given, the one the engine uses", async () => {
    const clock = createFakeClock(new Date("2026-12-07T10:00:00Z"));
    const freeze = createMemoryFreezeStore({ frozen: true, reason: "release day", principal: "ops", time: clock.now() });
    plans = createConfiguredNodePlans(options({ kind: "embedded" }, false, [], { clock, freeze }));
    plans?.start();
    await clock.advanceAsync(10_000);
    expect(plans?.reads.getPlan(demoPlan.name)?.status.message).toBe("held by the freeze (release day): no node starts until unfrozen");
  });

  it("on a real cluster with UPDATE_MANAGER_NODE_PLANS: the cluster's plans, read from its API server", async () => {
    const api = await emptyApiServer();
    const clients = kubernetes.createKubernetesClients(api.kubeConfig);
    const lines: LogLine[] = [];
    plans = createConfiguredNodePlans(options({ kind: "kubernetes", kubernetes, clients }, true, lines));
    expect(plans).toBeDefined();
    plans?.start();
    await vi.waitFor(() => expect(plans?.reads.isSynced()).toBe(true), { timeout: 5_000, interval: 20 });
    expect(api.requests()).toBeGreaterThan(0);
    expect(plans?.reads.listPlans()).toEqual([]); // the cluster's (none), not the demo's
    expect(lines.filter((line) => line.level === "warn")).toEqual([]);
  });

  it("on a real cluster without UPDATE_MANAGER_NODE_PLANS: none, and the API server is not asked about plans", async () => {
    const api = await emptyApiServer();
    const lines: LogLine[] = [];
    plans = createConfiguredNodePlans(
      options({ kind: "kubernetes", kubernetes, clients: kubernetes.createKubernetesClients(api.kubeConfig) }, false, lines),
    );
    expect(plans).toBeUndefined();
    expect(api.requests()).toBe(0);
    expect(lines).toEqual([]);
  });

  it("on a cluster handed in (tests): none; UPDATE_MANAGER_NODE_PLANS set is warned about as ignored", () => {
    const lines: LogLine[] = [];
    expect(createConfiguredNodePlans(options({ kind: "injected" }, true, lines))).toBeUndefined();
    expect(lines.map((line) => [line.level, line.message])).toEqual([["warn", ignoredWarning]]);

    const quiet: LogLine[] = [];
    expect(createConfiguredNodePlans(options({ kind: "injected" }, false, quiet))).toBeUndefined();
    expect(quiet).toEqual([]);
  });
});
