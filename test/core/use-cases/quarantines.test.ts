import { describe, expect, it } from "vitest";
import { createHarness, deployment, rejection } from "./engine-harness.js";

const image = "registry.example.com/shop/web:2.0";
const digest = `sha256:${"d".repeat(64)}`;

async function quarantine(h: ReturnType<typeof createHarness>, name: string, namespace = "shop", withDigest = false) {
  await h.quarantines.add({
    workload: { kind: "Deployment", namespace, name },
    image,
    ...(withDigest ? { digest } : {}),
    updateId: `update-${name}`,
    reason: "CrashLoopBackOff",
    createTime: h.clock.now(),
  });
}

describe("quarantines", () => {
  it("lists newest first, filtered by namespace, with bounded page sizes", async () => {
    const h = createHarness();
    await quarantine(h, "a");
    await quarantine(h, "b", "blog");
    await quarantine(h, "c");
    expect((await h.manager.listQuarantines({})).items.map((q) => q.workload.name)).toEqual(["c", "b", "a"]);
    expect((await h.manager.listQuarantines({ namespace: "shop" })).items.map((q) => q.workload.name)).toEqual(["c", "a"]);
    const page = await h.manager.listQuarantines({ pageSize: 1 });
    expect(page.items.map((q) => q.workload.name)).toEqual(["c"]);
    expect((await h.manager.listQuarantines({ pageSize: 1, pageToken: page.nextPageToken })).items.map((q) => q.workload.name)).toEqual(["b"]);
    expect(await rejection(h.manager.listQuarantines({ pageSize: 1000 }))).toMatchObject({ code: "invalid-argument" });
  });

  it("clears an image for one workload or for all, by any reference form or by digest", async () => {
    const h = createHarness();
    await quarantine(h, "a");
    await quarantine(h, "b");
    await quarantine(h, "c", "shop", true);
    const one = await h.manager.clearQuarantine(" registry.example.com/shop/web:2.0 ", deployment("a"));
    expect(one.map((q) => q.workload.name)).toEqual(["a"]);
    const byDigest = await h.manager.clearQuarantine(digest);
    expect(byDigest.map((q) => q.workload.name)).toEqual(["c"]);
    const rest = await h.manager.clearQuarantine(image);
    expect(rest.map((q) => q.workload.name)).toEqual(["b"]);
    expect(await h.manager.clearQuarantine(image)).toEqual([]);
    expect(await rejection(h.manager.clearQuarantine(""))).toMatchObject({ code: "invalid-argument", metadata: { field: "image" } });
    expect(await rejection(h.manager.clearQuarantine("Bad Image"))).toMatchObject({ code: "invalid-argument", metadata: { field: "image" } });
  });

  it("shows quarantined images as warnings in a dry run instead of refusing it", async () => {
    const h = createHarness();
    h.add({ kind: "Deployment", namespace: "shop", name: "a", classifier: "shop", containers: [{ name: "app", image: "registry.example.com/shop/web:1.0" }] });
    await quarantine(h, "a");
    const planned = await h.manager.startUpdate({ image, classifier: "shop", dryRun: true }, { requester: "ci" });
    expect(planned.plan.warnings).toEqual([`${image} is quarantined for Deployment shop/a (update update-a: CrashLoopBackOff)`]);
  });
});
