import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DomainError } from "../../../src/core/domain/domain-error.js";
import type { UpdateEvent } from "../../../src/core/domain/update-event.js";
import { systemClock } from "../../../src/core/ports/clock.js";
import { ExecutionHalted } from "../../../src/core/use-cases/execution-halted.js";
import { createKubernetesUpdateStore, type KubernetesUpdateStore } from "../../../src/store/kubernetes/kubernetes-update-store.js";
import { toUpdateRunObject, type UpdateRunObject, updateRunsPath } from "../../../src/store/kubernetes/update-run-codec.js";
import { kubectlOk } from "../../kube/kubectl.js";
import { aRecord, describeUpdateStoreContract } from "../../contract/update-store-contract.js";
import { type CrdPlane, startCrdPlane } from "./kube-fixture.js";

let crd: CrdPlane;

beforeAll(async () => {
  crd = await startCrdPlane();
});

afterAll(async () => {
  await crd?.stop();
});

interface ReplicaOptions {
  identity?: string;
  leader?: () => boolean;
  maxProgressEventsPerWorkload?: number;
}

async function openStore(namespace: string, options: ReplicaOptions = {}): Promise<KubernetesUpdateStore> {
  const store = createKubernetesUpdateStore({
    kubeConfig: crd.kubeConfig,
    rest: crd.rest,
    namespace,
    clock: systemClock,
    identity: options.identity ?? "pod-a",
    ...(options.leader === undefined ? {} : { canExecute: options.leader }),
    ...(options.maxProgressEventsPerWorkload === undefined ? {} : { maxProgressEventsPerWorkload: options.maxProgressEventsPerWorkload }),
  });
  await store.start();
  return store;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: unknown) => error,
  );
}

describeUpdateStoreContract("UpdateRuns on a 1.20 control plane", async () => {
  const store = await openStore(await crd.createNamespace("contract"));
  return { store, close: () => store.stop() };
});

describe("UpdateRun store across replicas", () => {
  it("refuses a duplicate idempotency key created through another replica, and any replica reads a run at once", async () => {
    const namespace = await crd.createNamespace("replicas");
    const a = await openStore(namespace, { identity: "pod-a" });
    const b = await openStore(namespace, { identity: "pod-b" });
    try {
      const first = aRecord("u-a", { idempotencyKey: "build-1" });
      await a.create(first, [{ type: "planned", plan: first.plan }]);
      // b's informer may not have seen it yet: the API server decides, by the name derived from the key.
      const error = await rejection(b.create(aRecord("u-b", { idempotencyKey: "build-1" }), []));
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ code: "already-exists", metadata: { update_id: "u-a" } });
      expect((await b.findByIdempotencyKey("ci", "build-1"))?.id).toBe("u-a");
      const other = aRecord("u-c");
      await a.create(other, []);
      expect((await b.get("u-c"))?.id).toBe("u-c");
      expect(await b.readEvents("u-a", 0)).toHaveLength(1);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it("keeps a run's first events through the API server's schema: a run without status reads as accepted", async () => {
    const namespace = await crd.createNamespace("accepted");
    const record = aRecord("u-accepted", { state: "queued", queuedTime: new Date("2025-01-01T00:00:01Z"), lastSequence: 2 });
    const events: UpdateEvent[] = [
      { type: "planned", plan: record.plan, sequence: 1, time: new Date("2025-01-01T00:00:01Z"), updateId: record.id },
      { type: "queued", behind: ["u-0"], sequence: 2, time: new Date("2025-01-01T00:00:01Z"), updateId: record.id },
    ];
    // As the acceptor's POST writes it; its first status never follows (the acceptor died in between).
    const created = await crd.rest.request<UpdateRunObject>({
      method: "POST",
      path: updateRunsPath(namespace),
      body: toUpdateRunObject(record, namespace, events),
    });
    expect(created.spec.accepted).toBeDefined();
    const reader = await openStore(namespace, { identity: "pod-b" });
    try {
      expect(await reader.get(record.id)).toEqual(record);
      expect(await reader.readEvents(record.id, 0)).toEqual(events);
    } finally {
      await reader.stop();
    }
  });

  it("lets a follower record only a cancel, which the leader sees and keeps in its next write", async () => {
    const namespace = await crd.createNamespace("cancel");
    const leader = await openStore(namespace, { identity: "pod-a", leader: () => true });
    const follower = await openStore(namespace, { identity: "pod-b", leader: () => false });
    try {
      const record = aRecord("u-1");
      await follower.create(record, [{ type: "planned", plan: record.plan }]);
      const working = (await leader.get("u-1"))!;
      working.state = "running";
      await leader.save(working, []);
      const seen: UpdateEvent[] = [];
      leader.subscribe("u-1", (event) => seen.push(event));

      const stale = (await follower.get("u-1"))!;
      stale.state = "succeeded";
      expect(await rejection(follower.save(stale, [{ type: "finished", state: "succeeded", reason: "" }]))).toBeInstanceOf(ExecutionHalted);

      const cancel = (await follower.get("u-1"))!;
      cancel.cancelRequested = true;
      await follower.save(cancel, [{ type: "cancel-requested", reason: "wrong image", requester: "alice" }]);
      await expect.poll(() => seen.map((event) => event.type), { timeout: 10_000 }).toEqual(["cancel-requested"]);

      // The leader's copy predates the cancel: its write lands after it (409, re-read) and keeps the flag.
      working.phase = "rolling-out";
      await leader.save(working, [{ type: "workload-healthy", workload: working.workloads[0]!.workload }]);
      const stored = (await leader.get("u-1"))!;
      expect(stored.cancelRequested).toBe(true);
      expect((await leader.readEvents("u-1", 0)).map((event) => [event.sequence, event.type])).toEqual([
        [1, "planned"],
        [2, "cancel-requested"],
        [3, "workload-healthy"],
      ]);
      const object = JSON.parse(await kubectlOk(["-n", namespace, "get", "updateruns", "-o", "json"], { kubeconfig: crd.plane.kubeconfigPath }));
      expect(object.items[0].status).toMatchObject({ executor: "pod-a", phase: "Running", cancelRequested: true, lastSequence: 3 });

      working.state = "cancelled";
      working.phase = "finished";
      await leader.save(working, [{ type: "finished", state: "cancelled", reason: "cancelled" }]);
      // Finished runs are never written again, by anyone.
      expect(await rejection(leader.save(working, []))).toBeInstanceOf(ExecutionHalted);
      const late = (await follower.get("u-1"))!;
      late.cancelRequested = true;
      expect(await rejection(follower.save(late, [{ type: "cancel-requested", reason: "", requester: "bob" }]))).toMatchObject({
        code: "failed-precondition",
        reason: "UPDATE_FINISHED",
      });
    } finally {
      await leader.stop();
      await follower.stop();
    }
  });

  it("lets a follower record approval decisions, which the leader keeps when its own copy predates them", async () => {
    const namespace = await crd.createNamespace("approve");
    const leader = await openStore(namespace, { identity: "pod-a", leader: () => true });
    const follower = await openStore(namespace, { identity: "pod-b", leader: () => false });
    try {
      const deadline = new Date(Date.now() + 3_600_000);
      const record = aRecord("u-w", {
        state: "waiting-for-approval",
        approval: { required: 2, deadline, policy: 'policy "production"', approvals: [] },
      });
      await leader.create(record, [
        { type: "planned", plan: record.plan },
        { type: "approval-required", required: 2, deadline, policy: 'policy "production"' },
      ]);
      const leaderCopy = (await leader.get("u-w"))!;
      // The follower records alice's approval: only the decision, never the execution state.
      const decided = (await follower.get("u-w"))!;
      decided.approval!.approvals.push({ principal: "alice", time: new Date() });
      await follower.save(decided, [{ type: "approval-granted", approver: "alice", approvals: 1, required: 2 }]);
      await expect.poll(async () => (await leader.get("u-w"))?.approval?.approvals.map((a) => a.principal), { timeout: 10_000 }).toEqual([
        "alice",
      ]);
      // The leader saves its older copy (bob's approval): alice's is merged in, not lost.
      leaderCopy.approval!.approvals.push({ principal: "bob", time: new Date() });
      await leader.save(leaderCopy, [{ type: "approval-granted", approver: "bob", approvals: 2, required: 2 }]);
      const stored = (await follower.readLiveById("u-w"))!;
      expect(stored.approval?.approvals.map((a) => a.principal)).toEqual(["alice", "bob"]);
      expect(stored.approval?.deadline).toEqual(deadline);
      expect((await leader.readEvents("u-w", 0)).map((event) => event.type)).toEqual([
        "planned",
        "approval-required",
        "approval-granted",
        "approval-granted",
      ]);
      // A follower's decision on a run that does not wait any more is refused.
      const running = structuredClone(stored);
      running.state = "pending";
      await leader.save(running, [{ type: "planned", plan: running.plan }]);
      const late = (await follower.readLiveById("u-w"))!;
      late.approval!.rejection = { principal: "carol", time: new Date(), reason: "" };
      expect(await rejection(follower.save(late, [{ type: "approval-rejected", approver: "carol", reason: "" }]))).toMatchObject({
        code: "failed-precondition",
        reason: "NOT_WAITING_FOR_APPROVAL",
      });
    } finally {
      await leader.stop();
      await follower.stop();
    }
  }, 60_000);

  it("keeps a wait for a gate through the API server's schema: spec and status, readable with kubectl", async () => {
    const namespace = await crd.createNamespace("gate");
    const leader = await openStore(namespace, { identity: "pod-a", leader: () => true });
    const follower = await openStore(namespace, { identity: "pod-b", leader: () => false });
    try {
      const notBefore = new Date("2030-01-01T09:00:00Z");
      const gateWait = { gate: "window" as const, policy: 'window "office-hours"', reason: "outside window", since: new Date("2029-12-31T20:00:00Z"), notBefore };
      const record = aRecord("u-g", { state: "waiting-for-gate", gateWait });
      await leader.create(record, [
        { type: "planned", plan: record.plan },
        { type: "gate-closed", gate: "window", policy: 'window "office-hours"', reason: "outside window", notBefore },
      ]);
      const stored = (await follower.readLiveById("u-g"))!;
      expect(stored.state).toBe("waiting-for-gate");
      expect(stored.gateWait).toEqual(gateWait);
      expect((await follower.readEvents("u-g", 0)).at(-1)).toMatchObject({ type: "gate-closed", notBefore });
      const object = JSON.parse(await kubectlOk(["-n", namespace, "get", "updateruns", "-o", "json"], { kubeconfig: crd.plane.kubeconfigPath }));
      expect(object.items[0].spec.gateWait).toMatchObject({ gate: "window", notBefore: "2030-01-01T09:00:00.000Z" });
      expect(object.items[0].status).toMatchObject({ phase: "WaitingForGate", gateWait: { gate: "window", notBefore: "2030-01-01T09:00:00.000Z" } });
    } finally {
      await leader.stop();
      await follower.stop();
    }
  }, 60_000);

  it("records at most the configured progress events per workload and keeps sequences gapless", async () => {
    const namespace = await crd.createNamespace("progress");
    const store = await openStore(namespace, { maxProgressEventsPerWorkload: 2 });
    try {
      const record = aRecord("u-p");
      await store.create(record, []);
      const workload = record.workloads[0]!.workload;
      const progress = (updated: number) => ({
        type: "workload-progress" as const,
        workload,
        rollout: { state: "progressing" as const, desired: 3, updated, ready: updated, available: updated, message: `${updated} of 3` },
      });
      for (let updated = 0; updated < 4; updated++) await store.save(record, [progress(updated)]);
      await store.save(record, [{ type: "workload-healthy", workload }]);
      expect((await store.readEvents("u-p", 0)).map((event) => [event.sequence, event.type])).toEqual([
        [1, "workload-progress"],
        [2, "workload-progress"],
        [3, "workload-healthy"],
      ]);
    } finally {
      await store.stop();
    }
  });

  it("writes batched saves as one group commit, streams them only once written, and flushes them with an unbatched save", async () => {
    const namespace = await crd.createNamespace("group");
    let statusWrites = 0;
    const counting = {
      request<T>(request: Parameters<typeof crd.rest.request>[0]): Promise<T> {
        if (request.method === "PUT") statusWrites++;
        return crd.rest.request<T>(request);
      },
    };
    const store = createKubernetesUpdateStore({
      kubeConfig: crd.kubeConfig,
      rest: counting,
      namespace,
      clock: systemClock,
      identity: "pod-a",
      groupCommitMs: 100,
    });
    await store.start();
    try {
      const record = aRecord("u-g");
      await store.create(record, []);
      const workload = record.workloads[0]!.workload;
      const received: { sequence: number; type: string }[] = [];
      store.subscribe("u-g", (event) => received.push({ sequence: event.sequence, type: event.type }));
      statusWrites = 0;
      const progress = (updated: number) => ({
        type: "workload-progress" as const,
        workload,
        rollout: { state: "progressing" as const, desired: 3, updated, ready: updated, available: updated, message: `${updated} of 3` },
      });
      // Three batched saves: none is written or streamed yet.
      for (let updated = 0; updated < 3; updated++) await store.save(record, [progress(updated)], { batch: true });
      expect(statusWrites).toBe(0);
      expect(received).toEqual([]);
      // The window ends: one write, then all three are streamed in order.
      const deadline = Date.now() + 5000;
      while (received.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(statusWrites).toBe(1);
      expect(received.map((event) => event.sequence)).toEqual([1, 2, 3]);
      // A batched save followed by an unbatched one: written together at once, before the second resolves.
      await store.save(record, [{ type: "workload-healthy", workload }], { batch: true });
      await store.save({ ...record, state: "succeeded", phase: "finished" }, [{ type: "finished", state: "succeeded", reason: "" }]);
      expect(statusWrites).toBe(2);
      expect(received.map((event) => event.type)).toEqual(["workload-progress", "workload-progress", "workload-progress", "workload-healthy", "finished"]);
      expect((await store.readEvents("u-g", 0)).map((event) => event.sequence)).toEqual([1, 2, 3, 4, 5]);
    } finally {
      await store.stop();
    }
  });

  it("stores a run of 500 targets in an object under 256 KiB", async () => {
    const namespace = await crd.createNamespace("big");
    const store = await openStore(namespace);
    try {
      const base = aRecord("u-big");
      const image = (tag: string) => `registry.example.com/platform/shop-frontend-service:${tag}`;
      const statuses = Array.from({ length: 500 }, (_, i) => ({
        workload: { kind: "Deployment" as const, namespace: `team-${i % 20}`, name: `frontend-${i}` },
        phase: "pending" as const,
        containers: [{ name: "app", init: false, currentImage: image(`1.${i}`), newImage: image("2.0"), unchanged: false }],
        message: "",
        patched: false,
      }));
      const record = {
        ...base,
        plan: { migrations: [], workloads: statuses.map((s) => ({ workload: s.workload, containers: s.containers, unchanged: false, warnings: [] })), warnings: [] },
        workloads: statuses,
      };
      await store.create(record, [{ type: "planned", plan: record.plan }]);
      // Ten workloads per write, as a rollout of many small workloads records them.
      for (let start = 0; start < record.workloads.length; start += 10) {
        const batch = record.workloads.slice(start, start + 10);
        for (const status of batch) {
          status.patched = true;
          status.phase = "healthy" as never;
        }
        await store.save(
          record,
          batch.flatMap((status) => [
            { type: "workload-patched" as const, workload: status.workload, containers: status.containers },
            { type: "workload-healthy" as const, workload: status.workload },
          ]),
        );
      }
      const json = await kubectlOk(["-n", namespace, "get", "updateruns", "-o", "json"], { kubeconfig: crd.plane.kubeconfigPath });
      const object = JSON.parse(json).items[0];
      expect(Buffer.byteLength(JSON.stringify(object))).toBeLessThan(256 * 1024);
      expect(object.status.lastSequence).toBe(1001);
      expect((await store.readEvents("u-big", 1000)).map((event) => event.type)).toEqual(["workload-healthy"]);
      expect(object.status.targets).toHaveLength(50);
      expect(object.status.targets[0]).toEqual({
        target: "Deployment/team-0/frontend-0",
        phase: "healthy",
        patched: true,
        images: [{ container: "app", previous: image("1.0"), new: image("2.0") }],
      });
    } finally {
      await store.stop();
    }
  });

  it("prunes finished runs by count and by age, never unfinished ones", async () => {
    const namespace = await crd.createNamespace("prune");
    const store = await openStore(namespace);
    try {
      for (let i = 0; i < 4; i++) {
        const record = aRecord(`u-${i}`, { createTime: new Date(Date.now() - (10 - i) * 60_000) });
        await store.create(record, []);
        if (i === 3) continue;
        record.state = "succeeded";
        record.phase = "finished";
        record.finishTime = new Date(Date.now() - (10 - i) * 60_000);
        await store.save(record, [{ type: "finished", state: "succeeded", reason: "" }]);
      }
      // Count: the newest finished one stays.
      expect(await store.prune({ maxAgeMs: 3_600_000, maxCount: 1 })).toBe(2);
      expect((await store.list({ pageSize: 10 })).items.map((r) => r.id)).toEqual(["u-3", "u-2"]);
      // Age: everything finished longer ago than a minute goes; the unfinished one stays whatever its age.
      expect(await store.prune({ maxAgeMs: 60_000, maxCount: 10 })).toBe(1);
      const names = await kubectlOk(["-n", namespace, "get", "updateruns", "-o", "name"], { kubeconfig: crd.plane.kubeconfigPath });
      expect(names.trim().split("\n")).toEqual(["updaterun.updatemanager.io/u-3"]);
    } finally {
      await store.stop();
    }
  });

  it("says how to install the CRD when it is missing (run last: it deletes the CRD)", async () => {
    const namespace = await crd.createNamespace("nocrd");
    await kubectlOk(["delete", "crd", "updateruns.updatemanager.io", "--wait=true"], { kubeconfig: crd.plane.kubeconfigPath });
    const store = createKubernetesUpdateStore({ kubeConfig: crd.kubeConfig, rest: crd.rest, namespace, clock: systemClock, identity: "pod-a" });
    const error = await rejection(store.start());
    expect(error).toMatchObject({ code: "failed-precondition" });
    expect((error as Error).message).toContain("apply kube/base/update-run-crd.yaml");
    expect((error as Error).message).toContain("UPDATE_MANAGER_STORE=memory");
  });
});
