import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { createAccessControlInterceptor, type AnonymousAccess } from "../../src/auth/access-control-interceptor.js";
import { accessScopeKey } from "../../src/auth/access-principal.js";
import { hashApiKeyHex } from "../../src/auth/api-key-hash.js";
import { parseApiKeys } from "../../src/auth/api-keys-file.js";
import { createAuthenticator } from "../../src/auth/authenticator.js";
import { createRateLimiter, type RateLimiter } from "../../src/auth/rate-limiter.js";
import { updateFinder } from "../../src/auth/rpc-authorization.js";
import { translateErrors } from "../../src/api/connect-error.js";
import { principalKey } from "../../src/api/principal.js";
import { updateToProto } from "../../src/api/to-proto.js";
import { createUpdateService } from "../../src/api/update-service.js";
import { createReflectionService } from "../../src/server/reflection-service.js";
import { ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { ServerReflection } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";
import { NodePlanService } from "../../gen/updatemanager/v1/node_plan_service_pb.js";
import { createNodePlanService } from "../../src/api/node-plan-service.js";
import { createFakeNodePlanReads } from "../core/use-cases/node-plans/fake-node-plan-reads.js";
import { createFakeNodePlans } from "../core/use-cases/node-plans/fake-node-plans.js";
import { k3osExample } from "../support/node-plan-examples.js";
import { createHarness } from "../core/use-cases/engine-harness.js";

const shopKey = "um_shop_6f1d0b5e3a9c4d2e8f7a1b0c9d8e7f6a";
const dashboardKey = "um_dash_0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const fullKey = "um_full_fedcba98765432100123456789abcdef";
const plansKey = "um_plan_11223344556677889900aabbccddeeff";
const teamReadKey = "um_team_ffeeddccbbaa00998877665544332211";
const webOld = "registry.example.com/shop/web:1.0";
const webNew = "registry.example.com/shop/web:2.0";

const keysDocument = `
keys:
  - name: shop-ci
    sha256: ${hashApiKeyHex(shopKey)}
    rpcs: [Update, GetUpdate, WatchUpdate, CancelUpdate, ListTargets, ListUpdates]
    classifiers: [shop]
    namespaces: [shop]
    repositories: [registry.example.com/shop/*]
  - name: dashboard
    sha256: ${hashApiKeyHex(dashboardKey)}
    rpcs: [read]
    classifiers: "*"
    namespaces: "*"
    repositories: "*"
  - name: node-ops
    sha256: ${hashApiKeyHex(plansKey)}
    rpcs: [plans]
    classifiers: "*"
    namespaces: "*"
    repositories: "*"
  - name: team-read
    sha256: ${hashApiKeyHex(teamReadKey)}
    rpcs: [read]
    classifiers: [shop]
    namespaces: [shop]
    repositories: "*"
`;

interface SetupOptions {
  anonymous?: AnonymousAccess;
  reflection?: "open" | "authenticated";
  rateLimiter?: (clock: ReturnType<typeof createHarness>["clock"]) => RateLimiter;
  noKeys?: boolean;
}

/** The real engine (simulated cluster) behind the real UpdateService, Update passing the scope as the lead will wire it. */
function setup(options: SetupOptions = {}) {
  const h = createHarness();
  h.add({ kind: "Deployment", namespace: "shop", name: "web", classifier: "shop", containers: [{ name: "app", image: webOld }] });
  h.add({ kind: "Deployment", namespace: "legacy", name: "web", classifier: "legacy", containers: [{ name: "app", image: webOld }] });
  h.add({ kind: "Deployment", namespace: "blog", name: "blog", classifier: "blog", containers: [{ name: "app", image: "registry.example.com/blog/app:1" }] });
  const parsed = parseApiKeys(keysDocument, "keys.yaml");
  if ("problems" in parsed) throw new Error(parsed.problems.join("\n"));
  const audit: Record<string, unknown>[] = [];
  const service = createUpdateService(h.manager);
  const fakePlans = createFakeNodePlans(h.clock);
  fakePlans.applyPlan("k3os-latest", k3osExample().spec);
  const plans = createFakeNodePlanReads(fakePlans);
  const transport = createRouterTransport(
    (router) => {
      router.service(UpdateService, {
        ...service,
        update: (req, ctx) =>
          translateErrors(async () => {
            const record = await h.manager.startUpdate(
              { image: req.image, classifier: req.classifier, dryRun: req.dryRun },
              { requester: ctx.values.get(principalKey).name, scope: ctx.values.get(accessScopeKey) },
            );
            return { update: updateToProto(record) };
          }),
      });
      router.service(NodePlanService, createNodePlanService({ reads: plans.reads, keyPrefix: "update-manager.io", clock: h.clock }));
      router.service(Health, { check: () => ({ status: 1 }) });
      createReflectionService({ services: [UpdateService] }).register(router);
    },
    {
      router: {
        interceptors: [
          createAccessControlInterceptor({
            authenticate: createAuthenticator(options.noKeys ? {} : { keys: parsed.keys, fullScopeKey: fullKey }),
            anonymous: options.anonymous ?? "none",
            reflection: options.reflection ?? "open",
            ...(options.rateLimiter ? { rateLimiter: options.rateLimiter(h.clock) } : {}),
            audit: { info: (fields) => audit.push(fields) },
            findUpdate: updateFinder(h.manager.getUpdate),
          }),
        ],
      },
    },
  );
  const as = (scheme: string, key: string) => ({ headers: { authorization: `${scheme} ${key}` } });
  return {
    h,
    audit,
    client: createClient(UpdateService, transport),
    plans: createClient(NodePlanService, transport),
    health: createClient(Health, transport),
    reflection: createClient(ServerReflection, transport),
    shop: as("Bearer", shopKey),
    dashboard: as("Bearer", dashboardKey),
    full: as("Bearer", fullKey),
    nodeOps: as("Bearer", plansKey),
    teamRead: as("Bearer", teamReadKey),
    as,
  };
}

async function denial(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("expected the call to fail");
}

function errorInfo(error: ConnectError) {
  return error.findDetails(ErrorInfoSchema)[0];
}

describe("access control: keys", () => {
  it("accepts a named key as Bearer and as the original's APIKey, recording its name as the requester", async () => {
    const { client, as } = setup();
    for (const scheme of ["Bearer", "APIKey", "apikey"]) {
      const { update } = await client.update({ image: webNew, classifier: "shop", dryRun: true }, as(scheme, shopKey));
      expect(update?.requester).toBe("shop-ci");
    }
    const { update } = await client.update({ image: webNew, classifier: "shop", dryRun: true }, as("Bearer", fullKey));
    expect(update?.requester).toBe("api-key");
  });

  it("refuses a prefix, an extension or a case variant of a key with UNAUTHENTICATED, never quoting it", async () => {
    const { client, as, audit } = setup();
    for (const presented of [shopKey.slice(0, -1), `${shopKey}0`, shopKey.toUpperCase(), "x"]) {
      const error = await denial(client.listTargets({ classifier: "shop" }, as("Bearer", presented)));
      expect(error.code).toBe(Code.Unauthenticated);
      expect(error.message).not.toContain(presented);
    }
    const missing = await denial(client.listTargets({ classifier: "shop" }));
    expect(missing.code).toBe(Code.Unauthenticated);
    expect(missing.rawMessage).toContain("Authorization: Bearer");
    const malformed = await denial(client.listTargets({}, { headers: { authorization: `Basic ${shopKey}` } }));
    expect(malformed.code).toBe(Code.Unauthenticated);
    expect(malformed.message).not.toContain(shopKey);
    expect(JSON.stringify(audit)).not.toContain(shopKey.slice(8, 24));
    expect(audit.every((line) => line["decision"] === "denied" && line["principal"] === undefined)).toBe(true);
  });

  it("limits a key to its RPCs: the dashboard key reads everything but cannot update", async () => {
    const { client, dashboard, h } = setup();
    const { targets } = await client.listTargets({}, dashboard);
    expect(targets.map((target) => target.workload?.namespace).sort()).toEqual(["blog", "legacy", "shop"]);
    const error = await denial(client.update({ image: webNew, classifier: "shop" }, dashboard));
    expect(error.code).toBe(Code.PermissionDenied);
    expect(error.rawMessage).toContain("dashboard may not call Update");
    expect(errorInfo(error)?.metadata).toMatchObject({ denied: "rpc:Update" });
    expect((await h.store.list({ pageSize: 10 })).items).toEqual([]);
  });

  it("limits a key to its classifiers before the call runs", async () => {
    const { client, shop, h } = setup();
    const error = await denial(client.update({ image: "registry.example.com/blog/app:2", classifier: "blog" }, shop));
    expect(error.code).toBe(Code.PermissionDenied);
    expect(errorInfo(error)?.metadata["denied"]).toBe("classifier:blog,repository:registry.example.com/blog/app");
    expect(h.cluster.writes()).toEqual([]);
    const listing = await denial(client.listTargets({ classifier: "blog" }, shop));
    expect(errorInfo(listing)?.metadata["denied"]).toBe("classifier:blog");
  });

  it("filters ListTargets and ListUpdates without a classifier to what the key may see", async () => {
    const { client, shop, full, h } = setup();
    const { targets } = await client.listTargets({}, shop);
    expect(targets.map((target) => `${target.workload?.namespace}/${target.workload?.name}`)).toEqual(["shop/web"]);
    const own = await client.update({ image: webNew, classifier: "shop" }, shop);
    await h.settle(own.update!.id);
    const other = await client.update({ image: webNew, classifier: "legacy" }, full);
    await h.settle(other.update!.id);
    expect((await client.listUpdates({}, full)).updates).toHaveLength(2);
    expect((await client.listUpdates({}, shop)).updates.map((update) => update.id)).toEqual([own.update!.id]);
  });

  it("lets the use case refuse namespaces outside the key's scope: nothing written, audited as denied", async () => {
    const { client, shop, h, audit } = setup();
    // The legacy Deployment also uses shop/web; opt it in with the shop classifier.
    h.add({ kind: "Deployment", namespace: "legacy", name: "old-web", classifier: "shop", containers: [{ name: "app", image: webOld }] });
    const error = await denial(client.update({ image: webNew, classifier: "shop" }, shop));
    expect(error.code).toBe(Code.PermissionDenied);
    expect(error.rawMessage).toContain('namespace "legacy"');
    expect(errorInfo(error)?.metadata["denied"]).toBe("namespace:legacy");
    await h.clock.advanceAsync(10_000);
    expect(h.cluster.writes()).toEqual([]);
    expect((await h.store.list({ pageSize: 10 })).items).toEqual([]);
    expect(audit.at(-1)).toMatchObject({
      audit: true,
      principal: "shop-ci",
      principalKind: "api-key",
      method: "Update",
      classifier: "shop",
      image: webNew,
      decision: "denied",
      reason: "PERMISSION_DENIED",
      denied: "namespace:legacy",
    });
  });

  it("lets a key get, watch and cancel only updates in its scope", async () => {
    const { client, shop, full, h } = setup();
    const mine = (await client.update({ image: webNew, classifier: "shop" }, shop)).update!;
    const theirs = (await client.update({ image: webNew, classifier: "legacy" }, full)).update!;
    expect((await client.getUpdate({ updateId: mine.id }, shop)).update?.id).toBe(mine.id);
    const get = await denial(client.getUpdate({ updateId: theirs.id }, shop));
    expect(get.code).toBe(Code.PermissionDenied);
    expect(errorInfo(get)?.metadata["denied"]).toContain("classifier:legacy");
    const watch = await denial(
      (async () => {
        for await (const _ of client.watchUpdate({ updateId: theirs.id }, shop)) break;
      })(),
    );
    expect(watch.code).toBe(Code.PermissionDenied);
    const cancel = await denial(client.cancelUpdate({ updateId: theirs.id, reason: "mine now" }, shop));
    expect(cancel.code).toBe(Code.PermissionDenied);
    expect((await h.store.get(theirs.id))?.cancelRequested).toBe(false);
    // Its own update streams normally; an unknown id is NOT_FOUND, as for anyone.
    for await (const item of client.watchUpdate({ updateId: mine.id }, shop)) {
      expect(item.message.case).toBe("event");
      break;
    }
    expect((await denial(client.getUpdate({ updateId: "00000000-0000-4000-8000-999999999999" }, shop))).code).toBe(Code.NotFound);
  });

  it("keeps health open, and reflection open or authenticated as configured", async () => {
    const reflect = async (client: ReturnType<typeof setup>["reflection"], headers?: { headers: Record<string, string> }) => {
      async function* send() {
        yield { messageRequest: { case: "listServices" as const, value: "" } };
      }
      for await (const response of client.serverReflectionInfo(send(), headers)) return response.messageResponse.case;
      return undefined;
    };
    const open = setup();
    expect((await open.health.check({})).status).toBe(1);
    expect(await reflect(open.reflection)).toBe("listServicesResponse");
    const closed = setup({ reflection: "authenticated" });
    expect((await closed.health.check({})).status).toBe(1);
    expect((await denial(reflect(closed.reflection))).code).toBe(Code.Unauthenticated);
    expect(await reflect(closed.reflection, closed.dashboard)).toBe("listServicesResponse");
  });

  it("lets callers without a credential do nothing, read, or everything, as configured", async () => {
    expect((await denial(setup({ anonymous: "none" }).client.listTargets({}))).code).toBe(Code.Unauthenticated);

    const read = setup({ anonymous: "read", noKeys: true });
    expect((await read.client.listTargets({})).targets).toHaveLength(3);
    expect((await denial(read.client.update({ image: webNew, classifier: "shop" }))).code).toBe(Code.PermissionDenied);
    // Presenting a credential when none is configured is an error, not anonymity.
    expect((await denial(read.client.listTargets({}, read.shop))).code).toBe(Code.Unauthenticated);

    const demo = setup({ anonymous: "full" });
    const { update } = await demo.client.update({ image: webNew, classifier: "shop", dryRun: true });
    expect(update?.requester).toBe("anonymous");
    expect((await denial(demo.client.listTargets({}, demo.as("Bearer", "wrong")))).code).toBe(Code.Unauthenticated);
  });
});

describe("access control: node plans", () => {
  it("lets the read and plans scopes read and watch plans; a scoped or plan-less key may not", async () => {
    const { plans, dashboard, nodeOps, teamRead, shop, client } = setup();
    expect((await plans.listNodePlans({}, dashboard)).plans.map((plan) => plan.name)).toEqual(["k3os-latest"]);
    expect((await plans.getNodePlan({ name: "k3os-latest" }, nodeOps)).plan?.name).toBe("k3os-latest");
    // The plans scope reads plans only.
    const updates = await denial(client.listTargets({}, nodeOps));
    expect(errorInfo(updates)?.metadata).toMatchObject({ denied: "rpc:ListTargets" });
    // A key without the RPC, and a read key restricted to a namespace (plans are cluster-wide).
    const ungranted = await denial(plans.listNodePlans({}, shop));
    expect(ungranted.code).toBe(Code.PermissionDenied);
    expect(errorInfo(ungranted)?.metadata).toMatchObject({ denied: "rpc:ListNodePlans" });
    const scoped = await denial(plans.previewNodePlan({ name: "k3os-latest" }, teamRead));
    expect(scoped.code).toBe(Code.PermissionDenied);
    expect(scoped.rawMessage).toContain("cluster-wide");
  });

  it("authorises WatchNodePlan before the stream starts", async () => {
    const { plans, shop, nodeOps } = setup();
    const watch = async (headers: { headers: Record<string, string> }) => {
      for await (const item of plans.watchNodePlan({ name: "k3os-latest", untilSettled: true }, headers)) return item;
      return undefined;
    };
    expect((await denial(watch(shop))).code).toBe(Code.PermissionDenied);
    // Allowed: the service itself answers (an unknown plan).
    const missing = async () => {
      for await (const item of plans.watchNodePlan({ name: "nope" }, nodeOps)) return item;
      return undefined;
    };
    const answered = await denial(missing());
    expect(answered.code).toBe(Code.NotFound);
    expect(errorInfo(answered)?.reason).toBe("PLAN_NOT_FOUND");
  });

  it("lets anonymous callers read plans only where anonymous reads are allowed", async () => {
    expect((await denial(setup({ anonymous: "none" }).plans.listNodePlans({}))).code).toBe(Code.Unauthenticated);
    expect((await setup({ anonymous: "read", noKeys: true }).plans.listNodePlans({})).plans).toHaveLength(1);
  });
});

describe("access control: rate limits", () => {
  it("answers RESOURCE_EXHAUSTED (RATE_LIMITED) with RetryInfo beyond the burst, per principal and class", async () => {
    const { client, shop, dashboard, h, audit } = setup({ rateLimiter: (clock) => createRateLimiter({ clock }) });
    const dryRun = () => client.update({ image: webNew, classifier: "shop", dryRun: true }, shop);
    for (let i = 0; i < 5; i++) await dryRun();
    const error = await denial(dryRun());
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(errorInfo(error)?.reason).toBe("RATE_LIMITED");
    // 10 a minute: the next token comes after 6 s.
    const retry = error.findDetails(RetryInfoSchema)[0];
    expect(Number(retry?.retryDelay?.seconds)).toBe(6);
    expect(audit.at(-1)).toMatchObject({ principal: "shop-ci", decision: "denied", reason: "RATE_LIMITED" });

    // Reads have their own bucket; other principals their own.
    await client.listTargets({ classifier: "shop" }, shop);
    await client.listTargets({}, dashboard);

    h.clock.advance(5_999);
    expect((await denial(dryRun())).code).toBe(Code.ResourceExhausted);
    h.clock.advance(1);
    await expect(dryRun()).resolves.toBeDefined();
  });
});

describe("access control: audit", () => {
  it("writes one structured line per call: who, what and the decision, never the key", async () => {
    const { client, shop, audit } = setup();
    await client.update({ image: webNew, classifier: "shop", dryRun: true }, shop);
    await denial(client.update({ image: webNew, classifier: "blog" }, shop));
    expect(audit).toHaveLength(2);
    expect(audit[0]).toEqual({
      audit: true,
      principal: "shop-ci",
      principalKind: "api-key",
      service: "updatemanager.v1.UpdateService",
      method: "Update",
      classifier: "shop",
      image: webNew,
      decision: "allowed",
      reason: "OK",
    });
    expect(audit[1]).toMatchObject({ principal: "shop-ci", decision: "denied", reason: "PERMISSION_DENIED", denied: "classifier:blog" });
    const text = JSON.stringify(audit);
    expect(text).not.toContain(shopKey);
    expect(text).not.toContain(hashApiKeyHex(shopKey));
  });
});
