import { describe, expect, it } from "vitest";
import { notFrozen } from "../../src/core/domain/freeze.js";
import type { FreezeStore } from "../../src/core/ports/freeze-store.js";

/** Opens a store on one test's data; every store opened by the same opener shares it (a restart, another replica). */
export type OpenFreezeStore = () => FreezeStore;

/**
 * The FreezeStore contract, run against the in-memory store (one process) and the ConfigMap store (a fake API server
 * in the unit tier, kube-apiserver in the kube tier). `shared` says whether a second store sees the first's writes.
 */
export function describeFreezeStoreContract(name: string, fresh: () => Promise<OpenFreezeStore>, shared = true): void {
  describe(`FreezeStore contract: ${name}`, () => {
    it("is not frozen before anything was written", async () => {
      const open = await fresh();
      expect(await open().get()).toEqual(notFrozen);
    });

    it("keeps a freeze with its reason, principal and time, and tells its subscribers", async () => {
      const open = await fresh();
      const store = open();
      const heard: boolean[] = [];
      const unsubscribe = store.subscribe((state) => heard.push(state.frozen));
      const time = new Date("2025-01-01T10:00:00.125Z");
      await store.set({ frozen: true, reason: "release weekend", principal: "alice", time });
      expect(await store.get()).toEqual({ frozen: true, reason: "release weekend", principal: "alice", time });
      if (shared) expect(await open().get()).toEqual({ frozen: true, reason: "release weekend", principal: "alice", time });
      await store.set({ frozen: false, reason: "", principal: "bob", time: new Date("2025-01-01T11:00:00Z") });
      expect((await store.get()).frozen).toBe(false);
      unsubscribe();
      await store.set({ frozen: true, reason: "", principal: "alice", time });
      expect(heard).toEqual([true, false]);
    });
  });
}
