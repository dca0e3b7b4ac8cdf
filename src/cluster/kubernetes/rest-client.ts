import { request as httpRequest } from "node:http";
import { request as httpsRequest, type RequestOptions } from "node:https";
import type { V1Status } from "@kubernetes/client-node";
import type { KubeConnection } from "./kube-connection.js";
import { type ApiRequestEvent, describeApiRequest } from "./api-request-event.js";
import type { InformerEvents, ObjectVersion } from "./informer-events.js";
import { KubernetesApiError } from "./kubernetes-errors.js";

export interface RestRequest {
  readonly method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  /** Absolute API path, e.g. /apis/apps/v1/namespaces/shop/deployments/web. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | undefined>>;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Content-Type of the body. Default: application/json. */
  readonly contentType?: string;
}

/** Plain JSON requests to the API server with the connection's credentials. */
export interface RestClient {
  /** Resolves with the parsed JSON answer; rejects with KubernetesApiError for HTTP errors, the Node error for network ones. */
  request<T>(request: RestRequest): Promise<T>;
  /** The options' `informerEvents`: the informers listing through this client report to it too. */
  readonly informerEvents?: InformerEvents;
}

export interface RestClientOptions {
  /** Longest silence on one request's connection before it is given up. Default: 30 000 ms. */
  readonly timeoutMs?: number;
  /** Told of every finished request (metrics). Default: none. */
  readonly onRequest?: (event: ApiRequestEvent) => void;
  /**
   * Told of the version each successful create, update or patch produced; informers created with this client
   * report what they deliver and their relists to it (informer lag metrics). Default: none.
   */
  readonly informerEvents?: InformerEvents;
  /**
   * Largest answer read: beyond it the request is abandoned with an error naming the request and the limit, so a
   * runaway answer (a proxy's endless body, a list without `limit`) cannot take the process's memory. The
   * manager's own objects are far smaller (a ConfigMap or a custom resource holds at most about 1.5 MiB). Default:
   * 64 MiB.
   */
  readonly maxResponseBytes?: number;
}

/**
 * Requests through `KubeConnection.applyToHTTPSOptions`, the same credential path the watches (watch-stream.ts)
 * use, so every kind of kubeconfig (token, client certificate, exec plugin, in-cluster) works.
 * Hand-made rather than client-node's generated clients because those know neither
 * batch/v1beta1 CronJobs (Kubernetes 1.20) nor a JSON patch body, and answer with class
 * instances where the watch gives plain JSON.
 */
export function createRestClient(kubeConfig: KubeConnection, options: RestClientOptions = {}): RestClient {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const { onRequest, informerEvents } = options;
  const maxResponseBytes = options.maxResponseBytes ?? 64 * 1024 * 1024;
  const exchange = async <T>(request: RestRequest, answered: { status?: number } = {}): Promise<T> => {
      const cluster = kubeConfig.getCurrentCluster();
      if (cluster === null) throw new Error("the kubeconfig has no current cluster");
      const url = new URL(cluster.server.replace(/\/+$/, "") + request.path);
      for (const [key, value] of Object.entries(request.query ?? {})) {
        if (value !== undefined) url.searchParams.set(key, value);
      }
      const body = request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body));
      const httpsOptions: RequestOptions = {
        method: request.method,
        headers: {
          accept: "application/json",
          ...(body === undefined
            ? {}
            : { "content-type": request.contentType ?? "application/json", "content-length": String(body.length) }),
        },
      };
      await kubeConfig.applyToHTTPSOptions(httpsOptions);
      const send = url.protocol === "http:" ? httpRequest : httpsRequest;
      return new Promise<T>((resolve, reject) => {
        const req = send(url, { ...httpsOptions, timeout: timeoutMs }, (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          const tooLarge = () =>
            req.destroy(
              new Error(`the API server's answer to ${request.method} ${request.path} is larger than ${maxResponseBytes} bytes; it was not read`),
            );
          if (Number(res.headers["content-length"] ?? 0) > maxResponseBytes) {
            tooLarge();
            return;
          }
          res.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxResponseBytes) {
              chunks.length = 0;
              tooLarge();
              return;
            }
            chunks.push(chunk);
          });
          res.on("error", reject);
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            const statusCode = res.statusCode ?? 0;
            answered.status = statusCode;
            if (statusCode >= 200 && statusCode < 300) {
              try {
                resolve(JSON.parse(text) as T);
              } catch (error) {
                reject(new Error(`the API server answered ${request.method} ${request.path} with invalid JSON`, { cause: error }));
              }
              return;
            }
            const retryAfter = Number(res.headers["retry-after"]);
            reject(new KubernetesApiError(statusCode, parseStatus(text), Number.isFinite(retryAfter) ? retryAfter : undefined));
          });
        });
        req.on("timeout", () => req.destroy(new Error(`${request.method} ${request.path} timed out after ${timeoutMs} ms`)));
        req.on("error", reject);
        req.end(body);
      });
  };
  const counted = async <T>(request: RestRequest): Promise<T> => {
    if (onRequest === undefined) return exchange<T>(request);
    const { verb, resource } = describeApiRequest(request.method, request.path);
    const answered: { status?: number } = {};
    try {
      return await exchange<T>(request, answered);
    } finally {
      onRequest({ verb, resource, code: String(answered.status ?? 0) });
    }
  };
  if (informerEvents === undefined) return { request: counted };
  return {
    informerEvents,
    async request<T>(request: RestRequest): Promise<T> {
      const answer = await counted<T>(request);
      if (request.method !== "GET" && request.method !== "DELETE") {
        const version = writtenVersion(request.path, answer);
        if (version !== undefined) informerEvents.written(version);
      }
      return answer;
    },
  };
}

/** The version a write's answer carries (its object's metadata), or undefined for another answer (a Status). */
function writtenVersion(path: string, answer: unknown): ObjectVersion | undefined {
  const metadata = (answer as { metadata?: { name?: unknown; namespace?: unknown; resourceVersion?: unknown } } | null)?.metadata;
  if (typeof metadata?.name !== "string" || typeof metadata.resourceVersion !== "string" || metadata.resourceVersion === "") return undefined;
  // A write to a subresource (deployments/status) changes the object the informer of the resource delivers.
  const resource = describeApiRequest("POST", path).resource.split("/", 1)[0]!;
  const namespace = typeof metadata.namespace === "string" ? metadata.namespace : "";
  return { resource, namespace, name: metadata.name, resourceVersion: metadata.resourceVersion };
}

function parseStatus(text: string): V1Status | undefined {
  try {
    const parsed = JSON.parse(text) as V1Status;
    return parsed.kind === "Status" ? parsed : { message: text.slice(0, 500) };
  } catch {
    return text.length === 0 ? undefined : { message: text.slice(0, 500) };
  }
}
