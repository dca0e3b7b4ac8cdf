import { describe, expect, it } from "vitest";
import { createConfigMapQuarantineStore } from "../../../src/store/kubernetes/config-map-quarantine-store.js";
import { aQuarantine, describeQuarantineStoreContract } from "../../contract/quarantine-store-contract.js";
import { fakeApiServer } from "./fake-config-map-server.js";

describeQuarantineStoreContract("ConfigMap on a fake API server", async () => {
  const server = fakeApiServer();
  return async (settings) => createConfigMapQuarantineStore({ rest: server.rest, namespace: "update-manager", ...settings });
});

describe("the quarantine ConfigMap", () => {
  it("is reported by name with the parse error when its data is corrupt, not as an unreachable API server", async () => {
    const server = fakeApiServer();
    const store = createConfigMapQuarantineStore({ rest: server.rest, namespace: "update-manager" });
    await store.add(aQuarantine());
    server.overwrite({ "records.json": '[{"position":1,"workload":' });
    const error = await store.find(aQuarantine().workload, aQuarantine().image).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "failed-precondition", metadata: { config_map: "update-manager/update-manager-quarantine" } });
    expect((error as Error).message).toContain("update-manager/update-manager-quarantine");
    expect((error as Error).message).toContain("records.json");
    expect((error as Error).message).toMatch(/JSON/);
    expect((error as Error).message).not.toMatch(/could not be reached/);

    server.overwrite({ "records.json": '{"not":"a list"}' });
    await expect(store.list({ pageSize: 10 })).rejects.toThrow(/not a JSON list/);
  });
});
