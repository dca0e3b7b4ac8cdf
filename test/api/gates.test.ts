import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { registerUpdateService } from "../../src/api/update-service.js";
import type { WindowPolicy } from "../../src/core/domain/window-policy.js";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { GateKind } from "../../gen/updatemanager/v1/gate_pb.js";
import { UpdateState } from "../../gen/updatemanager/v1/update_pb.js";
import { UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";
import { createHarness } from "../core/use-cases/engine-harness.js";

const image = (tag: string) => `registry.example.com/shop/web:${tag}`;
/** 09:00-17:00 UTC; the harness's clock starts at 00:00 UTC. */
const window = (name: string, classifier: string, outside: "wait" | "refuse"): WindowPolicy => ({
  name,
  classifiers: [classifier],
  window: { days: [0, 1, 2, 3, 4, 5, 6], startSecond: 9 * 3600, endSecond: 17 * 3600, timeZone: "UTC" },
  outside,
});

function setup() {
  const h = createHarness({ engine: { windowPolicies: [window("office-hours", "shop", "wait"), window("strict", "other", "refuse")] } });
  h.add({ kind: "Deployment", namespace: "shop", name: "web", classifier: "shop", containers: [{ name: "app", image: image("1") }] });
  h.add({ kind: "Deployment", namespace: "other", name: "web", classifier: "other", containers: [{ name: "app", image: image("1") }] });
  const transport = createRouterTransport((router) => registerUpdateService(router, h.manager));
  return { h, client: createClient(UpdateService, transport) };
}

describe("gates over the API", () => {
  it("answers WAITING_FOR_GATE with the wait (gate, policy, reason, when it may start), listable by that state", async () => {
    const { client } = setup();
    const { update } = await client.update({ image: image("2"), classifier: "shop" });
    expect(update?.state).toBe(UpdateState.WAITING_FOR_GATE);
    expect(update?.gateWait).toMatchObject({ gate: GateKind.WINDOW, policy: 'window "office-hours"' });
    expect(timestampDate(update!.gateWait!.notBefore!).toISOString()).toBe("2025-01-01T09:00:00.000Z");
    const listed = await client.listUpdates({ states: [UpdateState.WAITING_FOR_GATE] });
    expect(listed.updates.map((u) => u.id)).toEqual([update!.id]);
  });

  it("refuses an update outside a refusing window with FAILED_PRECONDITION, OUTSIDE_WINDOW, saying when it opens", async () => {
    const { client } = setup();
    try {
      await client.update({ image: image("2"), classifier: "other" });
      throw new Error("expected the call to fail");
    } catch (error) {
      const connect = ConnectError.from(error);
      expect(connect.code).toBe(Code.FailedPrecondition);
      const info = connect.findDetails(ErrorInfoSchema)[0];
      expect(info?.reason).toBe("OUTSIDE_WINDOW");
      expect(info?.metadata).toMatchObject({ policy: 'window "strict"', not_before: "2025-01-01T09:00:00.000Z" });
    }
  });
});
