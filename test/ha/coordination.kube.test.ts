import { CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLeaseElector, type LeaseElector } from "../../src/cluster/kubernetes/lease-elector.js";
import { createRestClient } from "../../src/cluster/kubernetes/rest-client.js";
import { systemClock } from "../../src/core/ports/clock.js";
import { createConfigMapQuarantineStore } from "../../src/store/kubernetes/config-map-quarantine-store.js";
import { createConfigMapWatch } from "../../src/store/kubernetes/config-map-watch.js";
import { type ControlPlane, startControlPlane } from "../support/control-plane.js";
import { startTcpProxy, type TcpProxy } from "../cluster/kubernetes/tcp-proxy.js";
import { describeQuarantineStoreContract } from "../contract/quarantine-store-contract.js";
import { describeWatchStateStoreContract } from "../contract/watch-state-store-contract.js";
import { describeFreezeStoreContract } from "../contract/freeze-store-contract.js";
import { createConfigMapFreezeStore } from "../../src/store/kubernetes/config-map-freeze-store.js";
import { createConfigMapWatchStateStore } from "../../src/store/kubernetes/config-map-watch-state-store.js";
import { createConfigMapNotificationDedupeStore } from "../../src/store/kubernetes/config-map-notification-dedupe-store.js";
import { describeNotificationDedupeStoreContract } from "../contract/notification-dedupe-store-contract.js";

let plane: ControlPlane;
let namespaceCount = 0;

beforeAll(async () => {
  plane = await startControlPlane();
});

afterAll(async () => {
  await plane?.stop();
});

async function createNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${++namespaceCount}`;
  await plane.kubeConfig().makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
  return name;
}

const timings = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 250 };

interface Candidate {
  readonly elector: LeaseElector;
  readonly transitions: string[];
}

function candidate(namespace: string, identity: string, server?: string): Candidate {
  const kubeConfig = plane.kubeConfig();
  if (server !== undefined) {
    const cluster = kubeConfig.getCurrentCluster();
    kubeConfig.clusters = kubeConfig.clusters.map((c) => (c.name === cluster?.name ? { ...c, server } : c));
  }
  const transitions: string[] = [];
  const elector = createLeaseElector({
    rest: createRestClient(kubeConfig, { timeoutMs: 1000 }),
    namespace,
    identity,
    clock: systemClock,
    ...timings,
    onStartedLeading: (previous) => transitions.push(previous === undefined ? "started" : `started after ${previous}`),
    onStoppedLeading: () => transitions.push("stopped"),
  });
  return { elector, transitions };
}

/** Samples both candidates every 20 ms until `until` holds (bounded); fails if both ever lead at once. */
async function watchLeaders(a: LeaseElector, b: LeaseElector, until: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!until()) {
    expect(a.isLeader() && b.isLeader()).toBe(false);
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("leader election on a Lease", () => {
  it("elects one leader, and hands over at once when it stops", async () => {
    const namespace = await createNamespace("lease");
    const a = candidate(namespace, "pod-a");
    const b = candidate(namespace, "pod-b");
    a.elector.start();
    await watchLeaders(a.elector, b.elector, () => a.elector.isLeader(), 10_000);
    b.elector.start();
    // b keeps following while a renews: well past a lease duration.
    await watchLeaders(a.elector, b.elector, () => false, 4000).catch((error: Error) => expect(error.message).toMatch(/not reached/));
    expect(b.elector.isLeader()).toBe(false);
    expect(b.elector.leader()).toBe("pod-a");

    const stoppedAt = Date.now();
    await a.elector.stop();
    await watchLeaders(a.elector, b.elector, () => b.elector.isLeader(), 5000);
    // Released, not expired: b took over within a couple of retry periods, not a lease duration.
    expect(Date.now() - stoppedAt).toBeLessThan(timings.leaseDurationMs);
    expect(a.transitions).toEqual(["started", "stopped"]);
    await b.elector.stop();
  });

  it("has a leader cut off from the API server stop before another takes over", async () => {
    const namespace = await createNamespace("partition");
    const proxy: TcpProxy = await startTcpProxy(new URL(plane.server));
    const a = candidate(namespace, "pod-a", proxy.url);
    const b = candidate(namespace, "pod-b");
    try {
      a.elector.start();
      await watchLeaders(a.elector, b.elector, () => a.elector.isLeader(), 10_000);
      b.elector.start();
      // b follows once it has read the Lease a holds.
      await watchLeaders(a.elector, b.elector, () => b.elector.leader() === "pod-a", 10_000);
      const cutAt = Date.now();
      proxy.refuse(true);
      proxy.cut();
      let stoppedAfter = -1;
      await watchLeaders(
        a.elector,
        b.elector,
        () => {
          if (stoppedAfter < 0 && !a.elector.isLeader()) stoppedAfter = Date.now() - cutAt;
          return b.elector.isLeader();
        },
        15_000,
      );
      expect(stoppedAfter).toBeGreaterThanOrEqual(0);
      expect(stoppedAfter).toBeLessThanOrEqual(timings.renewDeadlineMs + 100);
      expect(Date.now() - cutAt).toBeGreaterThanOrEqual(timings.leaseDurationMs - timings.renewDeadlineMs);
      expect(a.transitions).toEqual(["started", "stopped"]);
      // b took over a's expired Lease, and says whose (its runs without a first status are not left to it).
      expect(b.transitions).toEqual(["started after pod-a"]);
    } finally {
      await a.elector.stop();
      await b.elector.stop();
      await proxy.close();
    }
  }, 60_000);
});

describeWatchStateStoreContract("ConfigMap on a 1.20 control plane", async () => {
  const namespace = await createNamespace("watch-state");
  return (options) => createConfigMapWatchStateStore({ rest: createRestClient(plane.kubeConfig()), namespace, ...options });
});

describeNotificationDedupeStoreContract("ConfigMap on a 1.20 control plane", async () => {
  const namespace = await createNamespace("notifications");
  return (settings) => createConfigMapNotificationDedupeStore({ rest: createRestClient(plane.kubeConfig()), namespace, clock: systemClock, ...settings });
});

describeFreezeStoreContract("ConfigMap on a 1.20 control plane", async () => {
  const namespace = await createNamespace("freeze");
  return () => createConfigMapFreezeStore({ rest: createRestClient(plane.kubeConfig()), namespace });
});

describeQuarantineStoreContract("ConfigMap on a 1.20 control plane", async () => {
  const namespace = await createNamespace("quarantine");
  return async (settings) => createConfigMapQuarantineStore({ rest: createRestClient(plane.kubeConfig()), namespace, ...settings });
});

describe("quarantine records in a ConfigMap", () => {
  it("are shared by every replica, survive without any UpdateRun, and are cleared by image", async () => {
    const namespace = await createNamespace("quarantine");
    const open = () => createConfigMapQuarantineStore({ rest: createRestClient(plane.kubeConfig()), namespace });
    const replica1 = open();
    const replica2 = open();
    const web = { kind: "Deployment" as const, namespace: "shop", name: "web" };
    const base = { workload: web, updateId: "u1", reason: "CrashLoopBackOff", createTime: new Date("2025-01-01T00:00:00Z") };
    // Two replicas adding at once: neither record is lost (resourceVersion preconditions, redone on conflict).
    await Promise.all([
      replica1.add({ ...base, image: "registry.example.com/shop/web:2.0" }),
      replica2.add({ ...base, image: "registry.example.com/shop/web:3.0", updateId: "u2" }),
    ]);
    expect((await replica2.find(web, "registry.example.com/shop/web:2.0"))?.updateId).toBe("u1");
    expect((await replica1.find(web, "registry.example.com/shop/web:3.0"))?.createTime).toEqual(base.createTime);
    expect(await replica1.find({ ...web, name: "other" }, "registry.example.com/shop/web:2.0")).toBeUndefined();
    const page = await replica1.list({ pageSize: 1 });
    expect(page.items).toHaveLength(1);
    expect((await replica1.list({ pageSize: 1, pageToken: page.nextPageToken })).items).toHaveLength(1);
    const cleared = await replica2.clear("registry.example.com/shop/web:2.0");
    expect(cleared.map((record) => record.updateId)).toEqual(["u1"]);
    expect(await replica1.find(web, "registry.example.com/shop/web:2.0")).toBeUndefined();
    expect((await replica1.list({ pageSize: 10 })).items.map((record) => record.image)).toEqual(["registry.example.com/shop/web:3.0"]);
  });

  it("are read from a watch of the ConfigMap, without a request, and a record another replica adds is seen there", async () => {
    const namespace = await createNamespace("quarantine-watch");
    const rest = createRestClient(plane.kubeConfig());
    let gets = 0;
    const counting = {
      request<T>(request: Parameters<typeof rest.request>[0]): Promise<T> {
        if (request.method === "GET") gets++;
        return rest.request<T>(request);
      },
    };
    const watch = createConfigMapWatch({
      kubeConfig: plane.kubeConfig(),
      rest: counting,
      location: { namespace, name: "update-manager-quarantine" },
      clock: systemClock,
    });
    watch.start();
    try {
      const watched = createConfigMapQuarantineStore({ rest: counting, namespace, watch });
      const other = createConfigMapQuarantineStore({ rest, namespace });
      const web = { kind: "Deployment" as const, namespace: "shop", name: "web" };
      const image = "registry.example.com/shop/web:2.0";
      const deadline = Date.now() + 10_000;
      while (watch.current() === undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      // Created by another replica after the watch started (the ConfigMap did not exist): seen without a GET.
      await other.add({ workload: web, image, updateId: "u1", reason: "CrashLoopBackOff", createTime: new Date() });
      const before = gets;
      let found: unknown;
      while (found === undefined && Date.now() < deadline) {
        found = await watched.find(web, image);
        if (found === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(found).toMatchObject({ updateId: "u1" });
      expect(gets - before).toBe(0);
      // Cleared by the other replica: no longer blocks here either.
      await other.clear(image);
      while ((await watched.find(web, image)) !== undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await watched.find(web, image)).toBeUndefined();
      expect(gets - before).toBe(0);
    } finally {
      watch.stop();
    }
  });
});
