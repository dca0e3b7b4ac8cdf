import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import {
  Health,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
} from "../../gen/grpc/health/v1/health_pb.js";
import { ListTargetsResponseSchema, UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";
import { createMetricsInterceptor, createMetricsRegistry } from "../../src/telemetry/metrics.js";

function setup() {
  const registry = createMetricsRegistry();
  // A fake clock: each reading is 250 ms after the previous one.
  let clock = 0;
  const now = () => {
    clock += 250;
    return clock;
  };
  const transport = createRouterTransport(
    (router) => {
      router.service(UpdateService, {
        listTargets(request) {
          if (request.namespace === "missing") throw new ConnectError("no such namespace", Code.NotFound);
          return create(ListTargetsResponseSchema, {});
        },
      });
      router.service(Health, {
        async *watch() {
          yield create(HealthCheckResponseSchema, { status: HealthCheckResponse_ServingStatus.SERVING });
        },
      });
    },
    { router: { interceptors: [createMetricsInterceptor(registry, now)] } },
  );
  return { registry, updates: createClient(UpdateService, transport), health: createClient(Health, transport) };
}

describe("createMetricsInterceptor", () => {
  it("counts calls by service, method and gRPC code", async () => {
    const { registry, updates } = setup();
    await updates.listTargets({});
    await updates.listTargets({});
    await expect(updates.listTargets({ namespace: "missing" })).rejects.toThrow();
    const text = await registry.metrics();
    expect(text).toContain(
      'update_manager_rpc_requests_total{service="updatemanager.v1.UpdateService",method="ListTargets",code="OK"} 2',
    );
    expect(text).toContain(
      'update_manager_rpc_requests_total{service="updatemanager.v1.UpdateService",method="ListTargets",code="NOT_FOUND"} 1',
    );
  });

  it("times calls, streams until they end", async () => {
    const { registry, health } = setup();
    for await (const _ of health.watch({})) {
      // read to the end
    }
    const text = await registry.metrics();
    expect(text).toContain(
      'update_manager_rpc_duration_seconds_count{service="grpc.health.v1.Health",method="Watch",code="OK"} 1',
    );
    expect(text).toContain('update_manager_rpc_duration_seconds_sum{service="grpc.health.v1.Health",method="Watch",code="OK"} 0.25');
  });

  it("includes the default process metrics", async () => {
    const { registry } = setup();
    expect(await registry.metrics()).toContain("process_cpu_user_seconds_total");
  });
});
