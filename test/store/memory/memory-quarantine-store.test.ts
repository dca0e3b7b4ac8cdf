import { describe, expect, it } from "vitest";
import type { QuarantineRecord } from "../../../src/core/domain/quarantine.js";
import { createMemoryQuarantineStore } from "../../../src/store/memory/memory-quarantine-store.js";

const web = { kind: "Deployment" as const, namespace: "shop", name: "web" };
const worker = { kind: "Deployment" as const, namespace: "shop", name: "worker" };
const other = { kind: "Deployment" as const, namespace: "ops", name: "web" };
const digestA = `sha256:${"a".repeat(64)}`;
const digestB = `sha256:${"b".repeat(64)}`;
const image = "registry.example.com/shop/web:1.5.0";

function aQuarantine(overrides: Partial<QuarantineRecord> = {}): QuarantineRecord {
  return {
    workload: web,
    image,
    updateId: "u1",
    reason: "CrashLoopBackOff",
    createTime: new Date("2025-01-01T00:00:00Z"),
    ...overrides,
  };
}

describe("memory quarantine store", () => {
  it("blocks the same image on the same workload only", async () => {
    const store = createMemoryQuarantineStore();
    await store.add(aQuarantine());
    expect((await store.find(web, image))?.updateId).toBe("u1");
    expect(await store.find(worker, image)).toBeUndefined();
    expect(await store.find(web, "registry.example.com/shop/web:1.5.1")).toBeUndefined();
  });

  it("compares references after normalisation", async () => {
    const store = createMemoryQuarantineStore();
    await store.add(aQuarantine({ image: "docker.io/library/nginx:1.27" }));
    expect(await store.find(web, "nginx:1.27")).toBeDefined();
  });

  it("matches by digest when both sides know it, so a re-pushed tag is not blocked", async () => {
    const store = createMemoryQuarantineStore();
    await store.add(aQuarantine({ digest: digestA }));
    expect(await store.find(web, image, digestA)).toBeDefined();
    expect(await store.find(web, image, digestB)).toBeUndefined();
    expect(await store.find(web, "registry.example.com/shop/web:renamed", digestA)).toBeDefined();
    // Only one side knows the digest: the reference decides.
    expect(await store.find(web, image)).toBeDefined();
  });

  it("lists newest first, by namespace, in pages", async () => {
    const store = createMemoryQuarantineStore();
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
    const store = createMemoryQuarantineStore();
    await store.add(aQuarantine({ updateId: "u1" }));
    await store.add(aQuarantine({ updateId: "u2" }));
    const page = await store.list({ pageSize: 10 });
    expect(page.items.map((r) => r.updateId)).toEqual(["u2"]);
  });

  it("clears by reference or digest, for one workload or all, and returns what it removed", async () => {
    const store = createMemoryQuarantineStore();
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
    const store = createMemoryQuarantineStore();
    const record = aQuarantine();
    await store.add(record);
    (record as { reason: string }).reason = "mutated";
    const found = (await store.find(web, image))!;
    expect(found.reason).toBe("CrashLoopBackOff");
    expect(found.createTime).toBeInstanceOf(Date);
  });
});
