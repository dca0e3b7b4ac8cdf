import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import {
  type NodePlan,
  NodePlanEventType,
  NodePlanPreviewState,
  NodePlanSchema,
  NodePlanState,
} from "../../gen/updatemanager/v1/node_plan_pb.js";
import {
  GetNodePlanResponseSchema,
  ListNodePlansResponseSchema,
  PreviewNodePlanResponseSchema,
  type WatchNodePlanRequest,
  type WatchNodePlanResponse,
  WatchNodePlanResponseSchema,
} from "../../gen/updatemanager/v1/node_plan_service_pb.js";
import type { NodePlanClient, UpdateClient } from "../../src/cli/create-update-client.js";
import { parseCommandLine } from "../../src/cli/parse-arguments.js";
import { runCli } from "../../src/cli/run-cli.js";
import { UsageError } from "../../src/cli/usage-error.js";
import { createFakeClock } from "../support/fake-clock.js";
import { recorder } from "./recorded-update.js";

function plan(state: NodePlanState, extra: MessageInitShape<typeof NodePlanSchema> = {}): NodePlan {
  return create(NodePlanSchema, { name: "k3os-latest", state, image: "rancher/k3os", version: "v0.9.0", latestVersion: "v0.9.0", concurrency: 1, ...extra });
}

function event(sequence: number, type: NodePlanEventType, node = "", message = ""): WatchNodePlanResponse {
  return create(WatchNodePlanResponseSchema, { message: { case: "event", value: { sequence: BigInt(sequence), type, node, message, hash: "h" } } });
}

function cliWith(client: Partial<NodePlanClient>) {
  const stdout = recorder();
  const stderr = recorder();
  const clock = createFakeClock();
  const done = (argv: string[]) =>
    runCli({ argv, env: {}, stdout, stderr, clock, createClient: () => ({}) as UpdateClient, createPlanClient: () => client as NodePlanClient });
  return { stdout, stderr, clock, done };
}

/** A WatchNodePlan that answers each call with the next script entry: messages, then an optional error. */
function scriptedWatch(script: { messages: WatchNodePlanResponse[]; error?: ConnectError }[], requests: WatchNodePlanRequest[]) {
  let call = 0;
  return (request: Partial<WatchNodePlanRequest>) => {
    requests.push(request as WatchNodePlanRequest);
    const step = script[call++] ?? { messages: [] };
    return (async function* () {
      for (const message of step.messages) if (message.message.case !== "event" || message.message.value.sequence > (request.afterSequence ?? 0n)) yield message;
      if (step.error !== undefined) throw step.error;
    })();
  };
}

describe("plans: parsing", () => {
  it("parses list, show, dry run and watch", () => {
    expect(parseCommandLine(["plans"], {})).toMatchObject({ name: "plans", action: "list" });
    expect(parseCommandLine(["plans", "k3os"], {})).toMatchObject({ action: "get", plan: "k3os", dryRun: false });
    expect(parseCommandLine(["plans", "k3os", "--dry-run"], {})).toMatchObject({ action: "get", plan: "k3os", dryRun: true });
    expect(parseCommandLine(["plans", "watch", "k3os", "--after-sequence", "7", "--wait-timeout", "10m"], {})).toMatchObject({
      action: "watch",
      plan: "k3os",
      afterSequence: 7n,
      waitTimeoutMs: 600_000,
    });
  });

  it("refuses what makes no sense, naming it", () => {
    const refusal = (argv: string[]) => {
      try {
        parseCommandLine(argv, {});
      } catch (error) {
        if (error instanceof UsageError) return error.message;
      }
      throw new Error("expected a usage error");
    };
    expect(refusal(["plans", "watch"])).toContain("plans watch needs a plan name");
    expect(refusal(["plans", "--dry-run"])).toContain("--dry-run needs a plan name");
    expect(refusal(["plans", "k3os", "--after-sequence", "3"])).toContain('--after-sequence is for "plans watch NAME"');
    expect(refusal(["plans", "a", "b"])).toContain('unexpected argument "b"');
  });
});

describe("plans: commands", () => {
  it("lists the plans as a table", async () => {
    const cli = cliWith({
      listNodePlans: async () => create(ListNodePlansResponseSchema, { plans: [plan(NodePlanState.APPLYING, { applying: ["node-2"], message: "1 applying" })] }),
    });
    expect(await cli.done(["plans"])).toBe(0);
    expect(cli.stdout.lines[0]).toMatch(/^PLAN\s+STATE\s+LATEST\s+APPLYING\s+UPGRADED\s+MESSAGE$/);
    expect(cli.stdout.lines[1]).toMatch(/^k3os-latest\s+applying\s+v0.9.0\s+node-2\s+0\s+1 applying$/);
  });

  it("says when the server runs no plans", async () => {
    const cli = cliWith({ listNodePlans: async () => create(ListNodePlansResponseSchema, { disabled: true }) });
    expect(await cli.done(["plans"])).toBe(0);
    expect(cli.stdout.lines).toEqual(["this server does not run node upgrade plans (UPDATE_MANAGER_NODE_PLANS)"]);
  });

  it("prints the dry run's order, and JSON with -o json", async () => {
    const preview = create(PreviewNodePlanResponseSchema, {
      hash: "abcdef0123456789",
      nodes: [
        { name: "node-3", position: 1, state: NodePlanPreviewState.DONE },
        { name: "node-1", position: 2, state: NodePlanPreviewState.PENDING },
      ],
    });
    const requested: string[] = [];
    const cli = cliWith({
      previewNodePlan: async (request) => {
        requested.push(request.name ?? "");
        return preview;
      },
    });
    expect(await cli.done(["plans", "k3os-latest", "--dry-run"])).toBe(0);
    expect(requested).toEqual(["k3os-latest"]);
    expect(cli.stdout.lines[0]).toBe("dry run: plan k3os-latest (hash abcdef012345) takes these nodes in this order:");
    expect(cli.stdout.lines.slice(2).map((line) => line.trim().split(/\s+/).slice(0, 3))).toEqual([
      ["1", "node-3", "done"],
      ["2", "node-1", "pending"],
    ]);
    const json = cliWith({ previewNodePlan: async () => preview });
    expect(await json.done(["plans", "k3os-latest", "--dry-run", "-o", "json"])).toBe(0);
    expect(JSON.parse(json.stdout.lines[0]!)).toMatchObject({ preview: { plan: "k3os-latest", nodes: [{ name: "node-3", state: "NODE_PLAN_PREVIEW_STATE_DONE" }, {}] } });
  });

  it("watch: prints each event once, resumes after a drop, and exits 0 when the plan is complete", async () => {
    const requests: WatchNodePlanRequest[] = [];
    const cli = cliWith({
      watchNodePlan: scriptedWatch(
        [
          { messages: [event(1, NodePlanEventType.NODE_SELECTED, "node-1")], error: new ConnectError("leader changed", Code.Unavailable) },
          { messages: [event(1, NodePlanEventType.NODE_SELECTED, "node-1"), event(2, NodePlanEventType.JOB_SUCCEEDED, "node-1"), event(3, NodePlanEventType.PLAN_COMPLETE)] },
        ],
        requests,
      ) as NodePlanClient["watchNodePlan"],
      getNodePlan: async () => create(GetNodePlanResponseSchema, { plan: plan(NodePlanState.COMPLETE) }),
    });
    const exit = cli.done(["plans", "watch", "k3os-latest"]);
    await cli.clock.advanceAsync(1_000);
    expect(await exit).toBe(0);
    expect(requests.map((r) => [r.afterSequence, r.untilSettled])).toEqual([
      [0n, true],
      [1n, true],
    ]);
    expect(cli.stdout.lines.filter((line) => line.startsWith("["))).toEqual([
      "[1] node-1: selected",
      "[2] node-1: upgrade Job succeeded",
      "[3] plan complete",
    ]);
    expect(cli.stdout.lines.at(-1)).toBe("plan k3os-latest complete");
  });

  it("watch: a stream the server ended cleanly before the plan settled (a shutdown) is resumed, not taken as the end", async () => {
    const requests: WatchNodePlanRequest[] = [];
    let reads = 0;
    const cli = cliWith({
      watchNodePlan: scriptedWatch(
        [{ messages: [event(1, NodePlanEventType.NODE_SELECTED, "node-1")] }, { messages: [event(2, NodePlanEventType.PLAN_COMPLETE)] }],
        requests,
      ) as NodePlanClient["watchNodePlan"],
      getNodePlan: async () => create(GetNodePlanResponseSchema, { plan: plan(++reads === 1 ? NodePlanState.APPLYING : NodePlanState.COMPLETE) }),
    });
    const exit = cli.done(["plans", "watch", "k3os-latest"]);
    await cli.clock.advanceAsync(1_000);
    expect(await exit).toBe(0);
    expect(requests.map((r) => r.afterSequence)).toEqual([0n, 1n]);
    expect(cli.stdout.lines.at(-1)).toBe("plan k3os-latest complete");
  });

  it("watch: the same exit-code table as watch: failed 1, unknown plan 2, wait timeout 4, denied 5", async () => {
    const failed = cliWith({
      watchNodePlan: scriptedWatch([{ messages: [event(1, NodePlanEventType.JOB_FAILED, "node-1", "BackoffLimitExceeded")] }], []) as NodePlanClient["watchNodePlan"],
      getNodePlan: async () => create(GetNodePlanResponseSchema, { plan: plan(NodePlanState.FAILED, { message: "upgrade Job failed on node-1" }) }),
    });
    expect(await failed.done(["plans", "watch", "k3os-latest"])).toBe(1);
    expect(failed.stderr.lines.at(-1)).toBe("plan k3os-latest failed: upgrade Job failed on node-1");

    const notFound = new ConnectError("no node upgrade plan named \"nope\"", Code.NotFound, undefined, [
      { desc: ErrorInfoSchema, value: { reason: "PLAN_NOT_FOUND", domain: "update-manager", metadata: {} } },
    ]);
    const missing = cliWith({ watchNodePlan: scriptedWatch([{ messages: [], error: notFound }], []) as NodePlanClient["watchNodePlan"] });
    expect(await missing.done(["plans", "watch", "nope"])).toBe(2);

    const hanging = cliWith({
      watchNodePlan: ((_request: unknown, options?: { signal?: AbortSignal }) =>
        (async function* () {
          await new Promise((_, reject) => options?.signal?.addEventListener("abort", () => reject(new ConnectError("aborted", Code.Canceled))));
          yield event(1, NodePlanEventType.NODE_SELECTED);
        })()) as unknown as NodePlanClient["watchNodePlan"],
    });
    const exit = hanging.done(["plans", "watch", "k3os-latest", "--wait-timeout", "30s", "--after-sequence", "4"]);
    await hanging.clock.advanceAsync(30_000);
    expect(await exit).toBe(4);
    expect(hanging.stderr.lines.at(-1)).toContain("update-manager plans watch k3os-latest --after-sequence 4");

    const denied = cliWith({
      watchNodePlan: scriptedWatch([{ messages: [], error: new ConnectError("may not", Code.PermissionDenied) }], []) as NodePlanClient["watchNodePlan"],
    });
    expect(await denied.done(["plans", "watch", "k3os-latest"])).toBe(5);
  });
});
