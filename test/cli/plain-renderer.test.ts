import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { WatchUpdateResponseSchema } from "../../gen/updatemanager/v1/update_service_pb.js";
import { GateKind, GateWaitSchema } from "../../gen/updatemanager/v1/gate_pb.js";
import { UpdateState } from "../../gen/updatemanager/v1/update_pb.js";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createPlainRenderer } from "../../src/cli/plain-renderer.js";
import { recordedUpdate, recorder } from "./recorded-update.js";

describe("the plain renderer (CI logs, pipes)", () => {
  it("prints the accepted update and then exactly one line per event, in order", () => {
    const { accepted, messages } = recordedUpdate();
    const stdout = recorder();
    const stderr = recorder();
    const renderer = createPlainRenderer(stdout, stderr);
    renderer.accepted(accepted, false);
    for (const message of messages) renderer.message(message);
    // A heartbeat is not an event: nothing to print.
    renderer.message(create(WatchUpdateResponseSchema, { message: { case: "heartbeat", value: { lastSequence: 14n } } }));

    const lines = stdout.lines;
    expect(lines[0]).toBe(
      `update ${accepted.id} PENDING: registry.example.com/shop/web:2.0.0-broken for classifier shop, 1 migration(s), 4 workload(s)`,
    );
    expect(lines.slice(1).map((line) => line.match(/^\[(\d+)\]/)?.[1])).toEqual(
      Array.from({ length: 14 }, (_, i) => String(i + 1)),
    );
    expect(lines).toContain("[1] planned: 1 migration, 4 workloads");
    expect(lines).toContain(
      "[4] deployment legacy/storefront patched: storefront: registry.example.com/shop/web:1.7.0 -> registry.example.com/shop/web:2.0.0-broken",
    );
    expect(lines.find((line) => line.startsWith("[8] "))).toMatch(
      /^\[8\] deployment legacy\/storefront failed: new pod storefront-\S+ container storefront: CrashLoopBackOff/,
    );
    expect(lines.find((line) => line.startsWith("[9] "))).toContain(
      "; restoring deployment legacy/storefront; migrations that ran cannot be undone: job shop/web-migrate",
    );
    expect(lines).toContain("[13] rollback finished: every changed workload runs its previous images again");
    expect(lines.at(-1)).toMatch(/^\[14\] finished: ROLLED_BACK: Deployment legacy\/storefront failed/);
    // No terminal control sequences in a log.
    expect(stdout.text).not.toContain("\x1b");
    expect(stderr.text).toBe("");
  });

  it("says what an accepted update waits for, and until when", () => {
    const { accepted } = recordedUpdate();
    const stdout = recorder();
    createPlainRenderer(stdout, recorder()).accepted(
      {
        ...accepted,
        state: UpdateState.WAITING_FOR_GATE,
        gateWait: create(GateWaitSchema, {
          gate: GateKind.WINDOW,
          policy: 'window "office-hours"',
          reason: 'outside window "office-hours" (daily 09:00-17:00 UTC)',
          notBefore: timestampFromDate(new Date("2025-01-02T09:00:00Z")),
        }),
      },
      false,
    );
    expect(stdout.lines[0]).toMatch(/^update \S+ WAITING_FOR_GATE: registry.example.com\/shop\/web:2.0.0-broken/);
    expect(stdout.lines[1]).toBe('waiting: outside window "office-hours" (daily 09:00-17:00 UTC); not before 2025-01-02T09:00:00.000Z');
  });

  it("prints a dry run's plan, with unchanged workloads and warnings", () => {
    const { accepted } = recordedUpdate();
    const plan = accepted.plan;
    if (plan === undefined) throw new Error("no plan");
    const first = plan.workloads[0];
    if (first === undefined) throw new Error("no workload");
    first.unchanged = true;
    first.warnings = ["fields owned by flux: the GitOps tool may revert this change"];
    const stdout = recorder();
    createPlainRenderer(stdout, recorder()).accepted({ ...accepted, id: "" }, true);
    expect(stdout.lines[0]).toBe("dry run: registry.example.com/shop/web:2.0.0-broken for classifier shop would change:");
    expect(stdout.lines).toContain("  deployment legacy/storefront: already up to date");
    expect(stdout.lines).toContain(
      "  deployment shop/web: web: registry.example.com/shop/web:1.7.0 -> registry.example.com/shop/web:2.0.0-broken",
    );
    expect(stdout.lines).toContain(
      "warning: deployment legacy/storefront: fields owned by flux: the GitOps tool may revert this change",
    );
  });

  it("sends reconnects and failed results to stderr, successful results to stdout", () => {
    const stdout = recorder();
    const stderr = recorder();
    const renderer = createPlainRenderer(stdout, stderr);
    renderer.reconnecting({ cause: new ConnectError("socket hang up", Code.Unavailable), delayMs: 500, afterSequence: 7n });
    renderer.result({ exitCode: 3, message: "update u ROLLED_BACK" });
    renderer.result({ exitCode: 0, message: "update v SUCCEEDED" });
    expect(stderr.lines).toEqual([
      "watch interrupted ([unavailable] socket hang up); resuming after event 7 in 0.5 s",
      "update u ROLLED_BACK",
    ]);
    expect(stdout.lines).toEqual(["update v SUCCEEDED"]);
  });
});
