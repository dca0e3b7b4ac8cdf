import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { WorkloadRef } from "../../src/core/domain/workload.js";
import { registryWatcherRequester } from "../../src/core/use-cases/watch-registries.js";
import { startFaultProxy } from "../registry/fault-proxy.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { startTogether } from "../support/start-together.js";
import { createSkewedClock, createWatchHarness, type WatchHarness } from "./watch-harness.js";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createSimulatedCluster } from "../../src/cluster/simulated/simulated-cluster.js";
import { createMetadataKeys } from "../../src/core/domain/metadata-keys.js";
import { systemClock } from "../../src/core/ports/clock.js";
import { silentLogger } from "../../src/core/ports/logger.js";
import { createNotificationDispatcher } from "../../src/core/use-cases/notification-dispatcher.js";
import { createUpdateManager } from "../../src/core/use-cases/update-manager.js";
import { createWebhookNotifier } from "../../src/notify/webhook-notifier.js";
import { createRegistryWatch } from "../../src/registry-watch-composition.js";
import { createMemoryNotificationDedupeStore } from "../../src/store/memory/memory-notification-dedupe-store.js";
import { createMemoryQuarantineStore } from "../../src/store/memory/memory-quarantine-store.js";
import { createMemoryTargetLocks } from "../../src/store/memory/memory-target-locks.js";
import { createMemoryUpdateStore } from "../../src/store/memory/memory-update-store.js";

/**
 * The registry watcher against Debian's docker-registry (distribution 2.8): the real registry client and
 * adapter, the real update engine on a simulated cluster. One registry per auth mode for the whole file.
 */
let open: TestRegistry;
let locked: TestRegistry;
const harnesses: WatchHarness[] = [];

beforeAll(async () => {
  [open, locked] = await startTogether(startRegistry(), startRegistry({ auth: "htpasswd" }));
  await Promise.all([
    ...["1.0.0", "1.0.1", "1.1.0", "2.0.0"].map((tag) => open.pushImage("team/web", tag)),
    ...["1.2.3-rc.1", "1.2.3", "1.2.4"].map((tag) => open.pushImage("team/frontier", tag)),
    ...["3.1.0-alpine", "3.1.1", "3.1.1-alpine", "3.1.1-slim"].map((tag) => open.pushImage("team/suffix", tag)),
    ...["5.0.0", "5.0.1"].map((tag) => locked.pushImage("team/private", tag)),
  ]);
});

afterAll(async () => {
  await Promise.all([open?.stop(), locked?.stop()]);
});

afterEach(async () => {
  for (const harness of harnesses.splice(0)) await harness.stop();
});

function harness(options: Omit<Parameters<typeof createWatchHarness>[0], "insecureRegistries"> & { insecure?: string[] } = {}): WatchHarness {
  const created = createWatchHarness({ insecureRegistries: [open.host, locked.host, ...(options.insecure ?? [])], ...options });
  harnesses.push(created);
  return created;
}

const ref = (name: string, namespace = "shop"): WorkloadRef => ({ kind: "Deployment", namespace, name });

function imageOf(h: WatchHarness, workload: WorkloadRef): string | undefined {
  return h.cluster.getWorkload(workload)?.containers[0]?.image;
}

describe("registry watching against a real registry", () => {
  it("applies a new patch tag through the engine and only reports the new minor and major", async () => {
    const h = harness();
    h.cluster.addWorkload({
      kind: "Deployment",
      namespace: "shop",
      name: "web",
      classifier: "prod",
      annotations: { "update-manager.io/policy": "semver:patch" },
      containers: [{ name: "web", image: `${open.host}/team/web:1.0.0` }],
    });

    const report = await h.watcher.runOnce();
    await h.manager.whenIdle();

    expect(report.started.map((started) => started.image)).toEqual([`${open.host}/team/web:1.0.1`]);
    expect(imageOf(h, ref("web"))).toBe(`${open.host}/team/web:1.0.1`);
    const updates = await h.manager.listUpdates({ requester: registryWatcherRequester });
    expect(updates.items.map((update) => [update.image, update.state])).toEqual([[`${open.host}/team/web:1.0.1`, "succeeded"]]);
    expect(report.available.filter((entry) => entry.status === "beyond-policy").map((entry) => entry.availableImage)).toEqual([
      `${open.host}/team/web:2.0.0`,
      `${open.host}/team/web:1.1.0`,
    ]);
    // One tag list for the repository; no manifest was fetched.
    expect(h.requests.counts()).toMatchObject({ "list-tags": 1, "get-manifest": 0, "head-manifest": 0 });

    const again = await h.watcher.runOnce(); // Not due yet: no request.
    expect(again.workloadsChecked).toBe(0);
    expect(h.requests.total()).toBe(1);
  });

  it("keeps a frontier: frontier=3 moves a release candidate only to its own release", async () => {
    const h = harness();
    h.cluster.addWorkload({
      kind: "Deployment",
      namespace: "shop",
      name: "frontier",
      classifier: "prod",
      annotations: { "update-manager.io/policy": "semver:frontier=3" },
      containers: [{ name: "app", image: `${open.host}/team/frontier:1.2.3-rc.1` }],
    });

    const report = await h.watcher.runOnce();
    await h.manager.whenIdle();

    expect(imageOf(h, ref("frontier"))).toBe(`${open.host}/team/frontier:1.2.3`);
    expect(report.available.find((entry) => entry.status === "beyond-policy")?.availableImage).toBe(`${open.host}/team/frontier:1.2.4`);
  });

  it("keeps a variant suffix: 3.1.0-alpine moves to 3.1.1-alpine, never to 3.1.1 or 3.1.1-slim", async () => {
    const h = harness();
    h.cluster.addWorkload({
      kind: "Deployment",
      namespace: "shop",
      name: "suffix",
      classifier: "prod",
      annotations: { "update-manager.io/policy": "semver:minor" },
      containers: [{ name: "app", image: `${open.host}/team/suffix:3.1.0-alpine` }],
    });

    await h.watcher.runOnce();
    await h.manager.whenIdle();

    expect(imageOf(h, ref("suffix"))).toBe(`${open.host}/team/suffix:3.1.1-alpine`);
  });

  it("rolls out a re-pushed mutable tag pinned to its new digest, once", async () => {
    const digests = new Map<string, string>();
    digests.set("latest", await open.pushImage("team/mutable", "latest", { variant: "first build" }));
    const h = harness({
      cluster: {
        // The node pulls whatever the tag names at pod start; a pinned reference pulls its digest.
        imageIdOf: (image) => {
          const at = image.indexOf("@");
          return at !== -1 ? image : `${open.host}/team/mutable@${digests.get("latest")}`;
        },
      },
    });
    h.cluster.addWorkload({
      kind: "Deployment",
      namespace: "shop",
      name: "mutable",
      classifier: "prod",
      annotations: { "update-manager.io/policy": "digest" },
      containers: [{ name: "app", image: `${open.host}/team/mutable:latest` }],
    });

    const unchanged = await h.watcher.runOnce();
    expect(unchanged.started).toEqual([]);
    expect(unchanged.digests).toBe(1);

    const rebuilt = await open.pushImage("team/mutable", "latest", { variant: "second build" });
    h.requests.reset();
    // A restarted watcher (same durable state) finds the workload due at once instead of after its schedule.
    const report = await h.restartWatcher().runOnce();
    await h.manager.whenIdle();

    expect(rebuilt).not.toBe(digests.get("latest"));
    expect(report.started.map((started) => started.image)).toEqual([`${open.host}/team/mutable:latest@${rebuilt}`]);
    expect(imageOf(h, ref("mutable"))).toBe(`${open.host}/team/mutable:latest@${rebuilt}`);
    expect(h.requests.counts()).toMatchObject({ "head-manifest": 1, "get-manifest": 0 });

    const settled = await h.restartWatcher().runOnce();
    expect(settled.started).toEqual([]);
    expect(settled.runningImageLookups).toBe(0); // The spec pins the digest now: no pod lookup.
  });

  it("reads a private repository with the workload's own pull secret, and never lends it to another namespace", async () => {
    const h = harness();
    h.cluster.putPullSecret({
      namespace: "team-a",
      name: "regcred",
      type: "kubernetes.io/dockerconfigjson",
      dockerConfigJson: JSON.stringify(locked.dockerConfigJson()),
    });
    for (const namespace of ["team-a", "team-b"]) {
      h.cluster.addWorkload({
        kind: "Deployment",
        namespace,
        name: "private",
        classifier: "prod",
        annotations: { "update-manager.io/policy": "semver:patch" },
        containers: [{ name: "app", image: `${locked.host}/team/private:5.0.0` }],
        ...(namespace === "team-a" ? { pullSecrets: ["regcred"] } : {}),
      });
    }

    const report = await h.watcher.runOnce();
    await h.manager.whenIdle();

    expect(imageOf(h, ref("private", "team-a"))).toBe(`${locked.host}/team/private:5.0.1`);
    expect(imageOf(h, ref("private", "team-b"))).toBe(`${locked.host}/team/private:5.0.0`);
    expect(report.tagLists).toBe(2);
    expect(report.errors.join("\n")).toMatch(/refused access \(HTTP 401\)/);
  });

  it("backs off a registry that answers 429 and recovers once its Retry-After has passed", async () => {
    const proxy = await startFaultProxy({ upstream: open.url });
    try {
      const clock = createSkewedClock();
      const h = harness({
        insecure: [proxy.host],
        client: { maxRateLimitRetries: 0 },
        watcher: { retryAfterErrorMs: 50 },
        watchClock: clock,
      });
      h.cluster.addWorkload({
        kind: "Deployment",
        namespace: "shop",
        name: "limited",
        classifier: "prod",
        annotations: { "update-manager.io/policy": "semver:patch" },
        containers: [{ name: "app", image: `${proxy.host}/team/web:1.0.0` }],
      });
      proxy.inject({ count: 1, status: 429, headers: { "retry-after": "2" }, pathIncludes: "/tags/list" });

      const limited = await h.watcher.runOnce();
      expect(limited.errors.join("\n")).toMatch(/rate limited \(HTTP 429\)/);
      expect(limited.started).toEqual([]);

      clock.advance(100);
      const before = proxy.requests.length;
      const waiting = await h.watcher.runOnce();
      expect(waiting.workloadsChecked).toBe(1);
      expect(proxy.requests.length).toBe(before); // Due again, but the registry asked for 2 s: no request.

      clock.advance(2_000);
      const recovered = await h.watcher.runOnce();
      await h.manager.whenIdle();
      expect(recovered.started.map((started) => started.image)).toEqual([`${proxy.host}/team/web:1.0.1`]);
      expect(imageOf(h, ref("limited"))).toBe(`${proxy.host}/team/web:1.0.1`);
    } finally {
      await proxy.close();
    }
  });

  it("does not re-apply a version that was rolled back", async () => {
    const clock = createSkewedClock();
    const h = harness({ watcher: { retryAfterErrorMs: 50, defaultScheduleMs: 50 }, watchClock: clock });
    h.cluster.failImage(`${open.host}/team/web:1.0.1`, "crash-loop");
    h.cluster.addWorkload({
      kind: "Deployment",
      namespace: "shop",
      name: "fragile",
      classifier: "prod",
      annotations: { "update-manager.io/policy": "semver:patch" },
      containers: [{ name: "app", image: `${open.host}/team/web:1.0.0` }],
    });

    const first = await h.watcher.runOnce();
    await h.manager.whenIdle();
    const [update] = (await h.manager.listUpdates({ requester: registryWatcherRequester })).items;
    expect(first.started).toHaveLength(1);
    expect(update?.state).toBe("rolled-back");
    expect(imageOf(h, ref("fragile"))).toBe(`${open.host}/team/web:1.0.0`);

    clock.advance(60);
    const second = await h.watcher.runOnce();
    await h.manager.whenIdle();

    expect(second.workloadsChecked).toBe(1);
    expect(second.started).toEqual([]);
    expect(second.available[0]).toMatchObject({ availableImage: `${open.host}/team/web:1.0.1`, status: "quarantined" });
    expect((await h.manager.listUpdates({ requester: registryWatcherRequester })).items).toHaveLength(1);
  });
});

describe("notify mode, as src/app.ts wires it", () => {
  it("sends a webhook notification for the version a notify-mode workload could move to, once, and changes nothing", async () => {
    const bodies: string[] = [];
    const hook: Server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => {
        body += chunk.toString("utf8");
      });
      request.on("end", () => {
        bodies.push(body);
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
    try {
      const keys = createMetadataKeys();
      const cluster = createSimulatedCluster({ rolloutStepMs: 5, jobDurationMs: 5, keys });
      cluster.start();
      cluster.addWorkload({
        kind: "Deployment",
        namespace: "shop",
        name: "notified",
        classifier: "prod",
        annotations: { "update-manager.io/policy": "semver:minor", "update-manager.io/mode": "notify" },
        containers: [{ name: "web", image: `${open.host}/team/web:1.0.0` }],
      });
      const quarantines = createMemoryQuarantineStore();
      const manager = createUpdateManager({
        cluster,
        store: createMemoryUpdateStore(),
        quarantines,
        locks: createMemoryTargetLocks(),
        clock: systemClock,
        newId: () => "never",
        keys,
        logger: silentLogger,
      });
      const dispatcher = createNotificationDispatcher({
        notifiers: [createWebhookNotifier({ channel: "hook", url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/` })],
        routes: [{ events: ["version-available"], namespaces: ["shop"], channels: ["hook"] }],
        dedupe: createMemoryNotificationDedupeStore(),
        clock: systemClock,
        logger: silentLogger,
      });
      const { watcher } = createRegistryWatch({
        cluster,
        kubernetes: undefined,
        durableNamespace: undefined,
        clients: undefined,
        manager,
        quarantines,
        canExecute: undefined,
        keys,
        keyPrefix: "update-manager.io",
        legacyAnnotation: true,
        defaultScheduleMs: 1,
        insecureRegistries: [open.host],
        clock: systemClock,
        logger: silentLogger,
        onAvailable: (update) => dispatcher.versionAvailable(update),
      });
      await watcher.runOnce();
      await new Promise((resolve) => setTimeout(resolve, 5)); // due again
      await watcher.runOnce();
      await dispatcher.whenIdle();
      expect(bodies.map((body) => JSON.parse(body) as Record<string, unknown>)).toEqual([
        expect.objectContaining({
          event: "version-available",
          state: "notify",
          classifier: "prod",
          container: "web",
          currentImage: `${open.host}/team/web:1.0.0`,
          image: `${open.host}/team/web:1.1.0`,
          workloads: [{ kind: "Deployment", namespace: "shop", name: "notified" }],
        }),
      ]);
      expect(cluster.getWorkload(ref("notified"))?.containers[0]?.image).toBe(`${open.host}/team/web:1.0.0`);
      await dispatcher.close();
      await cluster.stop();
    } finally {
      await new Promise((resolve) => hook.close(resolve));
    }
  });
});
