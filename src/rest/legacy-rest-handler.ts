import type http from "node:http";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { context, propagation, SpanKind, SpanStatusCode, type Tracer, trace } from "@opentelemetry/api";
import { isDomainError } from "../core/domain/domain-error.js";
import type { UpdateRecord } from "../core/domain/update.js";
import { toConnectError } from "../api/connect-error.js";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import type { UpdateManager } from "../core/use-cases/update-manager.js";
import type { RemoveUpdateResult } from "../core/ports/update-store.js";
import type { CoreLogger } from "../core/ports/logger.js";
import { silentLogger } from "../core/ports/logger.js";
import { principalKey } from "../api/principal.js";
import { accessScopeKey, auditDetailKey } from "../auth/access-principal.js";
import type { Http1Handler } from "../server/http1-router.js";
import { UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";
import { runAuthorized } from "./authorized-call.js";
import { toLegacyUpdateJson } from "./legacy-update-json.js";
import { readFormBody } from "./read-form-body.js";
import { RestProblem, toRestError } from "./rest-error.js";

export interface LegacyRestOptions {
  /**
   * The core: `startUpdate` for POST (queueing behind busy targets), `recordRefusedUpdate` for what
   * it refuses, `getUpdate` (the durable store) for GET. Required.
   */
  readonly manager: Pick<UpdateManager, "startUpdate" | "getUpdate" | "recordRefusedUpdate">;
  /**
   * The access-control interceptor of the API port (`createAccessControl`): POST is authorised as
   * the `Update` RPC, GET as `GetUpdate`, DELETE as `CancelUpdate` (a write permission on that
   * update), sharing the RPCs' rate limits and audit log. Required.
   */
  readonly accessControl: Interceptor;
  /** `UpdateStore.remove`: DELETE forgets a finished update. Default: none, and DELETE answers 501. */
  readonly removeUpdate?: (id: string) => Promise<RemoveUpdateResult>;
  /** The largest form accepted (chunked bodies are counted as they arrive). Default: 64 KiB. */
  readonly maxBodyBytes?: number;
  /** Where unexpected failures (500) are logged. Default: silent. */
  readonly logger?: CoreLogger;
  /**
   * An image no target uses with the classifier: `false` answers as the original did (201 and an
   * update that succeeded with zero counts, with a warning in the log and the audit line); `true`
   * answers 404 NO_TARGETS. Default: false.
   */
  readonly strictNoTargets?: boolean;
  /**
   * Where each `/updates` request's SERVER span goes, a child of the caller's W3C `traceparent` when it sends one,
   * so that an update started here continues the pipeline's trace as over the `Update` RPC. Default: the global
   * tracer "update-manager" (a no-op unless OTEL_* export is configured).
   */
  readonly tracer?: Tracer;
}

const jsonType = "application/json; charset=utf-8";
/**
 * The spellings of a UUID the original's parser (github.com/google/uuid) accepted: dashed, without
 * dashes, `urn:uuid:` before it, or in braces. Anything else is refused (400) as it did.
 */
const uuidPattern =
  /^(?:urn:uuid:)?([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$|^\{([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})\}$|^([0-9a-f]{8})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{12})$/i;
/**
 * Refusals of an authenticated, well-formed POST that the original client could not see (it reports
 * any answer but 201 as success): recorded as a FAILED update instead, which it polls and fails on.
 */
const recordedRefusals = new Set([Code.PermissionDenied, Code.ResourceExhausted, Code.FailedPrecondition, Code.Unavailable, Code.Aborted]);
const formFields = ["image", "update_classifier"] as const;

/**
 * The original kubernetes-update-manager's REST API on the API port (HTTP/1.1), on this engine:
 *
 * - `POST /updates`, form fields `image` and `update_classifier` → 201 with the update as JSON.
 * - `GET /updates/{uuid}` → 200 with `{uuid, counts: {jobs, deployments: {total, updated}}, status:
 *   {finish_time, finished, failed, successful}}`, read from the store (any replica answers).
 * - `DELETE /updates/{uuid}` → 204; forgets a finished update (it does not cancel: 409 while running).
 *
 * - `GET /health` → 204 (the original's probe); `/updates/{uuid}/` → 301 to the path without the slash.
 *
 * POST answers as the original did wherever its client would otherwise report success for an update
 * that never ran: busy targets queue the update; a refusal of an authenticated, well-formed request
 * (quarantined, not permitted, full queue, rate limit, caches not synced) answers 201 with an update
 * recorded FAILED with the reason; nothing matched answers 201 with an update that succeeded empty.
 * Only 401 (nothing is recorded for an unknown caller) and malformed requests answer an error.
 *
 * Authorization: the forms the original accepted (`APIKey <key>`, any one scheme word and the key,
 * the bare key), compared in full (authenticator.ts). Errors are JSON `{"error", "reason"}` with the
 * statuses of rest-error.ts. Other paths are not its own.
 */
export function createLegacyRestHandler(options: LegacyRestOptions): Http1Handler {
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
  const logger = options.logger ?? silentLogger;
  const tracer = options.tracer ?? trace.getTracer("update-manager");

  return (request, response) => {
    // The raw path: no dot-segment normalisation, no decoding; an id is checked against the UUID form.
    const path = (request.url ?? "").split("?", 1)[0] ?? "";
    if (path === "/health") {
      // The original's probe, on the API port.
      const allowed = request.method === "GET" || request.method === "HEAD";
      send(response, allowed ? 204 : 405, allowed ? {} : { allow: "GET, HEAD" }, "");
      return true;
    }
    const match = /^\/updates(?:\/([^/]*))?(\/?)$/.exec(path);
    if (match === null) return false;
    const id = match[1] === undefined || match[1] === "" ? undefined : match[1];
    if (id !== undefined && match[2] === "/") {
      // The original's router redirected a trailing slash to the path without it.
      const query = (request.url ?? "").slice(path.length);
      send(response, 301, { location: `/updates/${id}${query}` }, "");
      return true;
    }
    // OpenTelemetry's HTTP server conventions: `{method} {route}`, ended with the answer's status.
    const route = id === undefined ? "/updates" : "/updates/{uuid}";
    const method = request.method ?? "";
    const parent = propagation.extract(context.active(), request.headers);
    const span = tracer.startSpan(
      `${method} ${route}`,
      { kind: SpanKind.SERVER, attributes: { "http.request.method": method, "http.route": route, "url.path": path } },
      parent,
    );
    response.once("close", () => {
      span.setAttribute("http.response.status_code", response.statusCode);
      if (response.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    // The handler runs in the span's context: the update's spans (update.accept, ...) become its children.
    void context.with(trace.setSpan(parent, span), () => handle(request, response, id)).catch((error: unknown) => {
      const answer = toRestError(error);
      if (answer.status >= 500) logger.error({ err: error, method: request.method, path }, "REST request failed");
      send(response, answer.status, answer.headers, answer.body);
    });
    return true;
  };

  async function handle(request: http.IncomingMessage, response: http.ServerResponse, id: string | undefined): Promise<void> {
    const method = request.method ?? "";
    const aborted = new AbortController();
    response.once("close", () => aborted.abort());
    const call = {
      header: authorizationHeader(request),
      url: request.url ?? "",
      signal: aborted.signal,
    };

    if (id === undefined) {
      if (method !== "POST") throw new RestProblem(405, "METHOD_NOT_ALLOWED", `${method} /updates is not supported: POST creates an update`, { allow: "POST" });
      let fields: Map<string, string> | undefined;
      let problem: unknown;
      try {
        fields = await readFormBody(request, { maxBytes: maxBodyBytes, fields: formFields });
      } catch (error) {
        if (error instanceof RestProblem && error.status === 413) throw error;
        problem = error;
      }
      const image = fields?.get("image") ?? "";
      const classifier = fields?.get("update_classifier") ?? "";
      let requester: string | undefined;
      let record: UpdateRecord;
      try {
        // A malformed form is still authenticated first: a caller without a valid credential learns nothing.
        record = await runAuthorized(
          options.accessControl,
          { ...call, method: UpdateService.method.update, message: { image, classifier } },
          async (context) => {
            requester = context.get(principalKey).name;
            if (problem !== undefined) throw problem;
            if (image === "") throw new RestProblem(400, "INVALID_ARGUMENT", "the form field image is required");
            if (classifier === "") throw new RestProblem(400, "INVALID_ARGUMENT", "the form field update_classifier is required");
            const scope = context.get(accessScopeKey);
            const started = await options.manager.startUpdate(
              // Busy targets: queued behind the running update, as the original's pipelines expect it to be applied.
              { image, classifier, queueIfBusy: true, succeedWithoutTargets: options.strictNoTargets !== true },
              { requester, ...(scope === undefined ? {} : { scope }) },
            );
            if (started.state === "succeeded" && started.plan.workloads.length === 0 && started.plan.migrations.length === 0) {
              context.set(auditDetailKey, `NO_TARGETS: ${started.plan.warnings.at(-1) ?? "nothing matched"}`);
            }
            return started;
          },
        );
      } catch (error) {
        const refused = refusal(error, requester);
        if (refused === undefined) throw error;
        record = await options.manager.recordRefusedUpdate({ image, classifier, ...refused });
      }
      send(response, 201, { "content-type": jsonType, location: `/updates/${record.id}` }, JSON.stringify(toLegacyUpdateJson(record)));
      return;
    }

    if (method === "GET") {
      const record = await runAuthorized(
        options.accessControl,
        { ...call, method: UpdateService.method.getUpdate, message: { updateId: id } },
        async () => options.manager.getUpdate(checkId(id)),
      );
      send(response, 200, { "content-type": jsonType }, JSON.stringify(toLegacyUpdateJson(record)));
      return;
    }

    if (method === "DELETE") {
      const result = await runAuthorized(
        options.accessControl,
        { ...call, method: UpdateService.method.cancelUpdate, message: { updateId: id } },
        async () => {
          const checked = checkId(id);
          if (options.removeUpdate === undefined) {
            throw new RestProblem(501, "UNIMPLEMENTED", "this server's update store cannot remove updates");
          }
          return { checked, outcome: await options.removeUpdate(checked) };
        },
      );
      if (result.outcome === "unfinished") {
        throw new RestProblem(
          409,
          "UPDATE_NOT_FINISHED",
          `update ${result.checked} has not finished: DELETE only forgets finished updates (cancel it with CancelUpdate)`,
        );
      }
      // Removing what is already gone succeeds, as it did in the original.
      send(response, 204, {}, "");
      return;
    }

    throw new RestProblem(405, "METHOD_NOT_ALLOWED", `${method} /updates/{uuid} is not supported: use GET or DELETE`, {
      allow: "GET, DELETE",
    });
  }
}

function checkId(id: string): string {
  const match = uuidPattern.exec(id);
  if (match === null) {
    throw new RestProblem(400, "INVALID_ARGUMENT", `${JSON.stringify(id.slice(0, 64))} is not an update id (a UUID)`);
  }
  return match.slice(1).filter((part) => part !== undefined).join("-").toLowerCase();
}

/**
 * The principal and reason to record for a refusal the original client must see as a failed
 * update; undefined for answers that stay as they are (401, malformed requests, 404 in strict mode,
 * internal errors) or when the caller is not known.
 */
function refusal(error: unknown, requester: string | undefined): { requester: string; reason: string } | undefined {
  if (error instanceof RestProblem) return undefined;
  const connect = isDomainError(error) ? toConnectError(error) : error instanceof ConnectError ? error : undefined;
  if (connect === undefined || !recordedRefusals.has(connect.code)) return undefined;
  const info = connect.findDetails(ErrorInfoSchema)[0];
  const who = requester ?? info?.metadata["principal"];
  if (who === undefined) return undefined;
  return { requester: who, reason: `${info?.reason ?? Code[connect.code]}: ${connect.rawMessage}` };
}

/**
 * Only the credential goes on: the access control reads nothing else. The original accepted
 * `APIKey <key>`, any other single scheme word before the key, and the bare key; each is passed on
 * as `APIKey <key>`, which the authenticator compares in full (so `<key>EXTRA` stays refused).
 */
function authorizationHeader(request: http.IncomingMessage): Headers {
  const headers = new Headers();
  const value = request.headers.authorization;
  if (value !== undefined) {
    const form = /^\s*(?:(\S+)\s+)?(\S+)\s*$/.exec(value);
    const credential = form?.[2];
    try {
      headers.set("authorization", credential === undefined ? value : `APIKey ${credential}`);
    } catch {
      // A value Headers refuses is no credential; the access control then asks for one.
      headers.set("authorization", "malformed");
    }
  }
  return headers;
}

function send(response: http.ServerResponse, status: number, headers: Readonly<Record<string, string>>, body: string): void {
  if (response.headersSent || response.destroyed) return;
  const all: Record<string, string | number> = { ...headers, "content-length": Buffer.byteLength(body) };
  // After a refused body the rest of it was not read: the connection cannot carry another request.
  if (status === 413) all.connection = "close";
  response.writeHead(status, all);
  response.end(body);
}
