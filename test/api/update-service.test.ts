import { create } from "@bufbuild/protobuf";
import { DurationSchema, timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { principalKey } from "../../src/api/principal.js";
import { registerUpdateService, type UpdateServiceOptions } from "../../src/api/update-service.js";
import { demoShopImage, seedDemoCluster } from "../../src/cluster/simulated/demo-seed.js";
import { migrationJobName } from "../../src/core/domain/migration-job-name.js";
import type { UpdateEngineOptions } from "../../src/core/use-cases/update-engine-options.js";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { type Update, UpdateState } from "../../gen/updatemanager/v1/update_pb.js";
import { UpdateService, type WatchUpdateResponse } from "../../gen/updatemanager/v1/update_service_pb.js";
import { WorkloadKind } from "../../gen/updatemanager/v1/workload_pb.js";
import { createHarness } from "../core/use-cases/engine-harness.js";

const newImage = "registry.example.com/shop/web:1.5.0";
const brokenImage = "registry.example.com/shop/web:1.5.0-broken";
const requester = "ci-pipeline";
const webMigrate = { kind: "Job", namespace: "shop", name: "web-migrate" } as const;

/** Stands in for the auth interceptor: every call comes from `requester`. */
const asRequester: Interceptor = (next) => async (req) => {
  req.contextValues.set(principalKey, { name: requester, authenticated: true });
  return next(req);
};

interface ApiOptions {
  readonly engine?: UpdateEngineOptions;
  readonly service?: UpdateServiceOptions;
}

/** The UpdateService on the engine, on the demo cluster, on one fake clock, called through an in-process transport. */
function createApi(options: ApiOptions = {}) {
  const h = createHarness({ ...(options.engine === undefined ? {} : { engine: options.engine }) });
  seedDemoCluster(h.cluster);
  const transport = createRouterTransport((router) => registerUpdateService(router, h.manager, options.service), {
    router: { interceptors: [asRequester] },
  });
  const client = createClient(UpdateService, transport);
  /** The same server, called with the JSON format (browsers, curl). */
  const jsonClient = createClient(
    UpdateService,
    createRouterTransport((router) => registerUpdateService(router, h.manager, options.service), {
      router: { interceptors: [asRequester] },
      transport: { useBinaryFormat: false },
    }),
  );

  /** Advances fake time until the update is finished (bounded), then returns it as the API reports it. */
  async function settle(id: string): Promise<Update> {
    await h.settle(id);
    const { update } = await client.getUpdate({ updateId: id });
    return update!;
  }

  return { h, client, jsonClient, settle };
}

/** The ConnectError a call rejects with (fails the test when it resolves). */
async function failure(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("expected the call to fail, but it succeeded");
}

function errorInfo(error: ConnectError) {
  const [info] = error.findDetails(ErrorInfoSchema);
  expect(info, `ErrorInfo on ${error.message}`).toBeDefined();
  return info!;
}

/** Reads a watch stream to its end in the background while the test drives the clock. */
function collect(stream: AsyncIterable<WatchUpdateResponse>) {
  const messages: WatchUpdateResponse[] = [];
  let error: unknown;
  let ended = false;
  const done = (async () => {
    try {
      for await (const message of stream) messages.push(message);
    } catch (caught) {
      error = caught;
    } finally {
      ended = true;
    }
  })();
  return {
    messages,
    done,
    get ended() {
      return ended;
    },
    get error() {
      return error;
    },
    events: () => messages.flatMap((m) => (m.message.case === "event" ? [m.message.value] : [])),
    heartbeats: () => messages.flatMap((m) => (m.message.case === "heartbeat" ? [m.message.value] : [])),
  };
}

/** Lets queued callbacks run (no time passes) until `condition` holds; bounded. */
async function until(h: ReturnType<typeof createHarness>, condition: () => boolean, turns = 100): Promise<void> {
  for (let turn = 0; turn < turns && !condition(); turn++) await h.clock.flush();
  expect(condition()).toBe(true);
}

describe("UpdateService.Update", () => {
  it("answers with the plan: current -> new images, unchanged flags, migrations with their job names, warnings", async () => {
    const { h, client } = createApi();
    // worker already runs the new image (someone set it by hand), so the plan marks it unchanged.
    h.cluster.setContainerImage({ kind: "Deployment", namespace: "shop", name: "worker" }, "worker", newImage);
    // A template that is not suspended (a plan warning) and a workload Argo CD manages (a workload warning).
    h.add({
      kind: "Job",
      namespace: "shop",
      name: "seed-data",
      classifier: "shop",
      suspended: false,
      containers: [{ name: "seed", image: demoShopImage }],
    });
    h.add({
      kind: "Deployment",
      namespace: "shop",
      name: "api",
      classifier: "shop",
      fieldManagers: ["argocd-controller"],
      containers: [{ name: "api", image: demoShopImage }],
    });
    await h.clock.advanceAsync(10_000);

    const { update } = await client.update({ image: newImage, classifier: "shop" });
    expect(update).toBeDefined();
    const { plan } = update!;
    expect(update!.state).toBe(UpdateState.PENDING);
    expect(update!.id).not.toBe("");
    expect(update!.image).toBe(newImage);
    expect(update!.requester).toBe(requester);

    const workloads = plan!.workloads.map((w) => ({
      ref: `${WorkloadKind[w.workload!.kind]}/${w.workload!.namespace}/${w.workload!.name}`,
      unchanged: w.unchanged,
      containers: w.containers.map((c) => `${c.name}: ${c.currentImage} -> ${c.newImage}${c.unchanged ? " (unchanged)" : ""}`),
    }));
    expect(workloads).toEqual([
      { ref: "DEPLOYMENT/legacy/storefront", unchanged: false, containers: [`storefront: ${demoShopImage} -> ${newImage}`] },
      { ref: "CRON_JOB/shop/report", unchanged: false, containers: [`report: ${demoShopImage} -> ${newImage}`] },
      { ref: "DEPLOYMENT/shop/api", unchanged: false, containers: [`api: ${demoShopImage} -> ${newImage}`] },
      { ref: "DEPLOYMENT/shop/web", unchanged: false, containers: [`web: ${demoShopImage} -> ${newImage}`] },
      { ref: "DEPLOYMENT/shop/worker", unchanged: true, containers: [`worker: ${newImage} -> ${newImage} (unchanged)`] },
    ]);
    // shop/admin runs shop/web-admin: same prefix, another repository, never a target.
    expect(workloads.map((w) => w.ref)).not.toContain("DEPLOYMENT/shop/admin");
    expect(plan!.workloads.find((w) => w.workload!.name === "api")!.warnings).toEqual([
      "fields are managed by argocd-controller: it may revert this change",
    ]);

    // The explicitly ordered template first; job names derive from this update's id.
    expect(plan!.migrations.map((m) => [m.template!.name, m.order, m.jobName])).toEqual([
      ["web-migrate", 1, migrationJobName(update!.id, webMigrate)],
      ["seed-data", 0, migrationJobName(update!.id, { ...webMigrate, name: "seed-data" })],
    ]);
    for (const migration of plan!.migrations) expect(migration.jobName).toMatch(/^[a-z0-9-]+-[0-9a-f]{8}$/);
    expect(plan!.migrations[0]!.containers.map((c) => [c.currentImage, c.newImage])).toEqual([[demoShopImage, newImage]]);
    expect(update!.migrations.map((m) => m.jobName)).toEqual(plan!.migrations.map((m) => m.jobName));
    expect(plan!.warnings).toEqual([expect.stringContaining("Job shop/seed-data is not suspended")]);

    // The job name is the one the Job copy really gets.
    await h.until(update!.id, (event) => event.type === "migration-started");
    expect(h.cluster.getJob("shop", plan!.migrations[0]!.jobName)).toBeDefined();
  });

  it("gives every update its own migration job names", async () => {
    const { client, settle } = createApi();
    const first = (await client.update({ image: newImage, classifier: "shop" })).update!;
    await settle(first.id);
    const second = (await client.update({ image: "registry.example.com/shop/web:1.6.0", classifier: "shop" })).update!;
    expect(first.plan!.migrations[0]!.jobName).not.toBe(second.plan!.migrations[0]!.jobName);
    expect((await client.getUpdate({ updateId: second.id })).update!.plan!.migrations[0]!.jobName).toBe(
      second.plan!.migrations[0]!.jobName,
    );
  });

  it("plans a dry run without recording or changing anything: state PLANNED, no id, no job names", async () => {
    const { h, client } = createApi();
    const { update } = await client.update({ image: newImage, classifier: "shop", dryRun: true });
    expect(update!.state).toBe(UpdateState.PLANNED);
    expect(update!.id).toBe("");
    expect(update!.plan!.workloads.map((w) => w.workload!.name)).toEqual(["storefront", "report", "web", "worker"]);
    expect(update!.plan!.migrations.map((m) => [m.template!.name, m.jobName])).toEqual([["web-migrate", ""]]);
    expect((await client.listUpdates({})).updates).toEqual([]);
    await h.clock.advanceAsync(10_000);
    expect(h.cluster.writes()).toEqual([]);
  });

  it("honours update_timeout given as a protobuf Duration: a rollout that never gets ready ends by the timeout", async () => {
    const { h, client, settle } = createApi();
    // Pods of the new image run but never become ready: no pod problem and, within 20 s, no progress deadline either.
    h.cluster.failImage(newImage, "unready");
    const { update } = await client.update({
      image: newImage,
      classifier: "shop",
      updateTimeout: create(DurationSchema, { seconds: 20n }),
    });
    expect(update!.updateTimeout).toMatchObject({ seconds: 20n, nanos: 0 });

    const done = await settle(update!.id);
    expect(done.state).toBe(UpdateState.ROLLED_BACK);
    expect(done.reason).toContain("timeout of 20s");
    // Workloads roll out one at a time: the first one timed out and was rolled back, the rest never touched.
    const timedOut = done.workloads.filter((w) => w.message.includes("timeout of 20s"));
    expect(timedOut.map((w) => [w.workload!.namespace, w.workload!.name])).toEqual([["legacy", "storefront"]]);
    expect(h.cluster.getWorkload({ kind: "Deployment", namespace: "shop", name: "web" })!.containers[0]!.image).toBe(demoShopImage);
    const took = timestampDate(done.finishTime!).getTime() - timestampDate(done.startTime!).getTime();
    // Ended by the update's timeout (plus the rollback), well before the Deployments' 60 s progress deadline.
    expect(took).toBeGreaterThanOrEqual(20_000);
    expect(took).toBeLessThan(60_000);
  });

  it("keeps the milliseconds of a fractional update_timeout", async () => {
    const { client } = createApi();
    const { update } = await client.update({
      image: newImage,
      classifier: "shop",
      updateTimeout: create(DurationSchema, { seconds: 90n, nanos: 250_000_000 }),
    });
    expect(update!.updateTimeout).toMatchObject({ seconds: 90n, nanos: 250_000_000 });
  });

  it("refuses a negative update_timeout with INVALID_ARGUMENT naming the field, and records nothing", async () => {
    const { h, client } = createApi();
    for (const updateTimeout of [
      create(DurationSchema, { seconds: -5n }),
      create(DurationSchema, { seconds: 0n, nanos: -1 }),
      create(DurationSchema, { seconds: 0n }),
    ]) {
      const error = await failure(client.update({ image: newImage, classifier: "shop", updateTimeout }));
      expect(error.code).toBe(Code.InvalidArgument);
      const info = errorInfo(error);
      expect(info.reason).toBe("INVALID_ARGUMENT");
      expect(info.domain).toBe("update-manager");
      expect(info.metadata.field).toBe("update_timeout");
      expect(error.rawMessage).toContain("update_timeout");
    }
    expect((await client.listUpdates({})).updates).toEqual([]);
    expect(h.cluster.writes()).toEqual([]);
  });
});

describe("UpdateService.WatchUpdate", () => {
  it("streams every event with gapless sequence numbers and exactly one finished event, then ends", async () => {
    const { client, settle } = createApi();
    const { update } = await client.update({ image: newImage, classifier: "shop" });
    const watch = collect(client.watchUpdate({ updateId: update!.id }));
    const done = await settle(update!.id);
    await watch.done;

    expect(watch.error).toBeUndefined();
    const events = watch.events();
    expect(events.map((e) => e.sequence)).toEqual(Array.from({ length: Number(done.lastSequence) }, (_, i) => BigInt(i + 1)));
    expect(events.every((e) => e.updateId === update!.id)).toBe(true);
    expect(events.filter((e) => e.kind.case === "finished")).toHaveLength(1);
    expect(events[0]!.kind.case).toBe("planned");
    const last = events.at(-1)!;
    expect(last.kind.case === "finished" && last.kind.value.state).toBe(UpdateState.SUCCEEDED);
    expect(watch.messages.at(-1)!.message.case).toBe("event");
  });

  it("gives every stream of an update the same events, binary or JSON, and streams of another update that update's own", async () => {
    const { client, jsonClient, settle } = createApi();
    const { update: shop } = await client.update({ image: newImage, classifier: "shop" });
    const { update: platform } = await client.update({ image: "registry.example.com/platform/cache:7.3.0", classifier: "platform" });
    const first = collect(client.watchUpdate({ updateId: shop!.id }));
    const second = collect(client.watchUpdate({ updateId: shop!.id }));
    const json = collect(jsonClient.watchUpdate({ updateId: shop!.id }));
    const other = collect(client.watchUpdate({ updateId: platform!.id }));
    const done = await settle(shop!.id);
    await settle(platform!.id);
    await Promise.all([first.done, second.done, json.done, other.done]);

    expect(first.events().map((e) => e.sequence)).toEqual(Array.from({ length: Number(done.lastSequence) }, (_, i) => BigInt(i + 1)));
    expect(second.events()).toEqual(first.events());
    expect(json.events()).toEqual(first.events());
    // Same sequence numbers, different update: its own events, never the other update's (shared conversions are per event).
    expect(other.events().length).toBeGreaterThan(1);
    expect(other.events().every((e) => e.updateId === platform!.id)).toBe(true);
    const planned = other.events()[0]!.kind;
    expect(planned.case === "planned" && planned.value.plan!.workloads.map((w) => w.workload!.name)).toEqual(["cache"]);
  });

  it("sends a heartbeat carrying the last event's sequence while nothing happens", async () => {
    const { h, client, settle } = createApi();
    h.cluster.hangJobs(() => true);
    const { update } = await client.update({
      image: newImage,
      classifier: "shop",
      updateTimeout: create(DurationSchema, { seconds: 120n }),
    });
    const watch = collect(client.watchUpdate({ updateId: update!.id }));
    await until(h, () => watch.events().some((e) => e.kind.case === "migrationStarted"));
    const lastEvent = watch.events().at(-1)!;
    expect(watch.heartbeats()).toEqual([]);

    await h.clock.advanceAsync(15_000);
    await until(h, () => watch.heartbeats().length > 0);
    const [heartbeat] = watch.heartbeats();
    expect(watch.events().at(-1)).toBe(lastEvent); // nothing happened in between
    expect(heartbeat!.lastSequence).toBe(lastEvent.sequence);
    // Sent after 15 s (the default heartbeat interval) without any other message.
    expect(timestampDate(heartbeat!.time!).getTime() - timestampDate(lastEvent.time!).getTime()).toBe(15_000);

    // The hanging migration ends with the update's timeout; the stream still ends after finished, gapless.
    const done = await settle(update!.id);
    await watch.done;
    expect(watch.error).toBeUndefined();
    expect(done.state).toBe(UpdateState.FAILED);
    const sequences = watch.events().map((e) => e.sequence);
    expect(sequences).toEqual(Array.from({ length: Number(done.lastSequence) }, (_, i) => BigInt(i + 1)));
    expect(watch.events().filter((e) => e.kind.case === "finished")).toHaveLength(1);
  });

  it("ends open streams cleanly, without an error, when the server shuts down", async () => {
    const shutdown = new AbortController();
    const { h, client } = createApi({ service: { shutdownSignal: shutdown.signal } });
    h.cluster.hangJobs(() => true);
    const { update } = await client.update({ image: newImage, classifier: "shop" });
    const watch = collect(client.watchUpdate({ updateId: update!.id }));
    await until(h, () => watch.events().some((e) => e.kind.case === "migrationStarted"));
    expect(watch.ended).toBe(false);

    shutdown.abort();
    await until(h, () => watch.ended);
    await watch.done;
    expect(watch.error).toBeUndefined();
    expect(watch.events().some((e) => e.kind.case === "finished")).toBe(false);
    // The update itself goes on: the client resumes elsewhere with after_sequence.
    expect((await client.getUpdate({ updateId: update!.id })).update!.state).toBe(UpdateState.RUNNING);
  });

  it("refuses a caller's stream beyond its limit of open WatchUpdate streams, and accepts one again when one ends", async () => {
    const { h, client, settle } = createApi({ service: { maxWatchesPerPrincipal: 2 } });
    h.cluster.hangJobs(() => true);
    const { update } = await client.update({
      image: newImage,
      classifier: "shop",
      updateTimeout: create(DurationSchema, { seconds: 120n }),
    });
    const first = collect(client.watchUpdate({ updateId: update!.id }));
    const second = collect(client.watchUpdate({ updateId: update!.id }));
    await until(h, () => first.events().length > 0 && second.events().length > 0);

    const third = collect(client.watchUpdate({ updateId: update!.id }));
    await third.done;
    const error = ConnectError.from(third.error);
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(errorInfo(error)).toMatchObject({ reason: "TOO_MANY_WATCHES", metadata: { limit: "2", principal: requester } });

    // The open streams go on to the end; once they ended, the caller may watch again.
    await settle(update!.id);
    await first.done;
    await second.done;
    expect(first.error).toBeUndefined();
    const again = collect(client.watchUpdate({ updateId: update!.id }));
    await again.done;
    expect(again.error).toBeUndefined();
    expect(again.events().some((e) => e.kind.case === "finished")).toBe(true);
  });

  it("answers NOT_FOUND for an unknown update", async () => {
    const { client } = createApi();
    const watch = collect(client.watchUpdate({ updateId: "no-such-update" }));
    await watch.done;
    const error = ConnectError.from(watch.error);
    expect(error.code).toBe(Code.NotFound);
    expect(errorInfo(error).reason).toBe("UPDATE_NOT_FOUND");
  });
});

describe("UpdateService.ListUpdates", () => {
  it("refuses the UNSPECIFIED state as a filter with INVALID_ARGUMENT", async () => {
    const { client } = createApi();
    const error = await failure(client.listUpdates({ states: [UpdateState.SUCCEEDED, UpdateState.UNSPECIFIED] }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(errorInfo(error).metadata.field).toBe("states[1]");
  });

  it("refuses PLANNED as a filter: dry runs are never recorded", async () => {
    const { client } = createApi();
    const error = await failure(client.listUpdates({ states: [UpdateState.PLANNED] }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(errorInfo(error).metadata.field).toBe("states[0]");
  });

  it("filters by state", async () => {
    const { client, settle } = createApi();
    const good = (await client.update({ image: newImage, classifier: "shop" })).update!;
    expect((await settle(good.id)).state).toBe(UpdateState.SUCCEEDED);
    const bad = (await client.update({ image: brokenImage, classifier: "shop" })).update!;
    expect((await settle(bad.id)).state).toBe(UpdateState.ROLLED_BACK);

    const ids = async (states: UpdateState[]) => (await client.listUpdates({ states })).updates.map((u) => u.id);
    expect(await ids([UpdateState.SUCCEEDED])).toEqual([good.id]);
    expect(await ids([UpdateState.ROLLED_BACK])).toEqual([bad.id]);
    expect(await ids([UpdateState.RUNNING])).toEqual([]);
    expect((await ids([UpdateState.SUCCEEDED, UpdateState.ROLLED_BACK])).sort()).toEqual([good.id, bad.id].sort());
    expect((await ids([])).sort()).toEqual([good.id, bad.id].sort());
  });

  it("records the requester from the caller's principal, and filters by it", async () => {
    const { client } = createApi();
    const { update } = await client.update({ image: newImage, classifier: "shop" });
    const listed = await client.listUpdates({ requester });
    expect(listed.updates.map((u) => [u.id, u.requester])).toEqual([[update!.id, requester]]);
    expect((await client.listUpdates({ requester: "someone-else" })).updates).toEqual([]);
  });
});

describe("UpdateService.CancelUpdate and GetUpdate", () => {
  it("refuses to cancel a finished update with FAILED_PRECONDITION / UPDATE_FINISHED", async () => {
    const { client, settle } = createApi();
    const { update } = await client.update({ image: newImage, classifier: "shop" });
    await settle(update!.id);
    const error = await failure(client.cancelUpdate({ updateId: update!.id, reason: "too late" }));
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(errorInfo(error).reason).toBe("UPDATE_FINISHED");
    expect((await client.getUpdate({ updateId: update!.id })).update!.state).toBe(UpdateState.SUCCEEDED);
  });

  it("records who cancelled a running update, from the principal", async () => {
    const { h, client, settle } = createApi();
    const { update } = await client.update({ image: newImage, classifier: "shop" });
    const cancelled = (await client.cancelUpdate({ updateId: update!.id, reason: "wrong build" })).update!;
    expect(cancelled.cancelRequested).toBe(true);
    const done = await settle(update!.id);
    expect(done.state).toBe(UpdateState.CANCELLED);
    const request = (await h.events(update!.id)).find((event) => event.type === "cancel-requested");
    expect(request).toMatchObject({ reason: "wrong build", requester });
  });

  it("answers NOT_FOUND / UPDATE_NOT_FOUND for an unknown id", async () => {
    const { client } = createApi();
    const error = await failure(client.getUpdate({ updateId: "00000000-0000-4000-8000-999999999999" }));
    expect(error.code).toBe(Code.NotFound);
    expect(errorInfo(error).reason).toBe("UPDATE_NOT_FOUND");
  });
});

describe("UpdateService.ClearQuarantine", () => {
  it("refuses a workload without its kind with INVALID_ARGUMENT naming workload.kind", async () => {
    const { client } = createApi();
    const error = await failure(client.clearQuarantine({ image: brokenImage, workload: { namespace: "shop", name: "web" } }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(errorInfo(error).metadata.field).toBe("workload.kind");
    expect(error.rawMessage).toContain("workload.kind");
  });

  it("clears the quarantine a failed update left on a workload", async () => {
    const { client, settle } = createApi();
    const bad = (await client.update({ image: brokenImage, classifier: "shop" })).update!;
    await settle(bad.id);
    // The first workload rolled out (legacy/storefront) crash-looped: its quarantine blocks the image.
    const quarantined = (await client.listQuarantines({})).quarantines;
    expect(quarantined.map((q) => [q.workload!.namespace, q.workload!.name, q.image, q.updateId])).toEqual([
      ["legacy", "storefront", brokenImage, bad.id],
    ]);
    expect((await failure(client.update({ image: brokenImage, classifier: "shop" }))).code).toBe(Code.FailedPrecondition);

    const { cleared } = await client.clearQuarantine({
      image: brokenImage,
      workload: { kind: WorkloadKind.DEPLOYMENT, namespace: "legacy", name: "storefront" },
    });
    expect(cleared.map((q) => q.workload!.name)).toEqual(["storefront"]);
    expect((await client.listQuarantines({})).quarantines).toEqual([]);
    expect((await client.update({ image: brokenImage, classifier: "shop", dryRun: true })).update!.plan!.warnings).toEqual([]);
  });
});

describe("UpdateService.ListTargets", () => {
  it("refuses page_size 501 with INVALID_ARGUMENT", async () => {
    const { client } = createApi();
    const error = await failure(client.listTargets({ pageSize: 501 }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(errorInfo(error).metadata.field).toBe("page_size");
    expect((await client.listTargets({ pageSize: 500 })).targets.length).toBeGreaterThan(0);
  });

  it("pages through the targets two at a time, returning every target exactly once", async () => {
    const { client } = createApi();
    const key = (t: { workload?: { kind: WorkloadKind; namespace: string; name: string } }) =>
      `${WorkloadKind[t.workload!.kind]}/${t.workload!.namespace}/${t.workload!.name}`;
    const all = (await client.listTargets({})).targets.map(key);
    expect(all.length).toBeGreaterThan(4);

    const paged: string[] = [];
    let pageToken = "";
    for (let page = 0; page < 20; page++) {
      const response = await client.listTargets({ pageSize: 2, pageToken });
      expect(response.targets.length).toBeLessThanOrEqual(2);
      paged.push(...response.targets.map(key));
      pageToken = response.nextPageToken;
      if (pageToken === "") break;
    }
    expect(pageToken).toBe("");
    expect(paged).toEqual(all);
    expect(new Set(paged).size).toBe(paged.length);
  });
});
