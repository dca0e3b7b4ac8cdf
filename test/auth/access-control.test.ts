import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAccessControl } from "../../src/auth/access-control.js";
import { accessScopeKey } from "../../src/auth/access-principal.js";
import { loadAccessControlConfig } from "../../src/auth/load-access-control-config.js";
import { updateFinder } from "../../src/auth/rpc-authorization.js";
import { translateErrors } from "../../src/api/connect-error.js";
import { principalKey } from "../../src/api/principal.js";
import { updateToProto } from "../../src/api/to-proto.js";
import { createUpdateService } from "../../src/api/update-service.js";
import { UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";
import { createHarness } from "../core/use-cases/engine-harness.js";
import { type LocalIssuer, type SigningKey, signingKey, startLocalIssuer } from "./local-issuer.js";

const audience = "update-manager";
const webOld = "registry.example.com/shop/web:1.0";
const webNew = "registry.example.com/shop/web:2.0";

describe("access control from configuration, with a GitLab CI token", () => {
  let issuer: LocalIssuer;
  let key: SigningKey;

  beforeEach(async () => {
    issuer = await startLocalIssuer();
    key = await signingKey("ES256", "gitlab-1");
    issuer.published = [key];
  });
  afterEach(async () => {
    await issuer.close();
  });

  function setup() {
    const h = createHarness();
    h.add({ kind: "Deployment", namespace: "shop", name: "web", classifier: "shop", containers: [{ name: "app", image: webOld }] });
    const config = loadAccessControlConfig(
      { UPDATE_MANAGER_OIDC_CONFIG_FILE: "/oidc.yaml" },
      () => `issuers:
  - name: gitlab
    issuer: ${issuer.url}
    audience: ${audience}
    rules:
      - name: shop-protected
        claims: { project_id: 42, ref_protected: true }
        rpcs: [Update, GetUpdate, WatchUpdate]
        classifiers: [shop]
        namespaces: [shop]
        repositories: [registry.example.com/shop/*]
`,
    );
    const audit: Record<string, unknown>[] = [];
    const service = createUpdateService(h.manager);
    const transport = createRouterTransport(
      (router) =>
        router.service(UpdateService, {
          ...service,
          update: (req, ctx) =>
            translateErrors(async () => ({
              update: updateToProto(
                await h.manager.startUpdate(
                  { image: req.image, classifier: req.classifier },
                  { requester: ctx.values.get(principalKey).name, scope: ctx.values.get(accessScopeKey) },
                ),
              ),
            })),
        }),
      {
        router: {
          interceptors: [
            createAccessControl({
              config,
              fullScopeKey: "um_full_0123456789abcdef0123456789",
              clock: h.clock,
              audit: { info: (fields) => audit.push(fields) },
              findUpdate: updateFinder(h.manager.getUpdate),
            }),
          ],
        },
      },
    );
    return { h, audit, client: createClient(UpdateService, transport) };
  }

  const token = (claims: Record<string, unknown>, now: number) =>
    issuer.sign(key, {
      iss: issuer.url,
      aud: audience,
      sub: "project_path:shop/web:ref_type:branch:ref:main",
      project_id: "42",
      project_path: "shop/web",
      ref: "main",
      ref_protected: "true",
      iat: now,
      exp: now + 300,
      ...claims,
    });

  it("records the token's stable subject as the requester and audits the claims the rule used", async () => {
    const { h, audit, client } = setup();
    const now = h.clock.now().getTime() / 1000;
    const headers = { authorization: `Bearer ${await token({}, now)}` };
    const { update } = await client.update({ image: webNew, classifier: "shop" }, { headers });
    expect(update?.requester).toBe("gitlab:project_path:shop/web:ref_type:branch:ref:main");
    expect((await h.settle(update!.id)).state).toBe("succeeded");
    expect(audit.at(-1)).toMatchObject({
      audit: true,
      principal: "gitlab:project_path:shop/web:ref_type:branch:ref:main",
      principalKind: "oidc",
      rules: ["shop-protected"],
      claims: { iss: issuer.url, sub: "project_path:shop/web:ref_type:branch:ref:main", project_id: "42", ref_protected: "true" },
      method: "Update",
      decision: "allowed",
    });
    expect(JSON.stringify(audit)).not.toContain(headers.authorization.slice(7, 40));
  });

  it("refuses an unprotected branch's token with PERMISSION_DENIED naming the claims, and a bad token with UNAUTHENTICATED", async () => {
    const { h, audit, client } = setup();
    const now = h.clock.now().getTime() / 1000;
    const unprotected = await token({ ref: "feature", ref_protected: "false" }, now);
    const error = ConnectError.from(
      await client.update({ image: webNew, classifier: "shop" }, { headers: { authorization: `Bearer ${unprotected}` } }).catch((e) => e),
    );
    expect(error.code).toBe(Code.PermissionDenied);
    expect(error.rawMessage).toContain('ref_protected="false"');
    expect(audit.at(-1)).toMatchObject({ decision: "denied", reason: "PERMISSION_DENIED", method: "Update" });

    const expired = await token({ iat: now - 900, exp: now - 600 }, now);
    const stale = ConnectError.from(
      await client.update({ image: webNew, classifier: "shop" }, { headers: { authorization: `Bearer ${expired}` } }).catch((e) => e),
    );
    expect(stale.code).toBe(Code.Unauthenticated);
    expect(stale.rawMessage).not.toContain(expired.slice(0, 30));
    expect(h.cluster.writes()).toEqual([]);
  });
});
