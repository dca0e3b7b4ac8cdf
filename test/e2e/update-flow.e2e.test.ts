import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import type { UpdateEvent } from "../../gen/updatemanager/v1/event_pb.js";
import { UpdateState } from "../../gen/updatemanager/v1/update_pb.js";
import { UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";
import { type ServerProcess, startServer } from "../support/server-process.js";

// The embedded demo cluster (src/cluster/simulated/demo-seed.ts): classifier `shop` holds the
// Deployments web and worker, the CronJob report and the migration template web-migrate, all on
// registry.example.com/shop/web; tags containing `broken` crash-loop.
const repo = "registry.example.com/shop/web";

let server: ServerProcess;
let client: Client<typeof UpdateService>;

beforeAll(async () => {
  // Enough write budget for every request of this file at once: the rate limiter's refill would make it timing-bound.
  server = await startServer({ env: { UPDATE_MANAGER_WRITE_BURST: "50" } });
  client = createClient(UpdateService, createGrpcTransport({ baseUrl: server.apiUrl }));
});

afterAll(async () => {
  await server?.stop();
});

async function collect(updateId: string, afterSequence = 0n): Promise<UpdateEvent[]> {
  const events: UpdateEvent[] = [];
  for await (const message of client.watchUpdate({ updateId, afterSequence }, { timeoutMs: 90_000 })) {
    if (message.message.case === "event") events.push(message.message.value);
  }
  return events;
}

function errorInfo(error: unknown) {
  expect(error).toBeInstanceOf(ConnectError);
  return (error as ConnectError).findDetails(ErrorInfoSchema)[0];
}

describe("Update over gRPC on the demo cluster", () => {
  it("runs the migration first, rolls out, and streams every step to the terminal event", async () => {
    const { update } = await client.update({ image: `${repo}:1.5.0`, classifier: "shop" });
    expect(update?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(update?.plan?.migrations.map((m) => m.template?.name)).toEqual(["web-migrate"]);
    const events = await collect(update!.id);

    expect(events.map((e) => Number(e.sequence))).toEqual(events.map((_, i) => i + 1));
    const kinds = events.map((e) => e.kind.case);
    expect(kinds[0]).toBe("planned");
    expect(kinds.filter((k) => k === "finished")).toHaveLength(1);
    expect(kinds.at(-1)).toBe("finished");
    expect(kinds.indexOf("migrationSucceeded")).toBeLessThan(kinds.indexOf("workloadPatched"));
    const finished = events.at(-1)!.kind;
    expect(finished.case === "finished" && finished.value.state).toBe(UpdateState.SUCCEEDED);

    const { targets } = await client.listTargets({ classifier: "shop", repository: repo });
    const web = targets.find((t) => t.workload?.name === "web");
    expect(web?.containers.find((c) => c.name !== "sidecar")?.image).toBe(`${repo}:1.5.0`);

    // A watcher that reconnects resumes after the last sequence it saw, without gaps or repeats.
    const resumed = await collect(update!.id, events[2]!.sequence);
    expect(resumed.map((e) => e.sequence)).toEqual(events.slice(3).map((e) => e.sequence));

    const { update: stored } = await client.getUpdate({ updateId: update!.id });
    expect(stored?.state).toBe(UpdateState.SUCCEEDED);
    const { updates } = await client.listUpdates({});
    expect(updates.map((u) => u.id)).toContain(update!.id);
  });

  it("rolls a crash-looping rollout back to the previous images and quarantines the image", async () => {
    const before = await client.listTargets({ classifier: "shop", repository: repo });
    const imagesBefore = new Map(before.targets.map((t) => [t.workload?.name, t.containers.map((c) => c.image)]));

    const { update } = await client.update({ image: `${repo}:2.0.0-broken`, classifier: "shop" });
    const events = await collect(update!.id);
    const last = events.at(-1)!.kind;
    expect(last.case === "finished" && last.value.state).toBe(UpdateState.ROLLED_BACK);
    expect(events.some((e) => e.kind.case === "rollbackStarted")).toBe(true);

    const after = await client.listTargets({ classifier: "shop", repository: repo });
    // The demo's shop targets (web and worker at least), every one back on its images: an empty answer must not pass.
    expect(before.targets.map((t) => t.workload?.name)).toEqual(expect.arrayContaining(["web", "worker"]));
    expect(new Map(after.targets.map((t) => [t.workload?.name, t.containers.map((c) => c.image)]))).toEqual(imagesBefore);

    const again = await client.update({ image: `${repo}:2.0.0-broken`, classifier: "shop" }).catch((e: unknown) => e);
    expect((again as ConnectError).code).toBe(Code.FailedPrecondition);
    expect(errorInfo(again)?.reason).toBe("IMAGE_QUARANTINED");
    const { quarantines } = await client.listQuarantines({});
    expect(quarantines.map((q) => q.image)).toContain(`${repo}:2.0.0-broken`);
  });

  it("refuses a second update of a busy target with ABORTED / TARGET_BUSY naming the running update", async () => {
    // A `stuck` image never becomes ready: the first update runs until it is cancelled, whatever the timing.
    const { update: first } = await client.update({ image: `${repo}:1.6.0-stuck`, classifier: "shop" });
    const second = await client.update({ image: `${repo}:1.6.1`, classifier: "shop" }).catch((e: unknown) => e);
    expect((second as ConnectError).code).toBe(Code.Aborted);
    const info = errorInfo(second);
    expect(info?.reason).toBe("TARGET_BUSY");
    expect(info?.metadata.update_id).toBe(first!.id);
    await client.cancelUpdate({ updateId: first!.id, reason: "e2e: the target was only needed busy" });
    const events = await collect(first!.id);
    const last = events.at(-1)!.kind;
    expect(last.case === "finished" && last.value.state).toBe(UpdateState.CANCELLED);
  });

  it("answers NOT_FOUND / NO_TARGETS when nothing matches, and changes nothing", async () => {
    const error = await client
      .update({ image: "registry.example.com/shop/web-admin-ui:1.0.0", classifier: "shop" })
      .catch((e: unknown) => e);
    expect((error as ConnectError).code).toBe(Code.NotFound);
    expect(errorInfo(error)?.reason).toBe("NO_TARGETS");
  });

  it("answers INVALID_ARGUMENT naming the field for a malformed image reference", async () => {
    const error = await client.update({ image: "Registry.example.com:/shop//web", classifier: "shop" }).catch((e: unknown) => e);
    expect((error as ConnectError).code).toBe(Code.InvalidArgument);
    expect(errorInfo(error)?.metadata.field).toBe("image");
  });

  it("returns the plan of a dry run without recording an update", async () => {
    const { updates: before } = await client.listUpdates({});
    const { update } = await client.update({ image: `${repo}:9.9.9`, classifier: "shop", dryRun: true });
    expect(update?.state).toBe(UpdateState.PLANNED);
    expect(update?.id).toBe("");
    expect(update?.plan?.workloads.map((w) => w.workload?.name)).toEqual(expect.arrayContaining(["web", "worker"]));
    expect(update?.plan?.workloads.map((w) => w.workload?.name)).not.toContain("admin");
    const { updates: after } = await client.listUpdates({});
    expect(after.length).toBe(before.length);
  });
});
