import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { UpdateState } from "../../gen/updatemanager/v1/update_pb.js";
import { TargetSchema, WorkloadKind } from "../../gen/updatemanager/v1/workload_pb.js";
import { createJsonRenderer } from "../../src/cli/json-renderer.js";
import { recordedLines, recordedUpdate, recorder } from "./recorded-update.js";

describe("the JSON renderer", () => {
  it("writes every server message as one protobuf-JSON line, byte for byte as recorded", () => {
    const { accepted, messages } = recordedUpdate();
    const stdout = recorder();
    const renderer = createJsonRenderer(stdout);
    renderer.accepted(accepted, false);
    for (const message of messages) renderer.message(message);
    expect(stdout.lines).toEqual(recordedLines);
    const last = JSON.parse(stdout.lines.at(-1) ?? "{}") as { event: { sequence: string; finished: { state: string } } };
    expect(last.event.sequence).toBe("14");
    expect(last.event.finished.state).toBe("UPDATE_STATE_ROLLED_BACK");
  });

  it("ends with one result line that carries the exit code, state and error reason", () => {
    const stdout = recorder();
    const renderer = createJsonRenderer(stdout);
    renderer.reconnecting({ cause: new ConnectError("gone", Code.Unavailable), delayMs: 1000, afterSequence: 3n });
    renderer.result({ exitCode: 3, message: "update u ROLLED_BACK", updateId: "u", state: UpdateState.ROLLED_BACK });
    renderer.result({
      exitCode: 5,
      message: "error: permission_denied",
      error: { code: "permission_denied", reason: "PERMISSION_DENIED", metadata: { denied: "namespace:legacy" } },
    });
    expect(stdout.lines.map((line) => JSON.parse(line))).toEqual([
      { reconnecting: { code: "unavailable", message: "gone", delayMs: 1000, afterSequence: "3" } },
      { result: { exitCode: 3, message: "update u ROLLED_BACK", updateId: "u", state: "UPDATE_STATE_ROLLED_BACK" } },
      {
        result: {
          exitCode: 5,
          message: "error: permission_denied",
          error: { code: "permission_denied", reason: "PERMISSION_DENIED", metadata: { denied: "namespace:legacy" } },
        },
      },
    ]);
  });

  it("writes one line per listed target", () => {
    const stdout = recorder();
    createJsonRenderer(stdout).targets([
      create(TargetSchema, { classifier: "shop", workload: { kind: WorkloadKind.DEPLOYMENT, namespace: "shop", name: "web" } }),
      create(TargetSchema, { classifier: "shop", workload: { kind: WorkloadKind.CRON_JOB, namespace: "shop", name: "report" } }),
    ]);
    expect(stdout.lines.map((line) => JSON.parse(line).target.workload.name)).toEqual(["web", "report"]);
  });
});
