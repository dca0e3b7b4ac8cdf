import { createHash } from "node:crypto";
import { Code, type ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";
import { type ServerProcess, startServer } from "../support/server-process.js";

// The real server process with scoped keys configured: the wiring of main.ts and app.ts, not the
// interceptor alone (that is test/auth/access-control-interceptor.test.ts).
const shopKey = "um_shop_0123456789abcdef0123456789abcdef";
const dashboardKey = "um_dash_0123456789abcdef0123456789abcdef";
const sha256 = (key: string) => createHash("sha256").update(key).digest("hex");

const keys = JSON.stringify({
  keys: [
    {
      name: "shop-ci",
      sha256: sha256(shopKey),
      rpcs: ["Update", "GetUpdate", "WatchUpdate"],
      classifiers: ["shop"],
      namespaces: ["shop"],
      repositories: ["registry.example.com/shop/web"],
    },
    { name: "dashboard", sha256: sha256(dashboardKey), rpcs: ["read"], classifiers: "*", namespaces: "*", repositories: "*" },
  ],
});

let server: ServerProcess;

beforeAll(async () => {
  server = await startServer({ env: { UPDATE_MANAGER_API_KEYS: keys, UPDATE_MANAGER_INSECURE_DEMO: "false" } });
});

afterAll(async () => {
  await server?.stop();
});

function client(key?: string) {
  return createClient(
    UpdateService,
    createGrpcTransport({
      baseUrl: server.apiUrl,
      interceptors:
        key === undefined
          ? []
          : [
              (next) => (req) => {
                req.header.set("authorization", `Bearer ${key}`);
                return next(req);
              },
            ],
    }),
  );
}

async function failure(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    return error as ConnectError;
  }
  throw new Error("the call succeeded");
}

describe("scoped keys on the running server", () => {
  it("refuses callers without a credential when keys are configured", async () => {
    expect((await failure(client().listTargets({}))).code).toBe(Code.Unauthenticated);
  });

  it("lets a read-only dashboard key list but not update", async () => {
    const { targets } = await client(dashboardKey).listTargets({ classifier: "shop" });
    expect(targets.length).toBeGreaterThan(0);
    const denied = await failure(client(dashboardKey).update({ image: "registry.example.com/shop/web:3.0.0", classifier: "shop" }));
    expect(denied.code).toBe(Code.PermissionDenied);
  });

  it("refuses a pipeline key an update whose plan reaches a namespace outside its scope, naming it", async () => {
    // classifier shop also holds legacy/storefront (legacy annotation) on shop/web.
    const denied = await failure(client(shopKey).update({ image: "registry.example.com/shop/web:3.0.0", classifier: "shop" }));
    expect(denied.code).toBe(Code.PermissionDenied);
    expect(denied.findDetails(ErrorInfoSchema)[0]?.metadata.denied).toBe("namespace:legacy");
    const { updates } = await client(dashboardKey).listUpdates({});
    expect(updates).toEqual([]);
  });

  it("refuses a pipeline key another repository", async () => {
    const denied = await failure(client(shopKey).update({ image: "registry.example.com/shop/web-admin:3.0.0", classifier: "shop" }));
    expect(denied.code).toBe(Code.PermissionDenied);
  });
});
