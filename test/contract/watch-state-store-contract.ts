import { describe, expect, it } from "vitest";
import { defaultMaxWatchStateEntries } from "../../src/core/domain/watch-state.js";
import type { WatchStateStore } from "../../src/core/ports/watch-state-store.js";

/** Opens a store on one test's data; every store opened by the same opener shares it (a restart, a failover). */
export type OpenWatchStateStore = (options: { readonly maxEntries?: number }) => WatchStateStore;

const at = (minute: number) => new Date(Date.UTC(2025, 0, 1, 0, minute));

/**
 * The WatchStateStore contract, run against the in-memory store (unit tier) and the ConfigMap store (a fake API
 * server in the unit tier, kube-apiserver in the kube tier): the same merge rules and the same bounds.
 */
export function describeWatchStateStoreContract(name: string, fresh: () => Promise<OpenWatchStateStore>): void {
  describe(`WatchStateStore contract: ${name}`, () => {
    it("starts empty, and keeps what was saved for every store on the same data", async () => {
      const open = await fresh();
      const first = open({});
      expect(await first.load()).toMatchObject({ available: [] });
      expect((await first.load()).firstSeen.size).toBe(0);
      await first.save({
        firstSeen: new Map([["r/web:1.0.1", at(1)]]),
        attempts: new Map([["Deployment/shop/web|web|r/web:1.0.1", { updateId: "u1", time: at(2) }]]),
      });
      const second = open({});
      const loaded = await second.load();
      expect(loaded.firstSeen.get("r/web:1.0.1")).toEqual(at(1));
      expect(loaded.attempts.get("Deployment/shop/web|web|r/web:1.0.1")).toEqual({ updateId: "u1", time: at(2) });
    });

    it("never moves a first-seen time later, and adds to what another store saved", async () => {
      const open = await fresh();
      await open({}).save({ firstSeen: new Map([["r/web:1.0.1", at(5)]]) });
      await open({}).save({ firstSeen: new Map([["r/web:1.0.1", at(9)], ["r/web:1.0.2", at(9)]]) });
      const loaded = await open({}).load();
      expect(loaded.firstSeen.get("r/web:1.0.1")).toEqual(at(5));
      expect(loaded.firstSeen.get("r/web:1.0.2")).toEqual(at(9));
    });

    it("keeps re-check requests for the leader, the later time winning, the newest 100 at most", async () => {
      const open = await fresh();
      expect((await open({}).load()).rechecks ?? new Map()).toEqual(new Map());
      await open({}).save({ rechecks: new Map([["registry:5000/team/web", at(3)]]) });
      await open({}).save({ rechecks: new Map([["registry:5000/team/web", at(2)], ["ghcr.io/acme/api", at(4)]]) });
      expect((await open({}).load()).rechecks).toEqual(
        new Map([
          ["registry:5000/team/web", at(3)],
          ["ghcr.io/acme/api", at(4)],
        ]),
      );
      await open({}).save({ rechecks: new Map(Array.from({ length: 120 }, (_, index) => [`r/repo-${index}`, new Date(at(10).getTime() + index)])) });
      const bounded = (await open({}).load()).rechecks!;
      expect(bounded.size).toBe(100);
      expect(bounded.has("r/repo-119")).toBe(true);
      expect(bounded.has("registry:5000/team/web")).toBe(false);
    });

    it("keeps at most its bound per map, dropping the oldest entries, with the same default everywhere", async () => {
      expect(defaultMaxWatchStateEntries).toBe(2000);
      const open = await fresh();
      const store = open({ maxEntries: 3 });
      await store.save({ firstSeen: new Map([1, 2, 3, 4, 5].map((minute) => [`r/web:1.0.${minute}`, at(minute)])) });
      await store.save({ attempts: new Map([1, 2, 3, 4].map((minute) => [`attempt-${minute}`, { updateId: `u${minute}`, time: at(minute) }])) });
      const loaded = await store.load();
      expect([...loaded.firstSeen.keys()].sort()).toEqual(["r/web:1.0.3", "r/web:1.0.4", "r/web:1.0.5"]);
      expect([...loaded.attempts.keys()].sort()).toEqual(["attempt-2", "attempt-3", "attempt-4"]);
    });
  });
}
