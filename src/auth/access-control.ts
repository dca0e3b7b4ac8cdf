import type { Interceptor } from "@connectrpc/connect";
import type { Clock } from "../core/ports/clock.js";
import type { CountFailure } from "../core/ports/failure-counter.js";
import type { CoreLogger } from "../core/ports/logger.js";
import { createAccessControlInterceptor } from "./access-control-interceptor.js";
import type { AuditLogger } from "./audit-log.js";
import { createAuthenticator } from "./authenticator.js";
import type { AccessControlConfig } from "./load-access-control-config.js";
import { createOidcVerifier } from "./oidc-verifier.js";
import { createRateLimiter } from "./rate-limiter.js";
import type { FindUpdate } from "./rpc-authorization.js";

export interface AccessControlDeps {
  readonly config: AccessControlConfig;
  /** UPDATE_MANAGER_API_KEY (src/config's `apiKey`): every permission, principal `api-key`. Default: none. */
  readonly fullScopeKey?: string;
  /** UPDATE_MANAGER_INSECURE_DEMO: callers without a credential may do everything. Default: false. */
  readonly insecureDemo?: boolean;
  readonly clock: Clock;
  readonly audit: AuditLogger;
  /** `updateFinder(manager.getUpdate)`; without it restricted callers cannot get, watch or cancel updates. */
  readonly findUpdate?: FindUpdate;
  /** For the issuers' keys. Default: the global fetch. */
  readonly fetch?: typeof fetch;
  /** Where failed refreshes of the issuers' keys are reported. Default: silentLogger. */
  readonly logger?: CoreLogger;
  /** Counts failed refreshes of the issuers' keys. Default: none. */
  readonly countFailure?: CountFailure;
}

/**
 * The access-control interceptor from the configuration. Callers without a credential may:
 * do everything in insecure demo mode; call the read-only RPCs when no credential of any kind is
 * configured (as before); nothing otherwise.
 *
 * @throws Error when UPDATE_MANAGER_API_KEY is also one of the named keys (which name would it record?).
 */
export function createAccessControl(deps: AccessControlDeps): Interceptor {
  const { config } = deps;
  const oidc =
    config.oidc === undefined
      ? undefined
      : createOidcVerifier({
          config: config.oidc,
          clock: deps.clock,
          ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
          ...(deps.logger === undefined ? {} : { logger: deps.logger }),
          ...(deps.countFailure === undefined ? {} : { countFailure: deps.countFailure }),
        });
  const authenticate = createAuthenticator({
    keys: config.keys,
    ...(deps.fullScopeKey === undefined ? {} : { fullScopeKey: deps.fullScopeKey }),
    ...(oidc === undefined ? {} : { oidc }),
  });
  const anyCredential = config.keys.length > 0 || config.oidc !== undefined || deps.fullScopeKey !== undefined;
  return createAccessControlInterceptor({
    authenticate,
    anonymous: deps.insecureDemo === true ? "full" : anyCredential ? "none" : "read",
    reflection: config.reflection,
    rateLimiter: createRateLimiter({ clock: deps.clock, writes: config.writeLimit, reads: config.readLimit }),
    audit: deps.audit,
    ...(deps.findUpdate === undefined ? {} : { findUpdate: deps.findUpdate }),
  });
}
