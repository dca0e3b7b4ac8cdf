import { describe, expect, it } from "vitest";
import { createConfigMapFreezeStore, decodeFreeze, encodeFreeze } from "../../../src/store/kubernetes/config-map-freeze-store.js";
import { describeFreezeStoreContract } from "../../contract/freeze-store-contract.js";
import { fakeApiServer } from "./fake-config-map-server.js";

describeFreezeStoreContract("ConfigMap on a fake API server", async () => {
  const server = fakeApiServer();
  return () => createConfigMapFreezeStore({ rest: server.rest, namespace: "update-manager" });
});

describe("the freeze in a ConfigMap", () => {
  it("tells subscribers of a freeze another replica wrote, once per change (from its watch)", async () => {
    const server = fakeApiServer();
    const here = createConfigMapFreezeStore({ rest: server.rest, namespace: "update-manager" });
    const heard: boolean[] = [];
    here.subscribe((state) => heard.push(state.frozen));
    const data = encodeFreeze({ frozen: true, reason: "", principal: "alice" });
    here.changed({ metadata: { name: "update-manager-freeze", resourceVersion: "7" }, data });
    here.changed({ metadata: { name: "update-manager-freeze", resourceVersion: "8" }, data });
    here.changed(undefined);
    expect(heard).toEqual([true, false]);
  });

  it("reads an unreadable document as not frozen rather than stopping every update", () => {
    expect(decodeFreeze({ "freeze.json": "{not json" }).frozen).toBe(false);
    expect(decodeFreeze({}).frozen).toBe(false);
  });
});
