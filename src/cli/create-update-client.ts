import { readFile } from "node:fs/promises";
import { type Client, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { NodePlanService } from "../../gen/updatemanager/v1/node_plan_service_pb.js";
import { UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";
import type { ConnectionOptions, Credential } from "./connection-options.js";
import type { TraceContext } from "./trace-context.js";
import { UsageError } from "./usage-error.js";

/** The generated client of UpdateService. */
export type UpdateClient = Client<typeof UpdateService>;

/** The generated client of NodePlanService (the `plans` commands). */
export type NodePlanClient = Client<typeof NodePlanService>;

/** Creates the UpdateService client for the connection options: transport, protocol and credential. */
export function createUpdateClient(options: ConnectionOptions): UpdateClient {
  return createClient(UpdateService, createTransport(options));
}

/** Creates the NodePlanService client, on the same kind of transport as createUpdateClient. */
export function createNodePlanClient(options: ConnectionOptions): NodePlanClient {
  return createClient(NodePlanService, createTransport(options));
}

function createTransport(options: ConnectionOptions): Transport {
  const interceptors = [authorization(options.credential), traceContext(options.traceContext)];
  const common = { baseUrl: options.baseUrl, interceptors };
  // HTTP/2 pings notice a connection that died silently (a NAT or proxy that dropped it) while a watch idles.
  const http2 = { httpVersion: "2" as const, pingIntervalMs: 30_000, pingTimeoutMs: 15_000 };
  switch (options.protocol) {
    case "grpc":
      return createGrpcTransport({ ...common, ...http2 });
    case "grpc-web":
      return options.httpVersion === "2"
        ? createGrpcWebTransport({ ...common, ...http2 })
        : createGrpcWebTransport({ ...common, httpVersion: "1.1" });
    case "connect":
      return options.httpVersion === "2"
        ? createConnectTransport({ ...common, ...http2 })
        : createConnectTransport({ ...common, httpVersion: "1.1" });
  }
}

/** Sends the pipeline's trace context (`traceparent`, `tracestate`) on every call, when there is one. */
function traceContext(trace: TraceContext | undefined): Interceptor {
  return (next) => (req) => {
    if (trace !== undefined) {
      req.header.set("traceparent", trace.traceparent);
      if (trace.tracestate !== undefined) req.header.set("tracestate", trace.tracestate);
    }
    return next(req);
  };
}

/** Sets `Authorization: Bearer …` on every call; the token file is read each time so a refreshed token is used. */
function authorization(credential: Credential): Interceptor {
  return (next) => async (req) => {
    const secret = await secretOf(credential);
    if (secret !== undefined) req.header.set("Authorization", `Bearer ${secret}`);
    return next(req);
  };
}

async function secretOf(credential: Credential): Promise<string | undefined> {
  switch (credential.kind) {
    case "none":
      return undefined;
    case "api-key":
      return credential.key;
    case "id-token":
      return credential.token;
    case "id-token-file": {
      let text: string;
      try {
        text = await readFile(credential.path, "utf8");
      } catch (error) {
        throw new UsageError(`--id-token-file: cannot read ${credential.path}: ${(error as Error).message}`);
      }
      const token = text.trim();
      if (token === "") throw new UsageError(`--id-token-file: ${credential.path} is empty`);
      return token;
    }
  }
}
