import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import {
  Health,
  type HealthCheckRequest,
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
} from "../../gen/grpc/health/v1/health_pb.js";

/**
 * The serving status the application reports. `SERVICE_UNKNOWN` and `UNKNOWN` exist on the wire only:
 * the registry derives them, the application never sets them.
 */
export type ServingStatus = "SERVING" | "NOT_SERVING";

/** The application's side of the health service: it reports, the service answers probes and watchers. */
export interface HealthRegistry {
  /** Sets the status of a service ("" = the whole server). Watchers get the change. Ignored after shutdown. */
  setStatus(service: string, status: ServingStatus): void;
  /** On shutdown: every service NOT_SERVING, then end open Watch streams cleanly. Idempotent. */
  shutdown(): void;
}

export interface HealthServiceOptions {
  /**
   * Statuses known from the start, by service name ("" = the whole server). A service absent here is unknown
   * until `setStatus` names it: Check answers NOT_FOUND, Watch answers SERVICE_UNKNOWN.
   * Default: `{ "": "SERVING" }`, as grpc-go's health server starts (the process answers, so it serves).
   */
  initialStatus?: Readonly<Record<string, ServingStatus>>;
}

/** What `createHealthService` returns: the registry to report into, and how to mount the service. */
export interface HealthService {
  readonly registry: HealthRegistry;
  /** Mounts `grpc.health.v1.Health` (Check, Watch) on the router. */
  register(router: ConnectRouter): void;
}

/**
 * One open Watch call. Memory per watcher is bounded by design: it holds at most one pending status, the latest.
 * A slow reader skips intermediate statuses, which the health protocol allows, and never sees the same status twice
 * in a row.
 */
interface Watcher {
  lastSent: HealthCheckResponse_ServingStatus | undefined;
  pending: HealthCheckResponse_ServingStatus | undefined;
  wake: (() => void) | undefined;
}

/**
 * Creates the standard gRPC health service (grpc.health.v1), which Kubernetes `grpc:` probes, grpc_health_probe,
 * `buf curl` and grpcurl speak without any proto file.
 */
export function createHealthService(options: HealthServiceOptions = {}): HealthService {
  const statuses = new Map<string, ServingStatus>(Object.entries(options.initialStatus ?? { "": "SERVING" }));
  const watchers = new Map<string, Set<Watcher>>();
  let shutDown = false;

  const wireStatus = (service: string): HealthCheckResponse_ServingStatus => {
    const status = statuses.get(service);
    if (status === undefined) return HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN;
    return status === "SERVING"
      ? HealthCheckResponse_ServingStatus.SERVING
      : HealthCheckResponse_ServingStatus.NOT_SERVING;
  };

  const notify = (service: string): void => {
    const status = wireStatus(service);
    for (const watcher of watchers.get(service) ?? []) {
      watcher.pending = watcher.lastSent === status ? undefined : status;
      watcher.wake?.();
    }
  };

  const update = (service: string, status: ServingStatus): void => {
    if (statuses.get(service) === status) return;
    statuses.set(service, status);
    notify(service);
  };

  const registry: HealthRegistry = {
    setStatus(service, status) {
      // After shutdown the answer stays NOT_SERVING: a late "SERVING" would send traffic to a process going away.
      if (shutDown) return;
      update(service, status);
    },
    shutdown() {
      if (shutDown) return;
      for (const service of statuses.keys()) update(service, "NOT_SERVING");
      shutDown = true;
      // Watchers see shutDown and end once their pending NOT_SERVING is sent.
      for (const set of watchers.values()) for (const watcher of set) watcher.wake?.();
    },
  };

  const response = (status: HealthCheckResponse_ServingStatus): HealthCheckResponse =>
    create(HealthCheckResponseSchema, { status });

  async function* watch(request: HealthCheckRequest, context: HandlerContext): AsyncGenerator<HealthCheckResponse> {
    const { service } = request;
    const watcher: Watcher = { lastSent: undefined, pending: wireStatus(service), wake: undefined };
    let set = watchers.get(service);
    if (set === undefined) {
      set = new Set();
      watchers.set(service, set);
    }
    set.add(watcher);
    try {
      for (;;) {
        if (watcher.pending !== undefined) {
          const status = watcher.pending;
          watcher.pending = undefined;
          watcher.lastSent = status;
          yield response(status);
          continue;
        }
        if (shutDown || context.signal.aborted) return;
        await new Promise<void>((resolve) => {
          const wake = () => {
            watcher.wake = undefined;
            context.signal.removeEventListener("abort", wake);
            resolve();
          };
          watcher.wake = wake;
          context.signal.addEventListener("abort", wake);
        });
      }
    } finally {
      set.delete(watcher);
      if (set.size === 0 && watchers.get(service) === set) watchers.delete(service);
    }
  }

  return {
    registry,
    register(router) {
      router.service(Health, {
        check(request) {
          const status = wireStatus(request.service);
          if (status === HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN) {
            throw new ConnectError(`unknown service "${request.service}"`, Code.NotFound);
          }
          return response(status);
        },
        watch,
      });
    },
  };
}
