import { describe, expect, it } from "vitest";
import type { AvailableUpdate } from "../../../src/core/domain/available-update.js";
import { DomainError } from "../../../src/core/domain/domain-error.js";
import { createMetadataKeys } from "../../../src/core/domain/metadata-keys.js";
import type { QuarantineRecord } from "../../../src/core/domain/quarantine.js";
import type { UpdateRecord, UpdateState } from "../../../src/core/domain/update.js";
import type { Workload, WorkloadRef } from "../../../src/core/domain/workload.js";
import { silentLogger } from "../../../src/core/ports/logger.js";
import type { PullSecret } from "../../../src/core/ports/pull-secrets.js";
import type { StartUpdateRequest } from "../../../src/core/use-cases/start-update.js";
import { createRegistryWatcher, digestOfImageId, type WatchRegistriesDeps } from "../../../src/core/use-cases/watch-registries.js";
import { createMemoryWatchStateStore } from "../../../src/store/memory/memory-watch-state-store.js";
import { createFakeClock, type FakeClock } from "../../support/fake-clock.js";
import { aWorkload } from "../../support/workloads.js";
import { createFakeRegistryPort } from "../../registry/fake-registry-port.js";

const keys = createMetadataKeys();
const digestA = `sha256:${"a".repeat(64)}`;
const digestB = `sha256:${"b".repeat(64)}`;

/** The update engine as the watcher sees it: records requests, answers with ids; states set by the test. */
function fakeUpdates() {
  const requests: { request: StartUpdateRequest; requester: string }[] = [];
  const states = new Map<string, UpdateState>();
  let refusal: DomainError | undefined;
  return {
    requests,
    states,
    refuseWith(error: DomainError | undefined) {
      refusal = error;
    },
    port: {
      async startUpdate(request: StartUpdateRequest, context: { requester: string }) {
        if (refusal !== undefined) throw refusal;
        requests.push({ request, requester: context.requester });
        const id = `update-${requests.length}`;
        states.set(id, "running");
        return { id, state: "running" } as UpdateRecord;
      },
      async getUpdate(id: string) {
        const state = states.get(id);
        if (state === undefined) throw new DomainError("not-found", "UPDATE_NOT_FOUND", `no update ${id}`);
        return { id, state, reason: state === "rolled-back" ? "web failed: CrashLoopBackOff" : "" } as UpdateRecord;
      },
    },
  };
}

interface Harness {
  readonly clock: FakeClock;
  readonly registry: ReturnType<typeof createFakeRegistryPort>;
  readonly updates: ReturnType<typeof fakeUpdates>;
  readonly state: ReturnType<typeof createMemoryWatchStateStore>;
  readonly workloads: Workload[];
  readonly quarantines: QuarantineRecord[];
  readonly secrets: Map<string, PullSecret>;
  readonly running: Map<string, Map<string, string>>;
  readonly notified: AvailableUpdate[];
  leader: boolean;
  secretReads: number;
  runningLookups: number;
  watcher(overrides?: Partial<WatchRegistriesDeps>): ReturnType<typeof createRegistryWatcher>;
}

function harness(tags: Map<string, string[]>, digests?: Map<string, string>): Harness {
  const h: Harness = {
    clock: createFakeClock(),
    registry: createFakeRegistryPort(tags, digests),
    updates: fakeUpdates(),
    state: createMemoryWatchStateStore(),
    workloads: [],
    quarantines: [],
    secrets: new Map(),
    running: new Map(),
    notified: [],
    leader: true,
    secretReads: 0,
    runningLookups: 0,
    watcher(overrides = {}) {
      return createRegistryWatcher(
        {
          cluster: { isSynced: () => true, listWorkloads: () => h.workloads },
          registry: h.registry.port,
          pullSecrets: {
            async getPullSecret(namespace, name) {
              h.secretReads++;
              return h.secrets.get(`${namespace}/${name}`);
            },
          },
          runningImages: {
            async runningImageIds(ref: WorkloadRef) {
              h.runningLookups++;
              return h.running.get(`${ref.namespace}/${ref.name}`) ?? new Map();
            },
          },
          state: h.state,
          quarantines: {
            async find(workload, image) {
              return h.quarantines.find((record) => record.workload.name === workload.name && record.image === image);
            },
          },
          updates: h.updates.port,
          clock: h.clock,
          keys,
          logger: silentLogger,
          canExecute: () => h.leader,
          onAvailable: (update) => h.notified.push(update),
          ...overrides,
        },
        { defaultScheduleMs: 5 * 60_000, retryAfterErrorMs: 60_000 },
      );
    },
  };
  return h;
}

function watched(name: string, image: string, annotations: Record<string, string>, extra: Partial<Workload> = {}): Workload {
  return { ...aWorkload("Deployment", { name, namespace: "shop", image, annotations }), ...extra };
}

const web = "registry.example.com/team/web";

describe("registry watcher: semver policies", () => {
  it("applies a new patch through the update engine for that workload only, and reports a new major without applying it", async () => {
    const h = harness(new Map([["registry.example.com/team/web", ["1.2.3", "1.2.4", "1.3.0", "2.0.0"]]]));
    h.workloads.push(watched("web", `${web}:1.2.3`, { "update-manager.io/policy": "semver:patch" }));

    const report = await h.watcher().runOnce();

    expect(h.updates.requests).toEqual([
      {
        request: {
          image: `${web}:1.2.4`,
          classifier: "default",
          onlyWorkloads: [{ kind: "Deployment", namespace: "shop", name: "web" }],
          // While frozen it holds (refused, asked again at the next check) rather than queueing updates.
          refuseWhenFrozen: true,
        },
        requester: "registry-watcher",
      },
    ]);
    expect(report.available.map((entry) => [entry.availableImage, entry.status, entry.updateId])).toEqual([
      [`${web}:1.2.4`, "applying", "update-1"],
      [`${web}:2.0.0`, "beyond-policy", undefined],
      [`${web}:1.3.0`, "beyond-policy", undefined],
    ]);
  });

  it("only reports in notify mode, emits each finding once, and writes the state only when it changed", async () => {
    const h = harness(new Map([["registry.example.com/team/web", ["1.2.3", "1.2.4"]]]));
    h.workloads.push(watched("web", `${web}:1.2.3`, { "update-manager.io/policy": "semver:patch", "update-manager.io/mode": "notify" }));
    const watcher = h.watcher();

    await watcher.runOnce();
    h.clock.advance(5 * 60_000);
    const second = await watcher.runOnce();

    expect(h.updates.requests).toEqual([]);
    expect(second.workloadsChecked).toBe(1);
    expect(second.available.map((entry) => [entry.availableImage, entry.status])).toEqual([[`${web}:1.2.4`, "notify"]]);
    expect(h.notified.map((entry) => entry.availableImage)).toEqual([`${web}:1.2.4`]);
    expect(h.state.saves()).toBe(1);
  });

  it("checks a repository once per cycle however many workloads share it, but never across credentials", async () => {
    const h = harness(new Map([["registry.example.com/team/web", ["1.0.0"]]]));
    const policy = { "update-manager.io/policy": "semver:minor" };
    h.workloads.push(watched("a", `${web}:1.0.0`, policy), watched("b", `${web}:1.0.0`, policy), watched("c", `${web}:1.0.0`, policy));
    const tenant = (namespace: string): Workload => ({
      ...aWorkload("Deployment", { name: "private", namespace, image: `${web}:1.0.0`, annotations: policy }),
      pullSecrets: ["pull"],
    });
    h.workloads.push(tenant("team-a"), tenant("team-b"));
    for (const namespace of ["team-a", "team-b"]) {
      h.secrets.set(`${namespace}/pull`, {
        namespace,
        name: "pull",
        resourceVersion: "7",
        type: "kubernetes.io/dockerconfigjson",
        dockerConfigJson: `{"auths":{"registry.example.com":{"auth":"eDp5"}}}`,
      });
    }

    const report = await h.watcher().runOnce();

    expect(report.workloadsChecked).toBe(5);
    expect(report.tagLists).toBe(3);
    expect(h.registry.calls.map((call) => call.credential).sort()).toEqual(["anonymous", "team-a/pull@7", "team-b/pull@7"]);
    expect(h.secretReads).toBe(2);
  });

  it("does not poll while another replica leads", async () => {
    const h = harness(new Map([["registry.example.com/team/web", ["1.2.3", "1.2.4"]]]));
    h.workloads.push(watched("web", `${web}:1.2.3`, { "update-manager.io/policy": "semver:patch" }));
    h.leader = false;

    const report = await h.watcher().runOnce();

    expect(report.skipped).toBe("not-leader");
    expect(h.registry.calls).toEqual([]);
  });

  it("checks a workload again only when its schedule says so", async () => {
    const h = harness(new Map([["registry.example.com/team/web", ["1.2.3"]]]));
    h.workloads.push(watched("web", `${web}:1.2.3`, { "update-manager.io/policy": "semver:patch", "update-manager.io/schedule": "1h" }));
    const watcher = h.watcher();

    await watcher.runOnce();
    h.clock.advance(59 * 60_000);
    await watcher.runOnce();
    expect(h.registry.calls).toHaveLength(1);
    h.clock.advance(60_000);
    await watcher.runOnce();
    expect(h.registry.calls).toHaveLength(2);
  });
});

describe("registry watcher: soak time", () => {
  it("applies a version only once it is min-age old, counting from a first-seen time a restart keeps", async () => {
    const h = harness(new Map([["registry.example.com/team/web", ["1.2.3", "1.2.4"]]]));
    h.workloads.push(watched("web", `${web}:1.2.3`, { "update-manager.io/policy": "semver:patch", "update-manager.io/min-age": "1h" }));

    const first = await h.watcher().runOnce();
    expect(first.available.map((entry) => [entry.status, entry.soakingUntil?.toISOString()])).toEqual([
      ["soaking", "2025-01-01T01:00:00.000Z"],
    ]);
    h.clock.advance(30 * 60_000);
    await h.watcher().runOnce(); // A restarted watcher: new memory, same durable state.
    expect(h.updates.requests).toEqual([]);
    h.clock.advance(30 * 60_000);
    await h.watcher().runOnce();
    expect(h.updates.requests.map((entry) => entry.request.image)).toEqual([`${web}:1.2.4`]);
  });

  it("applies an older version that soaked while a newer one soaks", async () => {
    const tags = new Map([["registry.example.com/team/web", ["1.2.3", "1.2.4"]]]);
    const h = harness(tags);
    h.workloads.push(watched("web", `${web}:1.2.3`, { "update-manager.io/policy": "semver:patch", "update-manager.io/min-age": "1h" }));
    await h.watcher().runOnce();
    h.clock.advance(60 * 60_000);
    tags.set("registry.example.com/team/web", ["1.2.3", "1.2.4", "1.2.5"]);

    const report = await h.watcher().runOnce();

    expect(h.updates.requests.map((entry) => entry.request.image)).toEqual([`${web}:1.2.4`]);
    expect(report.available.map((entry) => [entry.availableImage, entry.status])).toEqual([
      [`${web}:1.2.4`, "applying"],
      [`${web}:1.2.5`, "soaking"],
    ]);
  });
});

describe("registry watcher: what it must not apply", () => {
  it("skips a quarantined version, never overriding the quarantine, and keeps skipping it", async () => {
    const h = harness(new Map([["registry.example.com/team/web", ["1.2.3", "1.2.4"]]]));
    h.workloads.push(watched("web", `${web}:1.2.3`, { "update-manager.io/policy": "semver:patch" }));
    h.quarantines.push({
      workload: { kind: "Deployment", namespace: "shop", name: "web" },
      image: `${web}:1.2.4`,
      updateId: "ci-update",
      reason: "CrashLoopBackOff",
      createTime: new Date(0),
    });
    const watcher = h.watcher();

    const report = await watcher.runOnce();
    h.clock.advance(5 * 60_000);
    await watcher.runOnce();

    expect(h.updates.requests).toEqual([]);
    expect(report.available[0]).toMatchObject({ status: "quarantined", updateId: "ci-update", message: "CrashLoopBackOff" });
  });

  it("does not re-apply a version whose update of the watcher was rolled back", async () => {
    const h = harness(new Map([["registry.example.com/team/web", ["1.2.3", "1.2.4"]]]));
    h.workloads.push(watched("web", `${web}:1.2.3`, { "update-manager.io/policy": "semver:patch" }));
    const watcher = h.watcher();
    await watcher.runOnce();
    h.updates.states.set("update-1", "rolled-back");

    h.clock.advance(5 * 60_000);
    const report = await watcher.runOnce();

    expect(h.updates.requests).toHaveLength(1);
    expect(report.available[0]).toMatchObject({ status: "failed-before", updateId: "update-1" });
    expect(report.available[0]?.message).toContain("rolled-back");
  });

  it("reports a busy workload and retries it after the error delay, not the whole schedule", async () => {
    const h = harness(new Map([["registry.example.com/team/web", ["1.2.3", "1.2.4"]]]));
    h.workloads.push(watched("web", `${web}:1.2.3`, { "update-manager.io/policy": "semver:patch" }));
    const watcher = h.watcher();
    h.updates.refuseWith(new DomainError("aborted", "TARGET_BUSY", "held by update x"));
    const first = await watcher.runOnce();
    expect(first.available[0]?.status).toBe("busy");

    h.updates.refuseWith(undefined);
    h.clock.advance(60_000);
    await watcher.runOnce();
    expect(h.updates.requests.map((entry) => entry.request.image)).toEqual([`${web}:1.2.4`]);
  });

  it("holds while updates are frozen: no error, reported busy with the freeze, applied after the unfreeze", async () => {
    const h = harness(new Map([["registry.example.com/team/web", ["1.2.3", "1.2.4"]]]));
    h.workloads.push(watched("web", `${web}:1.2.3`, { "update-manager.io/policy": "semver:patch" }));
    const watcher = h.watcher();
    h.updates.refuseWith(new DomainError("failed-precondition", "FROZEN", "updates are frozen by ops: release weekend"));
    const held = await watcher.runOnce();
    expect(held.available[0]).toMatchObject({ status: "busy", message: "updates are frozen by ops: release weekend" });
    expect(held.errors).toEqual([]);

    h.updates.refuseWith(undefined);
    h.clock.advance(60_000);
    const after = await watcher.runOnce();
    expect(after.available[0]?.status).toBe("applying");
  });

  it("holds outside a refusing window or while a failing alert gate fires: no error, reported busy, applied later", async () => {
    const h = harness(new Map([["registry.example.com/team/web", ["1.2.3", "1.2.4"]]]));
    h.workloads.push(watched("web", `${web}:1.2.3`, { "update-manager.io/policy": "semver:patch" }));
    const watcher = h.watcher();
    h.updates.refuseWith(new DomainError("failed-precondition", "OUTSIDE_WINDOW", 'outside window "office-hours"'));
    const outside = await watcher.runOnce();
    expect(outside.available[0]).toMatchObject({ status: "busy", message: 'outside window "office-hours"' });
    expect(outside.errors).toEqual([]);
    h.updates.refuseWith(new DomainError("failed-precondition", "ALERT_FIRING", 'alert gate "no-pages": 1 alert fires'));
    h.clock.advance(60_000);
    const firing = await watcher.runOnce();
    expect(firing.available[0]).toMatchObject({ status: "busy" });
    expect(firing.errors).toEqual([]);

    h.updates.refuseWith(undefined);
    h.clock.advance(60_000);
    expect((await watcher.runOnce()).available[0]?.status).toBe("applying");
  });
});

describe("registry watcher: digest policies", () => {
  it("rolls out the tag pinned to the registry's new digest when the pods run another one", async () => {
    const h = harness(new Map(), new Map([["registry.example.com/team/web:latest", digestB]]));
    h.workloads.push(watched("web", `${web}:latest`, { "update-manager.io/policy": "digest" }));
    h.running.set("shop/web", new Map([["app", `docker-pullable://${web}@${digestA}`]]));

    const report = await h.watcher().runOnce();

    expect(report.digests).toBe(1);
    expect(report.runningImageLookups).toBe(1);
    expect(h.updates.requests.map((entry) => entry.request.image)).toEqual([`${web}:latest@${digestB}`]);
  });

  it("compares with the digest pinned in the spec without asking the pods, and does nothing when it is current", async () => {
    const h = harness(new Map(), new Map([["registry.example.com/team/web:latest", digestB]]));
    h.workloads.push(watched("web", `${web}:latest@${digestB}`, { "update-manager.io/policy": "digest" }));

    const report = await h.watcher().runOnce();

    expect(report.runningImageLookups).toBe(0);
    expect(h.updates.requests).toEqual([]);
    expect(report.available).toEqual([]);
  });

  it("reads the digest of a kubelet imageID, and refuses an image config ID", () => {
    expect(digestOfImageId(`docker-pullable://${web}@${digestA}`)).toBe(digestA);
    expect(digestOfImageId(`${web}@${digestA}`)).toBe(digestA);
    expect(digestOfImageId(digestA)).toBeUndefined();
    expect(digestOfImageId(undefined)).toBeUndefined();
  });
});

describe("registry watcher: rate limits", () => {
  it("backs off a registry that said 429 while others are checked, and recovers after its wait", async () => {
    const h = harness(
      new Map([
        ["registry.example.com/team/web", ["1.2.3", "1.2.4"]],
        ["other.example.com/team/api", ["2.0.0", "2.0.1"]],
      ]),
    );
    h.workloads.push(watched("web", `${web}:1.2.3`, { "update-manager.io/policy": "semver:patch" }));
    h.workloads.push(watched("api", "other.example.com/team/api:2.0.0", { "update-manager.io/policy": "semver:patch" }));
    h.registry.failures.set(
      "registry.example.com",
      new DomainError("resource-exhausted", "REGISTRY_ERROR", "rate limited", { retryAfterMs: 120_000 }),
    );
    const watcher = h.watcher();

    const first = await watcher.runOnce();
    expect(first.errors).toHaveLength(1);
    expect(h.updates.requests.map((entry) => entry.request.image)).toEqual(["other.example.com/team/api:2.0.1"]);

    h.registry.failures.clear();
    h.clock.advance(60_000); // Due again, but the registry asked for two minutes: no request.
    const calls = h.registry.calls.length;
    const second = await watcher.runOnce();
    expect(h.registry.calls.length).toBe(calls);
    expect(second.errors[0]).toContain("asked to wait");

    h.clock.advance(60_000);
    await watcher.runOnce();
    expect(h.updates.requests.map((entry) => entry.request.image)).toContain(`${web}:1.2.4`);
  });
});

describe("registry watcher: re-checks a webhook asks for", () => {
  it("checks the workloads of that repository at once, before their schedule, and no other", async () => {
    const tags = new Map([
      ["registry.example.com/team/web", ["1.2.3"]],
      ["registry.example.com/team/api", ["2.0.0"]],
    ]);
    const h = harness(tags);
    const hourly = { "update-manager.io/policy": "semver:patch", "update-manager.io/schedule": "1h" };
    h.workloads.push(watched("web", `${web}:1.2.3`, hourly), watched("api", "registry.example.com/team/api:2.0.0", hourly));
    const watcher = h.watcher();
    await watcher.runOnce();
    tags.get("registry.example.com/team/web")!.push("1.2.4");
    h.clock.advance(60_000);

    const { workloads, cycle } = watcher.recheck("registry.example.com/team/web");
    const report = await cycle;

    expect(workloads).toBe(1);
    expect(report?.workloadsChecked).toBe(1);
    expect(h.registry.calls.map((call) => call.where)).toEqual([
      "registry.example.com/team/web",
      "registry.example.com/team/api",
      "registry.example.com/team/web",
    ]);
    expect(h.updates.requests.map((entry) => entry.request.image)).toEqual([`${web}:1.2.4`]);
  });

  it("matches names the way images are normalised (Docker Hub's library/), and ignores repositories no workload uses", async () => {
    const h = harness(new Map([["docker.io/library/nginx", ["1.25.0", "1.25.1"]]]));
    h.workloads.push(watched("proxy", "nginx:1.25.0", { "update-manager.io/policy": "semver:patch", "update-manager.io/mode": "notify" }));
    const watcher = h.watcher();

    expect(watcher.recheck("registry.example.com/team/unknown")).toEqual({ workloads: 0 });
    expect(watcher.recheck("not a repository")).toEqual({ workloads: 0 });
    expect(h.registry.calls).toEqual([]);
    const { workloads, cycle } = watcher.recheck("docker.io/nginx");
    await cycle;

    expect(workloads).toBe(1);
    expect(h.notified.map((entry) => entry.availableImage)).toEqual(["nginx:1.25.1"]);
  });

  it("on a replica that does not lead, passes the request to the leader through the watch state, which checks once", async () => {
    const tags = new Map([["registry.example.com/team/web", ["1.2.3"]]]);
    const h = harness(tags);
    h.workloads.push(watched("web", `${web}:1.2.3`, { "update-manager.io/policy": "semver:patch", "update-manager.io/schedule": "1h" }));
    const leader = h.watcher();
    const follower = h.watcher({ canExecute: () => false });
    await leader.runOnce();
    tags.get("registry.example.com/team/web")!.push("1.2.4");
    h.clock.advance(60_000);

    const { workloads, cycle, forwarded } = follower.recheck("registry.example.com/team/web");
    await forwarded;
    expect([workloads, cycle]).toEqual([1, undefined]);
    expect(h.registry.calls).toHaveLength(1);
    expect([...((await h.state.load()).rechecks ?? new Map()).keys()]).toEqual(["registry.example.com/team/web"]);
    await leader.runOnce();
    h.clock.advance(60_000);
    await leader.runOnce();

    expect(h.registry.calls).toHaveLength(2);
    expect(h.updates.requests.map((entry) => entry.request.image)).toEqual([`${web}:1.2.4`]);
  });

  it("runs one cycle for a burst of requests, and another for a request after it", async () => {
    const h = harness(new Map([["registry.example.com/team/web", ["1.2.3"]]]));
    h.workloads.push(watched("web", `${web}:1.2.3`, { "update-manager.io/policy": "semver:patch" }));
    const watcher = h.watcher();
    await watcher.runOnce();

    const cycles = [1, 2, 3].map(() => watcher.recheck("registry.example.com/team/web").cycle);
    await Promise.all(cycles);
    expect(new Set(cycles).size).toBe(1);
    expect(h.registry.calls).toHaveLength(2);
    const later = watcher.recheck("registry.example.com/team/web").cycle;
    expect(later).not.toBe(cycles[0]);
    await later;
    expect(h.registry.calls).toHaveLength(3);
  });
});
