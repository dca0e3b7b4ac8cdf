import { type Client, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { NodePlanService } from "../../../gen/updatemanager/v1/node_plan_service_pb.js";
import { UpdateService } from "../../../gen/updatemanager/v1/update_service_pb.js";

export interface DashboardClientOptions {
  /** The API's origin; the dashboard is served on the API port, so the page's own. Required. */
  baseUrl: string;
  /** The key to send, read for every call so a new key takes effect at once; undefined sends none. Required. */
  key: () => string | undefined;
}

/**
 * An UpdateService client over the Connect protocol (JSON over fetch): unary calls and the WatchUpdate server
 * stream both work over HTTP/1.1, which is what browsers speak to a plaintext port.
 */
export function createDashboardClient(options: DashboardClientOptions): Client<typeof UpdateService> {
  return createClient(UpdateService, dashboardTransport(options));
}

/** A NodePlanService client on the same kind of transport (the plans section). */
export function createDashboardPlanClient(options: DashboardClientOptions): Client<typeof NodePlanService> {
  return createClient(NodePlanService, dashboardTransport(options));
}

function dashboardTransport(options: DashboardClientOptions) {
  return createConnectTransport({
    baseUrl: options.baseUrl,
    interceptors: [
      (next) => (request) => {
        const key = options.key();
        if (key !== undefined) request.header.set("authorization", `Bearer ${key}`);
        return next(request);
      },
    ],
  });
}
