import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { principalKey } from "../../src/api/principal.js";
import { registerUpdateService, type UpdateUseCases } from "../../src/api/update-service.js";
import type { AvailableUpdate } from "../../src/core/domain/available-update.js";
import { createListAvailableUpdates } from "../../src/core/use-cases/list-available-updates.js";
import { createMemoryWatchStateStore } from "../../src/store/memory/memory-watch-state-store.js";
import { AvailabilityStatus } from "../../gen/updatemanager/v1/available_update_pb.js";
import { UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";

const asReader: Interceptor = (next) => async (req) => {
  req.contextValues.set(principalKey, { name: "dashboard", authenticated: true });
  return next(req);
};

function entry(namespace: string, name: string, classifier: string, status: AvailableUpdate["status"]): AvailableUpdate {
  return {
    workload: { kind: "Deployment", namespace, name },
    classifier,
    container: "app",
    currentImage: `r.example/${name}:1.0.0`,
    availableImage: `r.example/${name}:1.0.1`,
    policy: "semver:patch",
    mode: "update",
    status,
    message: "",
    ...(status === "soaking" ? { soakingUntil: new Date("2025-01-02T00:00:00Z") } : {}),
    checkTime: new Date("2025-01-01T00:00:00Z"),
  };
}

async function clientWith(entries: AvailableUpdate[] | undefined) {
  const state = createMemoryWatchStateStore();
  if (entries !== undefined) await state.save({ available: entries });
  const transport = createRouterTransport(
    (router) =>
      registerUpdateService(router, {} as UpdateUseCases, {
        ...(entries === undefined ? {} : { listAvailableUpdates: createListAvailableUpdates({ state }) }),
      }),
    { router: { interceptors: [asReader] } },
  );
  return createClient(UpdateService, transport);
}

describe("ListAvailableUpdates", () => {
  it("lists what the watcher found, with why it is not applied, filtered and paged", async () => {
    const client = await clientWith([
      entry("shop", "api", "prod", "notify"),
      entry("shop", "web", "prod", "soaking"),
      entry("tools", "ci", "infra", "beyond-policy"),
    ]);

    const prod = await client.listAvailableUpdates({ classifier: "prod", pageSize: 1 });
    expect(prod.availableUpdates.map((update) => [update.workload?.name, update.status])).toEqual([["api", AvailabilityStatus.NOTIFY]]);
    const next = await client.listAvailableUpdates({ classifier: "prod", pageSize: 1, pageToken: prod.nextPageToken });
    expect(next.availableUpdates[0]?.status).toBe(AvailabilityStatus.SOAKING);
    expect(timestampDate(next.availableUpdates[0]!.soakingUntilTime!).toISOString()).toBe("2025-01-02T00:00:00.000Z");
    expect(next.nextPageToken).toBe("");
    expect((await client.listAvailableUpdates({ namespace: "tools" })).availableUpdates.map((u) => u.availableImage)).toEqual([
      "r.example/ci:1.0.1",
    ]);
  });

  it("refuses a malformed page token, and answers UNIMPLEMENTED when registry watching is off", async () => {
    const on = await clientWith([]);
    await expect(on.listAvailableUpdates({ pageToken: "not a token" })).rejects.toMatchObject({ code: Code.InvalidArgument });
    const off = await clientWith(undefined);
    const error = await off.listAvailableUpdates({}).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(error?.code).toBe(Code.Unimplemented);
    expect(error?.rawMessage).toContain("UPDATE_MANAGER_WATCH_REGISTRIES");
  });
});
