import { AppsV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLegacyLockAnnotations } from "../../../src/cluster/kubernetes/legacy-lock-annotations.js";
import { createMetadataKeys } from "../../../src/core/domain/metadata-keys.js";
import type { UpdateRecord } from "../../../src/core/domain/update.js";
import type { Workload, WorkloadRef } from "../../../src/core/domain/workload.js";
import { systemClock } from "../../../src/core/ports/clock.js";
import type { TargetLocks } from "../../../src/core/ports/target-locks.js";
import { createKubernetesUpdateStore, type KubernetesUpdateStore } from "../../../src/store/kubernetes/kubernetes-update-store.js";
import { createRunTargetLocks } from "../../../src/store/kubernetes/run-target-locks.js";
import { aRecord } from "../../contract/update-store-contract.js";
import { type CrdPlane, startCrdPlane } from "./kube-fixture.js";

let crd: CrdPlane;
let apps: AppsV1Api;
const keys = createMetadataKeys();

beforeAll(async () => {
  crd = await startCrdPlane();
  apps = crd.kubeConfig.makeApiClient(AppsV1Api);
});

afterAll(async () => {
  await crd?.stop();
});

interface Replica {
  readonly store: KubernetesUpdateStore;
  readonly locks: TargetLocks;
}

/** One replica: its UpdateRun store (as the persistence composes it) and its locks, on a live workload cache. */
async function replica(namespace: string, identity: string): Promise<Replica> {
  const store = createKubernetesUpdateStore({
    kubeConfig: crd.kubeConfig,
    rest: crd.rest,
    namespace,
    clock: systemClock,
    identity,
    settleTargetRaces: true,
  });
  await store.start();
  const locks = createRunTargetLocks({
    runs: store,
    // The annotations as the cluster cache would hold them: read when asked (the test changes them directly).
    cluster: { getWorkload: (ref) => annotationsSeen.get(`${ref.namespace}/${ref.name}`) },
    legacy: createLegacyLockAnnotations({ rest: crd.rest, keys }),
    clock: systemClock,
    missingUpdateGraceMs: 60_000,
  });
  return { store, locks };
}

/** What the workload cache would hold (only the annotations are read). */
const annotationsSeen = new Map<string, Workload>();

async function refreshCache(namespace: string, name: string) {
  const object = await apps.readNamespacedDeployment({ namespace, name });
  annotationsSeen.set(`${namespace}/${name}`, { annotations: object.metadata?.annotations ?? {} } as unknown as Workload);
  return object;
}

async function deployment(namespace: string, name: string, annotations: Record<string, string> = {}): Promise<WorkloadRef> {
  await apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name, annotations },
      spec: {
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "app", image: "example.com/app:1" }] } },
      },
    },
  });
  await refreshCache(namespace, name);
  return { kind: "Deployment", namespace, name };
}

/** A pending run changing `targets`. */
function runFor(id: string, targets: readonly WorkloadRef[]): UpdateRecord {
  const base = aRecord(id);
  const workload = base.plan.workloads[0]!;
  const status = base.workloads[0]!;
  return {
    ...base,
    plan: { ...base.plan, workloads: targets.map((target) => ({ ...workload, workload: target })) },
    workloads: targets.map((target) => ({ ...status, workload: target })),
  };
}

/** What start-update does: take the locks, create the run (giving the locks back when that fails). */
async function accept(r: Replica, record: UpdateRecord, targets: readonly WorkloadRef[]): Promise<void> {
  await r.locks.acquire(record.id, targets);
  try {
    await r.store.create(record, [{ type: "planned", plan: record.plan }]);
  } catch (error) {
    await r.locks.release(record.id, targets);
    throw error;
  }
}

async function until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("target locks held with the UpdateRuns", () => {
  it("lets exactly one of two updates racing on two replicas win, leaving the workloads untouched", async () => {
    const namespace = await crd.createNamespace("race");
    const a = await deployment(namespace, "a");
    const b = await deployment(namespace, "b");
    const before = await refreshCache(namespace, "a");
    const one = await replica(namespace, "pod-1");
    const two = await replica(namespace, "pod-2");
    try {
      const results = await Promise.allSettled([
        accept(one, runFor("u1", [a, b]), [a, b]),
        accept(two, runFor("u2", [b, a]), [b, a]),
      ]);
      expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
      const loser = results.find((result) => result.status === "rejected") as PromiseRejectedResult;
      expect(loser.reason).toMatchObject({ code: "aborted", reason: "TARGET_BUSY" });
      const winner = results[0]!.status === "fulfilled" ? "u1" : "u2";
      const lost = winner === "u1" ? "u2" : "u1";
      // The loser's run is gone; both replicas name the winner as the holder of both targets.
      expect(await one.store.readLiveById(lost)).toBeUndefined();
      await until("both replicas see the winner", () => [one, two].every((r) => r.locks.holder(a) === winner && r.locks.holder(b) === winner));
      // A third update is refused on either replica, without writing anything.
      await expect(two.locks.acquire("u3", [a])).rejects.toMatchObject({ reason: "TARGET_BUSY", metadata: { update_id: winner } });
      await expect(one.locks.acquire("u3", [b])).rejects.toMatchObject({ reason: "TARGET_BUSY", metadata: { update_id: winner } });
      // Locks changed nothing on the workload: same generation, no annotation.
      const after = await refreshCache(namespace, "a");
      expect(after.metadata?.generation).toBe(before.metadata?.generation);
      expect(after.metadata?.annotations ?? {}).toEqual(before.metadata?.annotations ?? {});
    } finally {
      await one.store.stop();
      await two.store.stop();
    }
  });

  it("is released by the run's terminal status (even one another replica's cache has not seen yet)", async () => {
    const namespace = await crd.createNamespace("release");
    const a = await deployment(namespace, "a");
    const one = await replica(namespace, "pod-1");
    const two = await replica(namespace, "pod-2");
    try {
      const record = runFor("u1", [a]);
      await accept(one, record, [a]);
      await until("replica two sees u1", () => two.locks.holder(a) === "u1");
      await expect(two.locks.acquire("u2", [a])).rejects.toMatchObject({ reason: "TARGET_BUSY" });
      await one.store.save({ ...record, state: "succeeded", phase: "finished", finishTime: new Date() }, [
        { type: "finished", state: "succeeded", reason: "" },
      ]);
      await one.locks.release("u1", [a]);
      // Replica two takes it at once: a contended holder is read live before refusing.
      await two.locks.acquire("u2", [a]);
      await two.store.create(runFor("u2", [a]), []);
      await until("both replicas see u2", () => one.locks.holder(a) === "u2" && two.locks.holder(a) === "u2");
    } finally {
      await one.store.stop();
      await two.store.stop();
    }
  });

  it("survives a crash: a restarted replica finds the unfinished run holding its targets, and resumes it", async () => {
    const namespace = await crd.createNamespace("crash");
    const a = await deployment(namespace, "a");
    const one = await replica(namespace, "pod-1");
    await accept(one, runFor("u1", [a]), [a]);
    await one.store.stop(); // the process is gone; nothing was released

    const restarted = await replica(namespace, "pod-1b");
    try {
      expect(restarted.locks.holder(a)).toBe("u1");
      await expect(restarted.locks.acquire("u2", [a])).rejects.toMatchObject({ reason: "TARGET_BUSY", metadata: { update_id: "u1" } });
      // Resuming re-takes its own locks.
      await restarted.locks.acquire("u1", [a]);
    } finally {
      await restarted.store.stop();
    }
  });

  it("honours a lock annotation of an earlier version while its update runs, and removes it", async () => {
    const namespace = await crd.createNamespace("legacy");
    const lockedAt = new Date().toISOString();
    const a = await deployment(namespace, "a", { [keys.lockAnnotation]: "old", [`${keys.lockAnnotation}-at`]: lockedAt });
    const b = await deployment(namespace, "b", { [keys.lockAnnotation]: "gone", [`${keys.lockAnnotation}-at`]: "2020-01-01T00:00:00Z" });
    const c = await deployment(namespace, "c", { [keys.lockAnnotation]: "resumed", [`${keys.lockAnnotation}-at`]: lockedAt });
    const r = await replica(namespace, "pod-1");
    try {
      const old = runFor("old", [a]);
      await r.store.create(old, []);
      await expect(r.locks.acquire("new", [a])).rejects.toMatchObject({ reason: "TARGET_BUSY", metadata: { update_id: "old" } });
      // The earlier version's update finished: its annotation is stale and removed when the target is taken.
      await r.store.save({ ...old, state: "succeeded", phase: "finished", finishTime: new Date() }, [
        { type: "finished", state: "succeeded", reason: "" },
      ]);
      await r.locks.acquire("new", [a]);
      expect((await refreshCache(namespace, "a")).metadata?.annotations ?? {}).not.toHaveProperty(keys.lockAnnotation);
      // An update that no longer exists, locked long ago: taken over.
      await r.locks.acquire("new-b", [b]);
      expect((await refreshCache(namespace, "b")).metadata?.annotations ?? {}).not.toHaveProperty(`${keys.lockAnnotation}-at`);
      // Its own annotation (an update the earlier version started, resumed now): converted, i.e. removed.
      await r.locks.acquire("resumed", [c]);
      expect((await refreshCache(namespace, "c")).metadata?.annotations ?? {}).not.toHaveProperty(keys.lockAnnotation);
    } finally {
      await r.store.stop();
    }
  });

  it("refuses a second update of a target in the same process before its run exists", async () => {
    const namespace = await crd.createNamespace("local");
    const a = await deployment(namespace, "a");
    const r = await replica(namespace, "pod-1");
    try {
      await r.locks.acquire("u1", [a]);
      await expect(r.locks.acquire("u2", [a])).rejects.toMatchObject({ reason: "TARGET_BUSY", metadata: { update_id: "u1" } });
      await r.locks.release("u1", [a]);
      await r.locks.acquire("u2", [a]);
    } finally {
      await r.store.stop();
    }
  });
});
