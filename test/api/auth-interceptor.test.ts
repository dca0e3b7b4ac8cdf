import { Code, type ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { createAuthInterceptor, type AuthOptions } from "../../src/api/auth-interceptor.js";
import { principalKey } from "../../src/api/principal.js";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";

const key = "k3y-0123456789abcdef";

/** A router whose UpdateService echoes the principal it saw as the update's requester. */
function clients(options: Omit<AuthOptions, "mutatingMethods">, authorization?: string) {
  const transport = createRouterTransport(
    (router) => {
      router.service(UpdateService, {
        update: (_req, ctx) => ({ update: { requester: ctx.values.get(principalKey).name } }),
        listTargets: () => ({}),
      });
      router.service(Health, { check: () => ({ status: 1 }) });
    },
    {
      router: {
        interceptors: [
          createAuthInterceptor({ ...options, mutatingMethods: new Set(["Update"]), openServices: [Health.typeName] }),
        ],
      },
    },
  );
  const headers = authorization === undefined ? undefined : { authorization };
  return {
    updates: createClient(UpdateService, transport),
    health: createClient(Health, transport),
    headers,
  };
}

async function code(call: Promise<unknown>): Promise<Code | "ok"> {
  try {
    await call;
    return "ok";
  } catch (error) {
    return (error as ConnectError).code;
  }
}

describe("the auth interceptor", () => {
  it("accepts the configured key as a Bearer token and as the original's APIKey header", async () => {
    for (const scheme of ["Bearer", "APIKey", "apikey"]) {
      const { updates, headers } = clients({ apiKey: key }, `${scheme} ${key}`);
      const { update } = await updates.update({}, { headers });
      expect(update?.requester).toBe("api-key");
    }
  });

  it("refuses a token that merely starts with the key (the original accepted it)", async () => {
    const { updates, headers } = clients({ apiKey: key }, `Bearer ${key}extra`);
    expect(await code(updates.update({}, { headers }))).toBe(Code.Unauthenticated);
  });

  it("refuses a missing or malformed credential with UNAUTHENTICATED, without echoing it", async () => {
    const missing = clients({ apiKey: key });
    expect(await code(missing.updates.listTargets({}))).toBe(Code.Unauthenticated);
    const malformed = clients({ apiKey: key }, "Basic c2VjcmV0LXBhc3N3b3Jk");
    const error = await malformed.updates.listTargets({}, { headers: malformed.headers }).catch((e: ConnectError) => e);
    expect((error as ConnectError).code).toBe(Code.Unauthenticated);
    expect((error as ConnectError).message).not.toContain("c2VjcmV0");
  });

  it("keeps health open without credentials", async () => {
    const { health } = clients({ apiKey: key });
    expect(await code(health.check({}))).toBe("ok");
  });

  it("refuses mutating RPCs when no credential is configured and demo mode is off, but allows reads", async () => {
    const { updates } = clients({});
    expect(await code(updates.update({}))).toBe(Code.PermissionDenied);
    expect(await code(updates.listTargets({}))).toBe("ok");
  });

  it("lets anonymous callers mutate in insecure demo mode, recorded as anonymous", async () => {
    const { updates } = clients({ insecureDemo: true });
    const { update } = await updates.update({});
    expect(update?.requester).toBe("anonymous");
  });

  it("still checks a credential that is presented in demo mode", async () => {
    const { updates, headers } = clients({ apiKey: key, insecureDemo: true }, "Bearer wrong-key-0123456789");
    expect(await code(updates.update({}, { headers }))).toBe(Code.Unauthenticated);
  });
});
