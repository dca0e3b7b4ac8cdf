import { describe, expect, it } from "vitest";
import type { QuarantineRecord } from "../../src/core/domain/quarantine.js";
import type { CountFailure, HandledFailure } from "../../src/core/ports/failure-counter.js";
import type { QuarantineStore } from "../../src/core/ports/quarantine-store.js";

/** What the contract passes to a store it opens. */
export interface QuarantineStoreSettings {
  /** The store's bound (small, so the overflow is cheap to reach). */
  readonly maxRecords: number;
  readonly countFailure: CountFailure;
}

/**
 * Opens a fresh, empty store; every store opened within one test shares its data (two replicas), and the
 * factory releases what it started after the suite.
 */
export type OpenQuarantineStore = (settings: QuarantineStoreSettings) => Promise<QuarantineStore>;

const web = { kind: "Deployment" as const, namespace: "shop", name: "web" };
const worker = { kind: "Deployment" as const, namespace: "shop", name: "worker" };
const other = { kind: "Deployment" as const, namespace: "ops", name: "web" };
const digestA = `sha256:${"a".repeat(64)}`;
const digestB = `sha256:${"b".repeat(64)}`;
const image = "registry.example.com/shop/web:1.5.0";

export function aQuarantine(overrides: Partial<QuarantineRecord> = {}): QuarantineRecord {
  return {
    workload: web,
    image,
    updateId: "u1",
    reason: "CrashLoopBackOff",
    createTime: new Date("2025-01-01T00:00:00Z"),
    ...overrides,
  };
}

/**
 * The QuarantineStore contract, run against every adapter: the in-memory store (unit tier) and the ConfigMap
 * store (a fake API server in the unit tier, kube-apiserver in the kube tier). `fresh()` gives each test an
 * empty store (a new namespace, say); `open(settings)` opens a store on that same data.
 */
export function describeQuarantineStoreContract(
  name: string,
  fresh: () => Promise<OpenQuarantineStore>,
): void {
  describe(`QuarantineStore contract: ${name}`, () => {
    const counted: HandledFailure[] = [];
    let opener: OpenQuarantineStore;
    const open = async (maxRecords = 1000): Promise<QuarantineStore> => {
      return opener({ maxRecords, countFailure: (failure) => counted.push(failure) });
    };
    const beforeEachTest = async () => {
      counted.length = 0;
      opener = await fresh();
    };

      it("blocks the same image on the same workload only", async () => {
      await beforeEachTest();
      const store = await open();
      await store.add(aQuarantine());
      expect((await store.find(web, image))?.updateId).toBe("u1");
      expect(await store.find(worker, image)).toBeUndefined();
      expect(await store.find(web, "registry.example.com/shop/web:1.5.1")).toBeUndefined();
    });

      it("compares references after normalisation", async () => {
      await beforeEachTest();
      const store = await open();
      await store.add(aQuarantine({ image: "docker.io/library/nginx:1.27" }));
      expect(await store.find(web, "nginx:1.27")).toBeDefined();
    });

      it("matches by digest when both sides know it, so a re-pushed tag is not blocked", async () => {
      await beforeEachTest();
      const store = await open();
      await store.add(aQuarantine({ digest: digestA }));
      expect(await store.find(web, image, digestA)).toBeDefined();
      expect(await store.find(web, image, digestB)).toBeUndefined();
      expect(await store.find(web, "registry.example.com/shop/web:renamed", digestA)).toBeDefined();
      // Only one side knows the digest: the reference decides.
      expect(await store.find(web, image)).toBeDefined();
    });

      it("lists newest first, by namespace, in pages", async () => {
      await beforeEachTest();
      const store = await open();
      await store.add(aQuarantine({ updateId: "u1" }));
      await store.add(aQuarantine({ workload: other, updateId: "u2" }));
      await store.add(aQuarantine({ workload: worker, updateId: "u3" }));
      const first = await store.list({ pageSize: 1 });
      expect(first.items.map((r) => r.updateId)).toEqual(["u3"]);
      const rest = await store.list({ pageSize: 5, pageToken: first.nextPageToken });
      expect(rest.items.map((r) => r.updateId)).toEqual(["u2", "u1"]);
      expect(rest.nextPageToken).toBe("");
      expect((await store.list({ pageSize: 5, namespace: "shop" })).items.map((r) => r.updateId)).toEqual(["u3", "u1"]);
      await expect(store.list({ pageSize: 5, pageToken: "%%%" })).rejects.toMatchObject({
        code: "invalid-argument",
        metadata: { field: "page_token" },
      });
    });

      it("replaces a repeated failure instead of listing it twice", async () => {
      await beforeEachTest();
      const store = await open();
      await store.add(aQuarantine({ updateId: "u1" }));
      await store.add(aQuarantine({ updateId: "u2" }));
      const page = await store.list({ pageSize: 10 });
      expect(page.items.map((r) => r.updateId)).toEqual(["u2"]);
    });

      it("clears by reference or digest, for one workload or all, and returns what it removed", async () => {
      await beforeEachTest();
      const store = await open();
      await store.add(aQuarantine({ workload: web, updateId: "u1" }));
      await store.add(aQuarantine({ workload: worker, updateId: "u2" }));
      await store.add(aQuarantine({ workload: other, image: "registry.example.com/shop/web:2.0.0", digest: digestA, updateId: "u3" }));

      expect((await store.clear(image, worker)).map((r) => r.updateId)).toEqual(["u2"]);
      expect(await store.find(worker, image)).toBeUndefined();
      expect(await store.find(web, image)).toBeDefined();

      expect((await store.clear(digestA)).map((r) => r.updateId)).toEqual(["u3"]);
      expect((await store.clear(image)).map((r) => r.updateId)).toEqual(["u1"]);
      expect(await store.clear(image)).toEqual([]);
      expect((await store.list({ pageSize: 10 })).items).toEqual([]);
    });

      it("keeps its own copies", async () => {
      await beforeEachTest();
      const store = await open();
      const record = aQuarantine();
      await store.add(record);
      (record as { reason: string }).reason = "mutated";
      const found = (await store.find(web, image))!;
      expect(found.reason).toBe("CrashLoopBackOff");
      expect(found.createTime).toBeInstanceOf(Date);
    });

    it("refuses a record past its bound with RESOURCE_EXHAUSTED and a metric, and drops none", async () => {
      await beforeEachTest();
      const store = await open(3);
      for (const updateId of ["u1", "u2", "u3"]) await store.add(aQuarantine({ workload: { ...web, name: `web-${updateId}` }, updateId }));
      const refused = store.add(aQuarantine({ workload: { ...web, name: "web-u4" }, updateId: "u4" }));
      await expect(refused).rejects.toMatchObject({ code: "resource-exhausted", reason: "QUARANTINE_FULL", metadata: { limit: "3" } });
      expect(counted).toEqual(["quarantine-full"]);
      // The oldest record still blocks its image: nothing was dropped to make room.
      expect((await store.find({ ...web, name: "web-u1" }, image))?.updateId).toBe("u1");
      expect((await store.list({ pageSize: 10 })).items.map((r) => r.updateId)).toEqual(["u3", "u2", "u1"]);
      // A repeated failure replaces its record, so it is recorded even when full; clearing makes room again.
      await store.add(aQuarantine({ workload: { ...web, name: "web-u1" }, updateId: "u1-again" }));
      expect((await store.find({ ...web, name: "web-u1" }, image))?.updateId).toBe("u1-again");
      await store.clear(image, { ...web, name: "web-u2" });
      await store.add(aQuarantine({ workload: { ...web, name: "web-u4" }, updateId: "u4" }));
      expect((await store.list({ pageSize: 10 })).items).toHaveLength(3);
      expect(counted).toEqual(["quarantine-full"]);
    });

    it("lets every store on the same data see the records of the others", async () => {
      await beforeEachTest();
      const first = await open();
      const second = await open();
      await first.add(aQuarantine({ updateId: "u1" }));
      await second.add(aQuarantine({ workload: worker, updateId: "u2" }));
      expect((await first.find(worker, image))?.updateId).toBe("u2");
      expect((await second.list({ pageSize: 10 })).items.map((r) => r.updateId)).toEqual(["u2", "u1"]);
    });
  });
}
