import { Code, ConnectError, createClient, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { createNodePlanService } from "../../src/api/node-plan-service.js";
import { principalKey } from "../../src/api/principal.js";
import { silentLogger } from "../../src/core/ports/logger.js";
import type { NodePlanReads } from "../../src/core/ports/node-plans.js";
import { createNodePlanController } from "../../src/core/use-cases/node-plans/node-plan-controller.js";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { NodePlanEventType, NodePlanPreviewState, NodePlanState, NodeUpgradePhase } from "../../gen/updatemanager/v1/node_plan_pb.js";
import { NodePlanService } from "../../gen/updatemanager/v1/node_plan_service_pb.js";
import { createFakeClock } from "../support/fake-clock.js";
import { k3osExample } from "../support/node-plan-examples.js";
import { createFakeNodePlanReads } from "../core/use-cases/node-plans/fake-node-plan-reads.js";
import { createFakeNodePlans } from "../core/use-cases/node-plans/fake-node-plans.js";

/** Stands in for the auth interceptor. */
const asTester: Interceptor = (next) => async (req) => {
  req.contextValues.set(principalKey, { name: "tester", authenticated: true });
  return next(req);
};

function setup(options: { disabled?: boolean } = {}) {
  const clock = createFakeClock(new Date("2026-12-07T10:00:00Z"));
  const fake = createFakeNodePlans(clock);
  for (let index = 1; index <= 2; index++) fake.addNode(`node-${index}`, { "plan.upgrade.cattle.io/k3os-latest": "true" });
  fake.applyPlan("k3os-latest", k3osExample().spec);
  const reads = createFakeNodePlanReads(fake);
  const controller = createNodePlanController(
    { port: fake.port, clock, logger: silentLogger, channels: { resolve: () => Promise.reject(new Error("no channel")) } },
    { keyPrefix: "update-manager.io", namespace: "system-upgrade" },
  );
  const service = createNodePlanService({ reads: options.disabled ? undefined : (reads.reads as NodePlanReads), keyPrefix: "update-manager.io", clock });
  const transport = createRouterTransport((router) => router.service(NodePlanService, service), {
    router: { interceptors: [asTester] },
  });
  /** The leader's passes until it waits, then every running Job finishes. */
  async function step(): Promise<void> {
    for (let pass = 0; pass < 20 && (await controller.reconcile("k3os-latest")).requeueAfterMs === 0; pass++);
    for (const job of fake.runningJobs()) fake.finishJob(job, "succeeded");
    reads.changed();
  }
  return { client: createClient(NodePlanService, transport), step, fake };
}

async function failure(call: Promise<unknown>): Promise<{ code: Code; reason: string | undefined; message: string }> {
  try {
    await call;
  } catch (caught) {
    const error = ConnectError.from(caught);
    return { code: error.code, reason: error.findDetails(ErrorInfoSchema)[0]?.reason, message: error.rawMessage };
  }
  throw new Error("expected the call to fail");
}

describe("NodePlanService", () => {
  it("lists and gets plans with their nodes, conditions and event sequence", async () => {
    const { client, step } = setup();
    expect((await client.listNodePlans({})).plans.map((plan) => [plan.name, plan.state])).toEqual([["k3os-latest", NodePlanState.PENDING]]);
    for (let round = 0; round < 4; round++) await step();
    const { plan } = await client.getNodePlan({ name: "k3os-latest" });
    expect(plan).toMatchObject({ name: "k3os-latest", state: NodePlanState.COMPLETE, image: "rancher/k3os", version: "v0.9.0-dev", concurrency: 1 });
    expect(plan?.nodes.map((node) => node.phase)).toEqual([NodeUpgradePhase.SUCCEEDED, NodeUpgradePhase.SUCCEEDED]);
    expect(plan?.conditions.find((c) => c.type === "Complete")?.status).toBe("True");
    expect(plan?.firstSequence).toBe(1n);
    expect(plan?.lastSequence).toBeGreaterThan(10n);
  });

  it("streams a plan's events until it is settled, and resumes after a sequence", async () => {
    const { client, step } = setup();
    const received: { sequence: bigint; type: NodePlanEventType }[] = [];
    const stream = client.watchNodePlan({ name: "k3os-latest", untilSettled: true });
    const reading = (async () => {
      for await (const item of stream) if (item.message.case === "event") received.push({ sequence: item.message.value.sequence, type: item.message.value.type });
    })();
    for (let round = 0; round < 8; round++) await step();
    await reading;
    expect(received.map((e) => e.sequence)).toEqual(received.map((_, index) => BigInt(index + 1)));
    expect(received.at(-1)?.type).toBe(NodePlanEventType.PLAN_COMPLETE);

    const resumed: bigint[] = [];
    for await (const item of client.watchNodePlan({ name: "k3os-latest", afterSequence: 10n, untilSettled: true })) {
      if (item.message.case === "event") resumed.push(item.message.value.sequence);
    }
    expect(resumed).toEqual(received.slice(10).map((e) => e.sequence));
  });

  it("previews the order without changing anything", async () => {
    const { client, fake } = setup();
    const preview = await client.previewNodePlan({ name: "k3os-latest" });
    expect(preview.nodes.map((node) => node.state)).toEqual([NodePlanPreviewState.PENDING, NodePlanPreviewState.PENDING]);
    expect(preview.nodes.map((node) => node.position)).toEqual([1, 2]);
    expect(fake.writes).toEqual([]);
  });

  it("answers with the right codes: unknown plan, missing name, plans not run here", async () => {
    const { client } = setup();
    expect(await failure(client.getNodePlan({ name: "nope" }))).toMatchObject({ code: Code.NotFound, reason: "PLAN_NOT_FOUND" });
    expect(await failure(client.getNodePlan({ name: "" }))).toMatchObject({ code: Code.InvalidArgument, reason: "INVALID_ARGUMENT" });
    const disabled = setup({ disabled: true }).client;
    expect(await disabled.listNodePlans({})).toMatchObject({ plans: [], disabled: true });
    const refused = await failure(disabled.getNodePlan({ name: "k3os-latest" }));
    expect(refused).toMatchObject({ code: Code.FailedPrecondition, reason: "NODE_PLANS_DISABLED" });
    expect(refused.message).toContain("UPDATE_MANAGER_NODE_PLANS");
  });
});
