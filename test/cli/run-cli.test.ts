import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { UpdateSchema, UpdateState } from "../../gen/updatemanager/v1/update_pb.js";
import type { UpdateClient } from "../../src/cli/create-update-client.js";
import { runCli } from "../../src/cli/run-cli.js";
import { createFakeClock } from "../support/fake-clock.js";
import { recorder } from "./recorded-update.js";

const accepted = create(UpdateSchema, {
  id: "u-1",
  state: UpdateState.PENDING,
  image: "registry.example.com/shop/web:1.5.0",
  classifier: "shop",
});
const args = ["update", "--image", accepted.image, "--classifier", "shop"];

function cliWith(client: Partial<UpdateClient>) {
  const stdout = recorder();
  const stderr = recorder();
  const clock = createFakeClock();
  const done = (argv: string[], env: Record<string, string> = {}) =>
    runCli({ argv, env, stdout, stderr, clock, createClient: () => client as UpdateClient });
  return { stdout, stderr, clock, done };
}

describe("runCli", () => {
  it("refuses a bad command line with exit 2 and a pointer to --help, before any call", async () => {
    const cli = cliWith({});
    expect(await cli.done(["update", "--image", accepted.image])).toBe(2);
    expect(cli.stderr.text).toBe('error: --classifier is required (or UPDATE_MANAGER_CLASSIFIER)\nRun "update-manager update --help" for usage.\n');
  });

  it("retries Update while the manager is unavailable and then reports the accepted id", async () => {
    let calls = 0;
    const cli = cliWith({
      async update() {
        calls += 1;
        if (calls < 3) throw new ConnectError("caches not synced", Code.Unavailable);
        return { $typeName: "updatemanager.v1.UpdateResponse", update: accepted };
      },
    });
    const exit = cli.done(args);
    await cli.clock.advanceAsync(1000 + 2000);
    expect(await exit).toBe(0);
    expect(calls).toBe(3);
    expect(cli.stderr.lines).toEqual([
      "Update: [unavailable] caches not synced; retrying in 1 s",
      "Update: [unavailable] caches not synced; retrying in 2 s",
    ]);
    expect(cli.stdout.lines.at(-1)).toBe("update u-1 accepted; follow it with: update-manager watch u-1");
  });

  it("exits 5 on PERMISSION_DENIED with the reason and metadata in the JSON result", async () => {
    const cli = cliWith({
      async update() {
        throw new ConnectError("may not touch namespace legacy", Code.PermissionDenied, undefined, [
          { desc: ErrorInfoSchema, value: { reason: "PERMISSION_DENIED", domain: "update-manager", metadata: { denied: "namespace:legacy" } } },
        ]);
      },
    });
    expect(await cli.done([...args, "-o", "json"])).toBe(5);
    expect(JSON.parse(cli.stdout.lines.at(-1) ?? "")).toEqual({
      result: {
        exitCode: 5,
        message: "error: permission_denied (PERMISSION_DENIED): may not touch namespace legacy",
        error: { code: "permission_denied", reason: "PERMISSION_DENIED", metadata: { denied: "namespace:legacy" } },
      },
    });
  });

  it("names the running update when its targets are busy", async () => {
    const cli = cliWith({
      async update() {
        throw new ConnectError("busy", Code.Aborted, undefined, [
          { desc: ErrorInfoSchema, value: { reason: "TARGET_BUSY", domain: "update-manager", metadata: { update_id: "u-0" } } },
        ]);
      },
    });
    expect(await cli.done(args)).toBe(1);
    expect(cli.stderr.text).toContain("follow it with: update-manager watch u-0");
  });

  it("gives up a watch that cannot reconnect with exit 1, the id and where to resume", async () => {
    const cli = cliWith({
      async update() {
        return { $typeName: "updatemanager.v1.UpdateResponse", update: accepted };
      },
      watchUpdate() {
        return (async function* () {
          yield* [];
          throw new ConnectError("connect ECONNREFUSED", Code.Unavailable);
        })();
      },
    });
    const exit = cli.done([...args, "--wait"]);
    for (let i = 0; i < 40; i++) await cli.clock.advanceAsync(15_000);
    expect(await exit).toBe(1);
    expect(cli.stderr.lines.at(-1)).toBe(
      "lost the watch of update u-1 ([unavailable] connect ECONNREFUSED); the update goes on. Follow it with: update-manager watch u-1 --after-sequence 0",
    );
  });
});
