import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { FreezeStatusSchema } from "../../gen/updatemanager/v1/approval_pb.js";
import { UpdateSchema, UpdateState } from "../../gen/updatemanager/v1/update_pb.js";
import type { UpdateClient } from "../../src/cli/create-update-client.js";
import { runCli } from "../../src/cli/run-cli.js";
import { createFakeClock } from "../support/fake-clock.js";
import { recorder } from "./recorded-update.js";

function cliWith(client: Partial<UpdateClient>) {
  const stdout = recorder();
  const stderr = recorder();
  const done = (argv: string[]) =>
    runCli({ argv, env: { UPDATE_MANAGER_API_KEY: "k" }, stdout, stderr, clock: createFakeClock(), createClient: () => client as UpdateClient });
  return { stdout, stderr, done };
}

const failing = (code: Code, reason: string) => async () => {
  throw new ConnectError("refused", code, undefined, [{ desc: ErrorInfoSchema, value: { reason, domain: "update-manager", metadata: {} } }]);
};

describe("approve and reject", () => {
  it("approve ID: exit 0 with where the approvals stand", async () => {
    const requests: unknown[] = [];
    const cli = cliWith({
      async approveUpdate(request) {
        requests.push(request);
        const update = create(UpdateSchema, { id: "u-1", state: UpdateState.WAITING_FOR_APPROVAL, requiredApprovals: 2, approvers: ["alice"] });
        return { $typeName: "updatemanager.v1.ApproveUpdateResponse", update };
      },
    });
    expect(await cli.done(["approve", "u-1"])).toBe(0);
    expect(requests).toMatchObject([{ updateId: "u-1" }]);
    expect(cli.stdout.lines.at(-1)).toBe("approved update u-1 (1 of 2 approvals); it is WAITING_FOR_APPROVAL");
  });

  it("reject ID --reason R sends the reason", async () => {
    const requests: unknown[] = [];
    const cli = cliWith({
      async rejectUpdate(request) {
        requests.push(request);
        return { $typeName: "updatemanager.v1.RejectUpdateResponse", update: create(UpdateSchema, { id: "u-1", state: UpdateState.FAILED }) };
      },
    });
    expect(await cli.done(["reject", "u-1", "--reason", "not now"])).toBe(0);
    expect(requests).toMatchObject([{ updateId: "u-1", reason: "not now" }]);
    expect(cli.stdout.lines.at(-1)).toBe("rejected update u-1; it is FAILED");
  });

  it("exits 5 for one's own update, 1 for one that does not wait, 2 for an unknown id or a missing id", async () => {
    expect(await cliWith({ approveUpdate: failing(Code.PermissionDenied, "OWN_UPDATE") }).done(["approve", "u-1"])).toBe(5);
    expect(await cliWith({ approveUpdate: failing(Code.FailedPrecondition, "NOT_WAITING_FOR_APPROVAL") }).done(["approve", "u-1"])).toBe(1);
    expect(await cliWith({ approveUpdate: failing(Code.NotFound, "UPDATE_NOT_FOUND") }).done(["approve", "u-1"])).toBe(2);
    const cli = cliWith({});
    expect(await cli.done(["approve"])).toBe(2);
    expect(cli.stderr.text).toContain("approve needs an update id");
  });
});

describe("freeze and unfreeze", () => {
  const frozen = create(FreezeStatusSchema, {
    frozen: true,
    reason: "release weekend",
    principal: "ops",
    time: timestampFromDate(new Date("2025-01-01T10:00:00Z")),
  });

  it("freeze --reason R: exit 0, saying who froze it since when and why", async () => {
    const requests: unknown[] = [];
    const cli = cliWith({
      async freeze(request) {
        requests.push(request);
        return { $typeName: "updatemanager.v1.FreezeResponse", freeze: frozen };
      },
    });
    expect(await cli.done(["freeze", "--reason", "release weekend"])).toBe(0);
    expect(requests).toMatchObject([{ reason: "release weekend" }]);
    expect(cli.stdout.lines.at(-1)).toBe("updates are frozen by ops since 2025-01-01T10:00:00.000Z: release weekend");
  });

  it("unfreeze and freeze --status", async () => {
    const cli = cliWith({
      async unfreeze() {
        return { $typeName: "updatemanager.v1.UnfreezeResponse", freeze: create(FreezeStatusSchema, { frozen: false, principal: "ops" }) };
      },
      async getFreeze() {
        return { $typeName: "updatemanager.v1.GetFreezeResponse", freeze: frozen };
      },
    });
    expect(await cli.done(["unfreeze"])).toBe(0);
    expect(cli.stdout.lines.at(-1)).toBe("updates are not frozen (unfrozen by ops)");
    expect(await cli.done(["freeze", "--status"])).toBe(0);
    expect(cli.stdout.lines.at(-1)).toContain("updates are frozen by ops");
  });

  it("exits 5 without the freeze scope", async () => {
    expect(await cliWith({ freeze: failing(Code.PermissionDenied, "PERMISSION_DENIED") }).done(["freeze"])).toBe(5);
  });
});
