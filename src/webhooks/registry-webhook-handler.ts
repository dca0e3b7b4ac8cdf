import type http from "node:http";
import { createRateLimiter } from "../auth/rate-limiter.js";
import type { Clock } from "../core/ports/clock.js";
import type { CoreLogger } from "../core/ports/logger.js";
import { createSecretFile, type SecretFile } from "../notify/secret-file.js";
import { verifySignature } from "../notify/webhook-signature.js";
import { readBody } from "../rest/read-form-body.js";
import { RestProblem } from "../rest/rest-error.js";
import type { Http1Handler } from "../server/http1-router.js";
import { constantTimeEqual } from "./constant-time-equal.js";
import { readDistributionNotification } from "./distribution-notification.js";
import { readDockerHubPush } from "./docker-hub-push.js";
import { readGithubPackageEvent } from "./github-package-event.js";
import { readHarborEvent } from "./harbor-event.js";
import { type ReadWebhookPayload, WebhookPayloadError } from "./webhook-payload.js";
import type { WebhookEndpointConfig, WebhookSourceType, WebhooksConfig } from "./webhooks-config.js";

/** Where the endpoints are mounted on the API port. */
export const webhookPathPrefix = "/webhooks/";

/** GitHub's signature header: `sha256=<hex HMAC-SHA256 of the body>`. */
export const githubSignatureHeader = "x-hub-signature-256";

/** Repositories one request may name; more are ignored (an envelope holds a few events). */
const maxRepositoriesPerRequest = 100;

const readers: Record<WebhookSourceType, ReadWebhookPayload> = {
  distribution: readDistributionNotification,
  harbor: readHarborEvent,
  github: readGithubPackageEvent,
  dockerhub: readDockerHubPush,
};

/** How a request ended, for logs, metrics and tests. */
export type WebhookOutcome = "accepted" | "unauthorized" | "malformed" | "rate-limited" | "too-large" | "unavailable";

export interface RegistryWebhookHandlerOptions {
  readonly config: WebhooksConfig;
  /** Asks the registry watcher to check a repository now (`RegistryWatcher.recheck`). Required. */
  readonly recheck: (repository: string) => { readonly workloads: number };
  readonly clock: Clock;
  readonly logger: CoreLogger;
  /** Told of each request to a known endpoint (metrics, tests). Default: none. */
  readonly onRequest?: (endpoint: string, outcome: WebhookOutcome) => void;
  /** Opens a secret file. Default: `createSecretFile` (re-read when the file changes). */
  readonly openSecret?: (path: string) => SecretFile;
}

interface Endpoint {
  readonly config: WebhookEndpointConfig;
  readonly secret: SecretFile;
}

/**
 * The registry webhooks on the API port, `POST /webhooks/<name>` (Docker Hub: `/webhooks/<name>/<token>`), outside
 * API-key auth: each endpoint proves its sender with its own secret (README "Registry webhooks"). A request that
 * passes only makes the registry watcher check the repositories it names now; it is answered 202 whether or not a
 * watched workload uses them, so the answer tells nothing about the cluster. Failed checks are 401, compared in
 * constant time; every request counts against the endpoint's rate limit (429), checked before anything else.
 */
export function createRegistryWebhookHandler(options: RegistryWebhookHandlerOptions): Http1Handler {
  const { config, logger } = options;
  const openSecret = options.openSecret ?? createSecretFile;
  const endpoints = new Map<string, Endpoint>(
    config.endpoints.map((endpoint) => [endpoint.name, { config: endpoint, secret: openSecret(endpoint.secretFile) }]),
  );
  const limiter = createRateLimiter({
    clock: options.clock,
    reads: { perMinute: config.rateLimitPerMinute, burst: config.rateLimitPerMinute },
  });

  const answer = (
    request: http.IncomingMessage,
    response: http.ServerResponse,
    status: number,
    body: Record<string, unknown>,
    extra: http.OutgoingHttpHeaders = {},
  ) => {
    const headers: http.OutgoingHttpHeaders = { "content-type": "application/json", "cache-control": "no-store", ...extra };
    // An unread body would be taken for the next request: HTTP/1.1 closes the connection instead.
    if (status >= 400 && request.httpVersionMajor === 1 && !request.readableEnded) headers.connection = "close";
    response.writeHead(status, headers);
    response.end(`${JSON.stringify(body)}\n`);
  };

  async function handle(endpoint: Endpoint, token: string | undefined, request: http.IncomingMessage): Promise<{ status: number; body: Record<string, unknown>; outcome: WebhookOutcome; headers?: http.OutgoingHttpHeaders }> {
    const { name, type } = endpoint.config;
    const decision = limiter.take(name, "read");
    if (!decision.allowed) {
      return {
        status: 429,
        outcome: "rate-limited",
        body: { error: "RESOURCE_EXHAUSTED", message: `webhook ${name}: more than ${config.rateLimitPerMinute} requests a minute` },
        headers: { "retry-after": String(Math.ceil(decision.retryAfterMs / 1000)) },
      };
    }
    let secret: string;
    try {
      secret = endpoint.secret.read();
    } catch (error) {
      logger.error({ endpoint: name, err: error }, `webhook ${name}: its secret cannot be read: ${(error as Error).message}`);
      return { status: 503, outcome: "unavailable", body: { error: "UNAVAILABLE", message: `webhook ${name} cannot check requests now` } };
    }
    const unauthorized = { status: 401, outcome: "unauthorized" as const, body: { error: "UNAUTHENTICATED", message: `webhook ${name}: the request is not signed with its secret` } };
    if (type === "dockerhub" && !constantTimeEqual(token ?? "", secret)) return unauthorized;
    if ((type === "distribution" || type === "harbor") && !constantTimeEqual(request.headers.authorization ?? "", secret)) return unauthorized;
    const bytes = await readBody(request, config.maxBodyBytes, "the webhook's body");
    if (type === "github") {
      const signature = request.headers[githubSignatureHeader];
      if (typeof signature !== "string" || !verifySignature(secret, bytes, signature)) return unauthorized;
    }
    let repositories: string[];
    try {
      const event = request.headers["x-github-event"];
      repositories = readers[type](JSON.parse(bytes.toString("utf8")) as unknown, {
        ...(endpoint.config.registry === undefined ? {} : { registry: endpoint.config.registry }),
        ...(typeof event === "string" ? { event } : {}),
      });
    } catch (error) {
      if (!(error instanceof SyntaxError) && !(error instanceof WebhookPayloadError)) throw error;
      const problem = error instanceof SyntaxError ? "the body is not JSON" : error.message;
      return { status: 400, outcome: "malformed", body: { error: "INVALID_ARGUMENT", message: `webhook ${name}: ${problem}` } };
    }
    for (const repository of new Set(repositories.slice(0, maxRepositoriesPerRequest))) {
      const { workloads } = options.recheck(repository);
      logger.info({ endpoint: name, repository, workloads }, `webhook ${name}: ${repository} changed; re-checking ${workloads} watched workload(s)`);
    }
    return { status: 202, outcome: "accepted", body: { status: "accepted" } };
  }

  return (request, response) => {
    const path = (request.url ?? "").split("?", 1)[0]!;
    if (!path.startsWith(webhookPathPrefix)) return false;
    const [name = "", token, ...rest] = path.slice(webhookPathPrefix.length).split("/");
    const endpoint = endpoints.get(name);
    const wantsToken = endpoint?.config.type === "dockerhub";
    if (endpoint === undefined || rest.length > 0 || (token !== undefined) !== wantsToken) {
      answer(request, response, 404, { error: "NOT_FOUND", message: "no such webhook" });
      return true;
    }
    if (request.method !== "POST") {
      answer(request, response, 405, { error: "METHOD_NOT_ALLOWED", message: "webhooks are POSTed" }, { allow: "POST" });
      return true;
    }
    handle(endpoint, token === undefined ? undefined : decodeURIComponentSafe(token), request).then(
      ({ status, body, outcome, headers }) => {
        if (outcome === "unauthorized") {
          logger.warn({ endpoint: name, remote: request.socket.remoteAddress }, `webhook ${name}: refused a request that failed its check`);
        }
        options.onRequest?.(name, outcome);
        answer(request, response, status, body, headers);
      },
      (error: unknown) => {
        if (error instanceof RestProblem && error.status === 413) {
          options.onRequest?.(name, "too-large");
          answer(request, response, 413, { error: "RESOURCE_EXHAUSTED", message: error.message });
          return;
        }
        logger.error({ endpoint: name, err: error }, `webhook ${name}: the request failed`);
        if (!response.headersSent) answer(request, response, 500, { error: "INTERNAL", message: "the webhook failed" });
        else response.destroy();
      },
    );
    return true;
  };
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
