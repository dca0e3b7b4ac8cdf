import { describe, expect, it } from "vitest";
import type { WorkloadRef } from "../../src/core/domain/workload.js";
import type { TargetLocks } from "../../src/core/ports/target-locks.js";

export type HolderState = "active" | "finished" | "missing";

/** One test's locks: every `open` shares the same locks (two replicas), on workloads `workload` created. */
export interface LocksUnderTest {
  /** A workload the locks can hold (created in the cluster for the real adapter). */
  workload(name: string): Promise<WorkloadRef>;
  /** A replica's locks, asking `states` where a holder's update stands (missing when absent). */
  open(states: Record<string, HolderState>): TargetLocks;
  /** The holder as stored (the annotation, the map), read fresh: not through a cache. */
  storedHolder(target: WorkloadRef): Promise<string | undefined>;
}

/**
 * The TargetLocks contract, run against every implementation: the in-memory locks (unit tier) and the workload
 * annotation locks (kube tier); whatever form locks take next must pass it too. Stale-lock takeover: a lock of a
 * finished update is taken over; one of a missing update only once older than the grace period (60 s here).
 */
export function describeTargetLocksContract(name: string, fresh: () => Promise<LocksUnderTest>): void {
  describe(`TargetLocks contract: ${name}`, () => {
    it("takes all locks or none, naming the holder of a busy target", async () => {
      const t = await fresh();
      const [web, worker, cache] = [await t.workload("web"), await t.workload("worker"), await t.workload("cache")];
      const locks = t.open({ u1: "active", u2: "active" });
      await locks.acquire("u1", [web]);
      const error = await locks.acquire("u2", [worker, web, cache]).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: "aborted", reason: "TARGET_BUSY", metadata: { update_id: "u1", workload: `Deployment/${web.namespace}/web` } });
      expect(await t.storedHolder(worker)).toBeUndefined();
      expect(await t.storedHolder(cache)).toBeUndefined();
      expect(await t.storedHolder(web)).toBe("u1");
    });

    it("lets exactly one of two racing updates win every target", async () => {
      const t = await fresh();
      const targets = [await t.workload("a"), await t.workload("b")];
      const states: Record<string, HolderState> = { u1: "active", u2: "active" };
      const results = await Promise.allSettled([t.open(states).acquire("u1", targets), t.open(states).acquire("u2", [...targets].reverse())]);
      expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
      const loser = results.find((result) => result.status === "rejected") as PromiseRejectedResult;
      expect(loser.reason).toMatchObject({ code: "aborted", reason: "TARGET_BUSY" });
      const winner = results[0]!.status === "fulfilled" ? "u1" : "u2";
      expect(await t.storedHolder(targets[0]!)).toBe(winner);
      expect(await t.storedHolder(targets[1]!)).toBe(winner);
    });

    it("lets the holder acquire again (resume after a failover) and extend its set", async () => {
      const t = await fresh();
      const [web, worker] = [await t.workload("web"), await t.workload("worker")];
      const states: Record<string, HolderState> = { u1: "active" };
      await t.open(states).acquire("u1", [web]);
      await t.open(states).acquire("u1", [web, worker]);
      expect(await t.storedHolder(web)).toBe("u1");
      expect(await t.storedHolder(worker)).toBe("u1");
    });

    it("releases only the caller's own locks", async () => {
      const t = await fresh();
      const [web, worker] = [await t.workload("web"), await t.workload("worker")];
      const locks = t.open({ u1: "active", u2: "active", u3: "active" });
      await locks.acquire("u1", [web]);
      await locks.acquire("u2", [worker]);
      await locks.release("u2", [web, worker]);
      expect(await t.storedHolder(web)).toBe("u1");
      expect(await t.storedHolder(worker)).toBeUndefined();
      await locks.release("u1", [web]);
      await locks.acquire("u3", [web]);
      expect(await t.storedHolder(web)).toBe("u3");
    });

    it("takes over the lock of a finished update, and of a missing one only after the grace period", async () => {
      const t = await fresh();
      const target = [await t.workload("a")];
      const states: Record<string, HolderState> = { old: "active" };
      await t.open(states).acquire("old", target);
      await expect(t.open(states).acquire("new", target)).rejects.toMatchObject({ reason: "TARGET_BUSY", metadata: { update_id: "old" } });
      states["old"] = "finished";
      await t.open(states).acquire("new", target);
      expect(await t.storedHolder(target[0]!)).toBe("new");
      // "new" has no run yet (it is created right after its locks): a young lock of a missing update holds.
      await expect(t.open(states).acquire("newer", target)).rejects.toMatchObject({ reason: "TARGET_BUSY", metadata: { update_id: "new" } });
    });
  });
}
