import { describe, expect, it } from "vitest";
import type { NotificationDedupeStore } from "../../src/core/ports/notification-dedupe-store.js";
import { defaultMaxFindingsPerChannel } from "../../src/store/memory/memory-notification-dedupe-store.js";

export interface DedupeStoreSettings {
  readonly maxPerChannel?: number;
  readonly onEvicted?: (channel: string, count: number) => void;
}

/**
 * Opens a store on one test's data; every store the same opener opens shares it once flushed (a restart, a new
 * leader). `durable: false` (memory): the opener returns the same store, as a restart would lose it.
 */
export type OpenDedupeStore = (settings: DedupeStoreSettings) => NotificationDedupeStore;

/**
 * The NotificationDedupeStore contract, run against the memory and file stores and the ConfigMap store (a fake API
 * server in the unit tier, kube-apiserver in the kube tier): per-channel memory, the bound and its evictions.
 */
export function describeNotificationDedupeStoreContract(name: string, fresh: () => Promise<OpenDedupeStore>): void {
  describe(`NotificationDedupeStore contract: ${name}`, () => {
    it("remembers a finding per channel, for every store on the same data once written", async () => {
      const open = await fresh();
      const first = open({});
      expect(await first.has("mail", "finding-a")).toBe(false);
      first.add("mail", "finding-a");
      expect(await first.has("mail", "finding-a")).toBe(true);
      expect(await first.has("chat", "finding-a")).toBe(false);
      await first.flush();
      const restarted = open({});
      expect(await restarted.has("mail", "finding-a")).toBe(true);
      expect(await restarted.has("chat", "finding-a")).toBe(false);
    });

    it("keeps at most its bound per channel, forgetting the oldest first and counting each, 10,000 by default", async () => {
      expect(defaultMaxFindingsPerChannel).toBe(10_000);
      const open = await fresh();
      const evictions: string[] = [];
      const store = open({ maxPerChannel: 3, onEvicted: (channel, count) => evictions.push(`${channel}:${count}`) });
      for (const finding of ["f1", "f2", "f3", "f4", "f5"]) store.add("mail", finding);
      store.add("chat", "f1");
      await store.flush();
      expect(evictions).toEqual(["mail:1", "mail:1"]);
      const restarted = open({ maxPerChannel: 3 });
      const kept = [];
      for (const finding of ["f1", "f2", "f3", "f4", "f5"]) if (await restarted.has("mail", finding)) kept.push(finding);
      expect(kept).toEqual(["f3", "f4", "f5"]);
      expect(await restarted.has("chat", "f1")).toBe(true);
    });
  });
}
