import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { createAccessControlInterceptor } from "../../src/auth/access-control-interceptor.js";
import { hashApiKeyHex } from "../../src/auth/api-key-hash.js";
import { parseApiKeys } from "../../src/auth/api-keys-file.js";
import { createAuthenticator } from "../../src/auth/authenticator.js";
import { updateFinder } from "../../src/auth/rpc-authorization.js";
import { registerUpdateService } from "../../src/api/update-service.js";
import { createMemoryFreezeStore } from "../../src/store/memory/memory-freeze-store.js";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { UpdateState } from "../../gen/updatemanager/v1/update_pb.js";
import { UpdateService, type WatchUpdateResponse } from "../../gen/updatemanager/v1/update_service_pb.js";
import { createHarness } from "../core/use-cases/engine-harness.js";

const image = (tag: string) => `registry.example.com/shop/web:${tag}`;
const keys = {
  ci: "um_ci_00000000000000000000000000000001",
  alice: "um_alice_000000000000000000000000000002",
  bob: "um_bob_00000000000000000000000000000003",
  legacyLead: "um_legacy_0000000000000000000000000004",
  reader: "um_reader_0000000000000000000000000005",
  ops: "um_ops_00000000000000000000000000000006",
  shopOps: "um_shopops_000000000000000000000000007",
};
const everything = `classifiers: "*"\n    namespaces: "*"\n    repositories: "*"`;
const keysDocument = `
keys:
  - name: ci
    sha256: ${hashApiKeyHex(keys.ci)}
    rpcs: [write, read, approve]
    ${everything}
  - name: alice
    sha256: ${hashApiKeyHex(keys.alice)}
    rpcs: [approve, read]
    classifiers: [shop]
    namespaces: "*"
    repositories: "*"
  - name: bob
    sha256: ${hashApiKeyHex(keys.bob)}
    rpcs: [approve, read]
    ${everything}
  - name: legacy-lead
    sha256: ${hashApiKeyHex(keys.legacyLead)}
    rpcs: [approve]
    classifiers: "*"
    namespaces: [legacy]
    repositories: "*"
  - name: reader
    sha256: ${hashApiKeyHex(keys.reader)}
    rpcs: [read]
    ${everything}
  - name: ops
    sha256: ${hashApiKeyHex(keys.ops)}
    rpcs: [freeze, read]
    ${everything}
  - name: shop-ops
    sha256: ${hashApiKeyHex(keys.shopOps)}
    rpcs: [freeze]
    classifiers: [shop]
    namespaces: "*"
    repositories: "*"
`;

/** The UpdateService behind the real access-control interceptor, on the engine with a two-approver policy for classifier shop. */
function setup() {
  const freeze = createMemoryFreezeStore();
  const h = createHarness({
    engine: { approvalPolicies: [{ name: "production", classifiers: ["shop"], approvers: 2, deadlineMs: 3_600_000 }] },
    wrap: (deps) => ({ ...deps, freeze }),
  });
  h.add({ kind: "Deployment", namespace: "shop", name: "web", classifier: "shop", containers: [{ name: "app", image: image("1") }] });
  h.add({ kind: "Deployment", namespace: "other", name: "web", classifier: "other", containers: [{ name: "app", image: image("1") }] });
  const parsed = parseApiKeys(keysDocument, "keys.yaml");
  if ("problems" in parsed) throw new Error(parsed.problems.join("\n"));
  const audit: Record<string, unknown>[] = [];
  const transport = createRouterTransport((router) => registerUpdateService(router, h.manager), {
    router: {
      interceptors: [
        createAccessControlInterceptor({
          authenticate: createAuthenticator({ keys: parsed.keys }),
          audit: { info: (fields) => audit.push(fields) },
          findUpdate: updateFinder(h.manager.getUpdate),
        }),
      ],
    },
  });
  const as = (who: keyof typeof keys) => ({ headers: { authorization: `Bearer ${keys[who]}` } });
  return { h, audit, client: createClient(UpdateService, transport), as };
}

async function failure(call: Promise<unknown>): Promise<{ code: Code; reason: string; message: string }> {
  try {
    await call;
  } catch (error) {
    const connect = ConnectError.from(error);
    return { code: connect.code, reason: connect.findDetails(ErrorInfoSchema)[0]?.reason ?? "", message: connect.message };
  }
  throw new Error("expected the call to fail");
}

describe("ApproveUpdate and RejectUpdate", () => {
  it("approves with two distinct principals holding the approve scope, streams and audits each decision", async () => {
    const { h, client, as, audit } = setup();
    const { update } = await client.update({ image: image("2"), classifier: "shop" }, as("ci"));
    expect(update?.state).toBe(UpdateState.WAITING_FOR_APPROVAL);
    expect(update?.requiredApprovals).toBe(2);
    expect(update?.approvalPolicy).toBe('policy "production"');
    const id = update!.id;

    const messages: WatchUpdateResponse[] = [];
    const watching = (async () => {
      for await (const message of client.watchUpdate({ updateId: id }, as("reader"))) messages.push(message);
    })();

    // The requester may not approve its own update (even holding the approve scope); a key without the approve
    // scope may not approve at all.
    expect(await failure(client.approveUpdate({ updateId: id }, as("ci")))).toMatchObject({ code: Code.PermissionDenied, reason: "OWN_UPDATE" });
    expect(await failure(client.approveUpdate({ updateId: id }, as("reader")))).toMatchObject({ code: Code.PermissionDenied });
    // An approver whose scope does not cover the update is refused too.
    expect(await failure(client.approveUpdate({ updateId: id }, as("legacyLead")))).toMatchObject({ code: Code.PermissionDenied });

    const first = await client.approveUpdate({ updateId: id }, as("alice"));
    expect(first.update?.approvers).toEqual(["alice"]);
    // The same approver again: idempotent, counted once.
    expect((await client.approveUpdate({ updateId: id }, as("alice"))).update?.approvers).toEqual(["alice"]);
    const second = await client.approveUpdate({ updateId: id }, as("bob"));
    expect(second.update?.approvers).toEqual(["alice", "bob"]);
    expect(second.update?.state).not.toBe(UpdateState.WAITING_FOR_APPROVAL);
    await h.settle(id);
    await watching;
    const kinds = messages.flatMap((message) => (message.message.case === "event" ? [message.message.value.kind.case] : []));
    expect(kinds.slice(0, 4)).toEqual(["planned", "approvalRequired", "approvalGranted", "approvalGranted"]);
    expect(kinds.at(-1)).toBe("finished");
    expect((await client.getUpdate({ updateId: id }, as("reader"))).update?.state).toBe(UpdateState.SUCCEEDED);

    const decisions = audit.filter((line) => line["method"] === "ApproveUpdate");
    expect(decisions.map((line) => [line["principal"], line["decision"], line["updateId"]])).toEqual([
      ["ci", "denied", id],
      ["reader", "denied", id],
      ["legacy-lead", "denied", id],
      ["alice", "allowed", id],
      ["alice", "allowed", id],
      ["bob", "allowed", id],
    ]);
    expect(decisions.map((line) => line["reason"]).slice(0, 3)).toEqual(["OWN_UPDATE", "PERMISSION_DENIED", "PERMISSION_DENIED"]);
    expect(decisions[3]?.["detail"]).toBe("approval 1 of 2; update waiting-for-approval");
  });

  it("answers NOT_FOUND for an unknown update and FAILED_PRECONDITION for one that does not wait", async () => {
    const { h, client, as } = setup();
    expect(await failure(client.approveUpdate({ updateId: "00000000-0000-4000-8000-999999999999" }, as("bob")))).toMatchObject({
      code: Code.NotFound,
      reason: "UPDATE_NOT_FOUND",
    });
    const { update } = await client.update({ image: image("2"), classifier: "other" }, as("ci"));
    expect(update?.state).toBe(UpdateState.PENDING);
    expect(await failure(client.approveUpdate({ updateId: update!.id }, as("bob")))).toMatchObject({
      code: Code.FailedPrecondition,
      reason: "NOT_WAITING_FOR_APPROVAL",
    });
    await h.settle(update!.id);
  });

  it("rejects: the update ends FAILED with APPROVAL_REJECTED and the reason, audited", async () => {
    const { client, as, audit } = setup();
    const { update } = await client.update({ image: image("2"), classifier: "shop" }, as("ci"));
    const { update: rejected } = await client.rejectUpdate({ updateId: update!.id, reason: "not during the sale" }, as("bob"));
    expect(rejected?.state).toBe(UpdateState.FAILED);
    expect(rejected?.rejectedBy).toBe("bob");
    expect(rejected?.reason).toMatch(/^APPROVAL_REJECTED: rejected by bob: not during the sale/);
    expect(audit.find((line) => line["method"] === "RejectUpdate")).toMatchObject({
      principal: "bob",
      decision: "allowed",
      detail: "rejected: not during the sale; update failed",
    });
  });
});

describe("Freeze, Unfreeze and GetFreeze", () => {
  it("need the freeze scope without restrictions; while frozen new updates are refused with FROZEN", async () => {
    const { h, client, as, audit } = setup();
    expect((await client.getFreeze({}, as("reader"))).freeze?.frozen).toBe(false);
    expect(await failure(client.freeze({ reason: "x" }, as("ci")))).toMatchObject({ code: Code.PermissionDenied });
    // Restricted to one classifier: the freeze holds every update, so it needs a grant restricted in nothing.
    expect(await failure(client.freeze({ reason: "x" }, as("shopOps")))).toMatchObject({ code: Code.PermissionDenied });

    const { freeze } = await client.freeze({ reason: "release weekend" }, as("ops"));
    expect(freeze).toMatchObject({ frozen: true, reason: "release weekend", principal: "ops" });
    expect((await client.getFreeze({}, as("reader"))).freeze?.frozen).toBe(true);
    const refused = await failure(client.update({ image: image("2"), classifier: "other" }, as("ci")));
    expect(refused).toMatchObject({ code: Code.FailedPrecondition, reason: "FROZEN" });
    expect(refused.message).toContain("release weekend");

    expect((await client.unfreeze({}, as("ops"))).freeze?.frozen).toBe(false);
    const { update } = await client.update({ image: image("2"), classifier: "other" }, as("ci"));
    await h.settle(update!.id);
    expect(audit.filter((line) => line["method"] === "Freeze").map((line) => [line["principal"], line["decision"]])).toEqual([
      ["ci", "denied"],
      ["shop-ops", "denied"],
      ["ops", "allowed"],
    ]);
    expect(audit.find((line) => line["method"] === "Freeze" && line["decision"] === "allowed")?.["detail"]).toBe(
      "frozen by ops: release weekend",
    );
    expect(audit.some((line) => line["method"] === "Unfreeze" && line["principal"] === "ops")).toBe(true);
  });
});
