import { describe, expect, it } from "vitest";
import { demoShopImage, seedDemoCluster } from "../../../src/cluster/simulated/demo-seed.js";
import { createSimulatedCluster } from "../../../src/cluster/simulated/simulated-cluster.js";
import { judgeRollout } from "../../../src/core/domain/judge-rollout.js";
import type { WorkloadRef } from "../../../src/core/domain/workload.js";
import { createFakeClock } from "../../support/fake-clock.js";

function demo() {
  const clock = createFakeClock();
  const cluster = createSimulatedCluster({ clock });
  seedDemoCluster(cluster);
  cluster.start();
  return { clock, cluster };
}

const web: WorkloadRef = { kind: "Deployment", namespace: "shop", name: "web" };

describe("demo cluster", () => {
  it("offers the shop's targets, the legacy one included, each fully rolled out", () => {
    const { cluster } = demo();
    const targets = cluster.listWorkloads().map((w) => [
      `${w.ref.kind}/${w.ref.namespace}/${w.ref.name}`,
      w.labels[cluster.keys.classifierLabel] ?? w.annotations[cluster.keys.legacyClassifierAnnotation],
      w.containers.map((c) => c.image).join(" "),
    ]);
    expect(targets).toEqual([
      ["Deployment/legacy/storefront", "shop", demoShopImage],
      ["CronJob/shop/report", "shop", demoShopImage],
      ["Deployment/shop/admin", "shop", "registry.example.com/shop/web-admin:2.0.0"],
      ["Deployment/shop/web", "shop", demoShopImage],
      ["Deployment/shop/worker", "shop", `${demoShopImage} registry.example.com/platform/log-shipper:3.1.0`],
      ["Job/shop/web-migrate", "shop", demoShopImage],
      ["StatefulSet/shop/cache", "platform", "registry.example.com/platform/cache:7.2.4"],
    ]);
    for (const workload of cluster.listWorkloads()) {
      expect(["complete", "not-applicable"]).toContain(judgeRollout(workload).state);
    }
    expect(judgeRollout(cluster.getWorkload(web)!).desired).toBe(3);
    const template = cluster.getWorkload({ kind: "Job", namespace: "shop", name: "web-migrate" })!;
    expect(template.suspended).toBe(true);
    expect(template.annotations[cluster.keys.migrationOrderAnnotation]).toBe("1");
  });

  it("rolls a good image out", async () => {
    const { clock, cluster } = demo();
    const image = "registry.example.com/shop/web:1.5.0";
    await cluster.patchImages(web, [{ container: "web", init: false, expectedImage: demoShopImage, newImage: image }]);
    clock.runAll();
    expect(judgeRollout(cluster.getWorkload(web)!).state).toBe("complete");
  });

  it("crash-loops images tagged broken, and fails the Deployment after its 60 s progress deadline", async () => {
    const { clock, cluster } = demo();
    const problems: string[] = [];
    cluster.watchPodProblems(web, (list) => problems.push(...list.map((p) => p.reason)));
    const image = "registry.example.com/shop/web:1.5.0-broken";
    await cluster.patchImages(web, [{ container: "web", init: false, expectedImage: demoShopImage, newImage: image }]);
    clock.advance(3000);
    expect(problems).toEqual(["CrashLoopBackOff"]);
    clock.advance(60_000);
    expect(judgeRollout(cluster.getWorkload(web)!).state).toBe("failed");
  });
});
