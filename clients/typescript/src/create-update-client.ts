import { type Client, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { UpdateService } from "./gen/updatemanager/v1/update_service_pb.js";

export type UpdateClient = Client<typeof UpdateService>;

export interface CreateUpdateClientOptions {
  /** The manager's API address, e.g. `http://update-manager.update-manager.svc:9000`. */
  readonly url: string;
  /** Sent as `Authorization: Bearer <apiKey>` (an API key or a CI identity token). Default: none. */
  readonly apiKey?: string;
  /** Wire protocol: `grpc` (HTTP/2) or `connect`. Default: `grpc`. */
  readonly protocol?: "grpc" | "connect";
  /**
   * More interceptors, run after the one that sets the credential; e.g. `createTraceContextInterceptor()` from
   * `@update-manager/client/tracing`, so the update continues the pipeline's trace. Default: none.
   */
  readonly interceptors?: readonly Interceptor[];
}

/** A client of `updatemanager.v1.UpdateService` over Node's HTTP/2 (h2c for `http://`, TLS for `https://`). */
export function createUpdateClient(options: CreateUpdateClientOptions): UpdateClient {
  const interceptors: Interceptor[] = [];
  if (options.apiKey !== undefined) {
    const authorization = `Bearer ${options.apiKey}`;
    interceptors.push((next) => (request) => {
      request.header.set("authorization", authorization);
      return next(request);
    });
  }
  interceptors.push(...(options.interceptors ?? []));
  const transport =
    options.protocol === "connect"
      ? createConnectTransport({ baseUrl: options.url, httpVersion: "2", interceptors })
      : createGrpcTransport({ baseUrl: options.url, interceptors });
  return createClient(UpdateService, transport);
}
