import type http from "node:http";
import type { Interceptor } from "@connectrpc/connect";
import type { UpdateManager } from "../core/use-cases/update-manager.js";
import type { RemoveUpdateResult } from "../core/ports/update-store.js";
import type { CoreLogger } from "../core/ports/logger.js";
import { silentLogger } from "../core/ports/logger.js";
import { principalKey } from "../api/principal.js";
import { accessScopeKey } from "../auth/access-principal.js";
import type { Http1Handler } from "../server/http1-router.js";
import { UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";
import { runAuthorized } from "./authorized-call.js";
import { toLegacyUpdateJson } from "./legacy-update-json.js";
import { readFormBody } from "./read-form-body.js";
import { RestProblem, toRestError } from "./rest-error.js";

export interface LegacyRestOptions {
  /** The core: `startUpdate` for POST, `getUpdate` (the durable store) for GET. Required. */
  readonly manager: Pick<UpdateManager, "startUpdate" | "getUpdate">;
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
}

const jsonType = "application/json; charset=utf-8";
/** The original's ids are UUIDs; anything else is refused (400) as it did. */
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const formFields = ["image", "update_classifier"] as const;

/**
 * The original kubernetes-update-manager's REST API on the API port (HTTP/1.1), on this engine:
 *
 * - `POST /updates`, form fields `image` and `update_classifier` → 201 with the update as JSON.
 * - `GET /updates/{uuid}` → 200 with `{uuid, counts: {jobs, deployments: {total, updated}}, status:
 *   {finish_time, finished, failed, successful}}`, read from the store (any replica answers).
 * - `DELETE /updates/{uuid}` → 204; forgets a finished update (it does not cancel: 409 while running).
 *
 * Authorization: `APIKey <key>` (the original CLI) or `Bearer <credential>`. Errors are JSON
 * `{"error", "reason"}` with the statuses of rest-error.ts. Other paths are not its own.
 */
export function createLegacyRestHandler(options: LegacyRestOptions): Http1Handler {
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
  const logger = options.logger ?? silentLogger;

  return (request, response) => {
    // The raw path: no dot-segment normalisation, no decoding; an id is checked against the UUID form.
    const path = (request.url ?? "").split("?", 1)[0] ?? "";
    const match = /^\/updates(?:\/([^/]*))?\/?$/.exec(path);
    if (match === null) return false;
    const id = match[1] === undefined || match[1] === "" ? undefined : match[1];
    void handle(request, response, id).catch((error: unknown) => {
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
      // A malformed form is still authenticated first: a caller without a valid credential learns nothing.
      const record = await runAuthorized(
        options.accessControl,
        { ...call, method: UpdateService.method.update, message: { image, classifier } },
        async (context) => {
          if (problem !== undefined) throw problem;
          if (image === "") throw new RestProblem(400, "INVALID_ARGUMENT", "the form field image is required");
          if (classifier === "") throw new RestProblem(400, "INVALID_ARGUMENT", "the form field update_classifier is required");
          const scope = context.get(accessScopeKey);
          return options.manager.startUpdate(
            { image, classifier },
            { requester: context.get(principalKey).name, ...(scope === undefined ? {} : { scope }) },
          );
        },
      );
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
  if (!uuidPattern.test(id)) {
    throw new RestProblem(400, "INVALID_ARGUMENT", `${JSON.stringify(id.slice(0, 64))} is not an update id (a UUID)`);
  }
  return id.toLowerCase();
}

/** Only the credential goes on: the access control reads nothing else. */
function authorizationHeader(request: http.IncomingMessage): Headers {
  const headers = new Headers();
  const value = request.headers.authorization;
  if (value !== undefined) {
    try {
      headers.set("authorization", value);
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
