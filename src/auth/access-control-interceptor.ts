import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { createAsyncIterable } from "@connectrpc/connect/protocol";
import { DomainError } from "../core/domain/domain-error.js";
import { toConnectError } from "../api/connect-error.js";
import { principalKey } from "../api/principal.js";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { NodePlanService } from "../../gen/updatemanager/v1/node_plan_service_pb.js";
import { UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";
import { type AccessGrant, fullAccess } from "./access-grant.js";
import { type AccessPrincipal, accessPrincipalKey, accessScopeKey, auditDetailKey } from "./access-principal.js";
import { type AuditEntry, type AuditLogger, writeAudit } from "./audit-log.js";
import type { Authenticate } from "./authenticator.js";
import type { RateLimiter } from "./rate-limiter.js";
import { isWriteMethod, readMethods } from "./rpc-permissions.js";
import { authorizeCall, type CallFacts, callFacts, type FindUpdate, filterResponse } from "./rpc-authorization.js";

/** Who may call without a credential. */
export type AnonymousAccess = "none" | "read" | "full";

export interface AccessControlOptions {
  /** Establishes the caller from the Authorization header (createAuthenticator). */
  readonly authenticate: Authenticate;
  /**
   * Callers without a credential: "none" refuses them (UNAUTHENTICATED); "read" lets them call the
   * read-only RPCs (no credential configured at all); "full" lets them call everything (insecure
   * demo mode). A caller that presents a credential must present a valid one in every mode.
   * Default: "none".
   */
  readonly anonymous?: AnonymousAccess;
  /** Services anyone may call, unaudited (probes call them constantly). Default: grpc.health.v1.Health. */
  readonly openServices?: readonly string[];
  /** gRPC reflection: "open" to everyone, or "authenticated" (any valid credential). Default: "open". */
  readonly reflection?: "open" | "authenticated";
  /** Per-principal limits; RESOURCE_EXHAUSTED (RATE_LIMITED) with RetryInfo beyond them. Default: none. */
  readonly rateLimiter?: RateLimiter;
  /** Receives one `audit: true` line per UpdateService (and authenticated reflection) call. */
  readonly audit: AuditLogger;
  /**
   * Looks updates up, so that restricted callers may only get, watch or cancel updates in their
   * scope (wire `updateFinder(manager.getUpdate)`). Default: none, and restricted callers are
   * refused GetUpdate, WatchUpdate and CancelUpdate.
   */
  readonly findUpdate?: FindUpdate;
}

/** Both reflection versions grpcurl and friends use. */
export const reflectionServices: readonly string[] = ["grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"];

const anonymousName = "anonymous";
const readOnly: AccessGrant = { rpcs: readMethods, scope: {} };

/**
 * Authentication, authorisation, rate limiting and audit of every call, in one interceptor.
 *
 * 1. Open services (health) pass untouched.
 * 2. The caller is authenticated (an API key or a CI token; anonymous only as `anonymous` allows).
 *    UNAUTHENTICATED never quotes the credential.
 * 3. Its rate limit is taken: writes and reads have separate buckets. GetUpdate of an update the
 *    principal created takes nothing (pipelines poll their own update).
 * 4. The RPC and what the request names are authorised (`authorizeCall`); Update's namespaces are
 *    checked by the use case with the scope this puts in the context (`accessScopeKey`); list
 *    answers are filtered to the scope.
 * 5. One audit line records who, what and the decision, including denials by the use case.
 *
 * Sets `principalKey` (the requester recorded on updates), `accessPrincipalKey` and `accessScopeKey`.
 */
export function createAccessControlInterceptor(options: AccessControlOptions): Interceptor {
  const open = new Set(options.openServices ?? [Health.typeName]);
  const reflection = new Set(reflectionServices);
  const reflectionOpen = (options.reflection ?? "open") === "open";
  const anonymous = options.anonymous ?? "none";

  return (next) => async (req) => {
    const service = req.service.typeName;
    const method = req.method.name;
    if (open.has(service) || (reflectionOpen && reflection.has(service))) return next(req);

    // Server-streaming requests (WatchUpdate) arrive as a stream of one message: read it to authorise
    // it, and hand the handler the same messages. Bidirectional streams (reflection) are not read.
    let message: unknown;
    if (!req.stream) {
      message = req.message;
    } else if (req.method.methodKind === "server_streaming") {
      const messages: unknown[] = [];
      for await (const item of req.message) {
        messages.push(item);
        if (messages.length > 1) break;
      }
      message = messages[0];
      req = { ...req, message: createAsyncIterable(messages) } as typeof req;
    }
    const facts: CallFacts = service === UpdateService.typeName ? callFacts(message) : {};
    const audit = (principal: AccessPrincipal | undefined, rest: Pick<AuditEntry, "decision" | "reason" | "detail" | "denied">) =>
      writeAudit(options.audit, {
        ...(principal === undefined
          ? {}
          : { principal: principal.name, principalKind: principal.kind, claims: principal.claims, rules: principal.rules }),
        service,
        method,
        ...facts,
        ...rest,
      });

    let principal: AccessPrincipal | undefined;
    try {
      principal = await options.authenticate(req.header.get("authorization"));
      if (principal === undefined) {
        if (anonymous === "none") {
          throw new DomainError(
            "unauthenticated",
            "UNAUTHENTICATED",
            "missing credential: send `Authorization: Bearer <API key or CI identity token>`",
          );
        }
        principal = { name: anonymousName, kind: "anonymous", grants: [anonymous === "full" ? fullAccess : readOnly] };
      }
      // Polling one's own update (the original CLI GETs it once a second) spends no read budget.
      if (options.rateLimiter !== undefined && !(await pollsOwnUpdate(principal, method, message, options.findUpdate))) {
        const rateClass = isWriteMethod(method) ? "write" : "read";
        const decision = options.rateLimiter.take(principal.name, rateClass);
        if (!decision.allowed) {
          throw new DomainError(
            "resource-exhausted",
            "RATE_LIMITED",
            `${principal.name} is calling too often (${rateClass} RPCs); retry in ${Math.ceil(decision.retryAfterMs / 1000)} s`,
            { retryAfterMs: decision.retryAfterMs, metadata: { principal: principal.name } },
          );
        }
      }
      if (service === UpdateService.typeName || service === NodePlanService.typeName) {
        req.contextValues.set(accessScopeKey, await authorizeCall(principal, method, message, options.findUpdate));
      } else if (!reflection.has(service)) {
        throw new DomainError("permission-denied", "PERMISSION_DENIED", `${principal.name} may not call ${service}`, {
          metadata: { principal: principal.name, denied: `service:${service}` },
        });
      }
    } catch (error) {
      const denial = toConnectError(error);
      audit(principal, { decision: "denied", ...describe(denial) });
      throw denial;
    }

    req.contextValues.set(principalKey, { name: principal.name, authenticated: principal.kind !== "anonymous" });
    req.contextValues.set(accessPrincipalKey, principal);
    const scope = req.contextValues.get(accessScopeKey);
    try {
      const res = await next(req);
      if (!res.stream && scope !== undefined) filterResponse(scope, res.message);
      const detail = req.contextValues.get(auditDetailKey);
      audit(principal, { decision: "allowed", reason: "OK", ...(detail === undefined ? {} : { detail }) });
      return res;
    } catch (error) {
      const failure = ConnectError.from(error);
      const described = describe(failure);
      // A denial by the use case (Update's namespaces) is a denial; any other failure ran allowed.
      if (failure.code === Code.PermissionDenied) audit(principal, { decision: "denied", ...described });
      else audit(principal, { decision: "allowed", reason: "OK", detail: `${Code[failure.code]}: ${described.reason}` });
      throw error;
    }
  };
}

/** GetUpdate of an update this principal created (an authenticated one: anonymous callers share a name). */
async function pollsOwnUpdate(
  principal: AccessPrincipal,
  method: string,
  message: unknown,
  findUpdate: FindUpdate | undefined,
): Promise<boolean> {
  if (method !== "GetUpdate" || findUpdate === undefined || principal.kind === "anonymous") return false;
  const updateId = (message as { updateId?: unknown } | undefined)?.updateId;
  if (typeof updateId !== "string" || updateId === "") return false;
  const update = await findUpdate(updateId);
  return update?.requester === principal.name;
}

function describe(error: ConnectError): { reason: string; detail: string; denied?: string } {
  const info = error.findDetails(ErrorInfoSchema)[0];
  const denied = info?.metadata["denied"];
  return {
    reason: info?.reason ?? Code[error.code],
    detail: error.rawMessage,
    ...(denied === undefined ? {} : { denied }),
  };
}
