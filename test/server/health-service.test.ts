import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { createHealthService, type HealthServiceOptions } from "../../src/server/health-service.js";

function setup(options?: HealthServiceOptions) {
  const health = createHealthService(options);
  const client = createClient(Health, createRouterTransport((router) => health.register(router)));
  return { registry: health.registry, client };
}

/** Reads a Watch stream one message at a time, so a test can act between messages. */
function watch(client: ReturnType<typeof setup>["client"], service: string, signal?: AbortSignal) {
  const stream = client.watch({ service }, { signal })[Symbol.asyncIterator]();
  return {
    async next(): Promise<Status> {
      const result = await stream.next();
      if (result.done) throw new Error("watch ended, expected a message");
      return result.value.status;
    },
    async rest(): Promise<Status[]> {
      const statuses: Status[] = [];
      for (let r = await stream.next(); !r.done; r = await stream.next()) statuses.push(r.value.status);
      return statuses;
    },
  };
}

async function checkError(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("expected the call to fail");
}

describe("health service Check", () => {
  it("reports the whole server as SERVING by default", async () => {
    const { client } = setup();
    expect((await client.check({ service: "" })).status).toBe(Status.SERVING);
  });

  it("answers NOT_FOUND for a service it does not know", async () => {
    const { client } = setup();
    const error = await checkError(client.check({ service: "no.such.Service" }));
    expect(error.code).toBe(Code.NotFound);
    expect(error.rawMessage).toContain("no.such.Service");
  });

  it("reports what the application set, per service", async () => {
    const { client, registry } = setup({ initialStatus: { "": "NOT_SERVING" } });
    expect((await client.check({ service: "" })).status).toBe(Status.NOT_SERVING);
    registry.setStatus("updatemanager.v1.UpdateService", "SERVING");
    registry.setStatus("", "SERVING");
    expect((await client.check({ service: "updatemanager.v1.UpdateService" })).status).toBe(Status.SERVING);
    expect((await client.check({ service: "" })).status).toBe(Status.SERVING);
  });

  it("reports NOT_SERVING for everything after shutdown and ignores later updates", async () => {
    const { client, registry } = setup({ initialStatus: { "": "SERVING", a: "SERVING" } });
    registry.shutdown();
    registry.setStatus("a", "SERVING");
    expect((await client.check({ service: "" })).status).toBe(Status.NOT_SERVING);
    expect((await client.check({ service: "a" })).status).toBe(Status.NOT_SERVING);
  });
});

describe("health service Watch", () => {
  it("sends the current status at once, then each change", async () => {
    const { client, registry } = setup();
    const stream = watch(client, "");
    expect(await stream.next()).toBe(Status.SERVING);
    registry.setStatus("", "NOT_SERVING");
    expect(await stream.next()).toBe(Status.NOT_SERVING);
    registry.setStatus("", "NOT_SERVING"); // no change: nothing sent
    registry.setStatus("other", "NOT_SERVING"); // another service: nothing sent
    registry.setStatus("", "SERVING");
    expect(await stream.next()).toBe(Status.SERVING);
    registry.shutdown();
    expect(await stream.rest()).toEqual([Status.NOT_SERVING]);
  });

  it("answers SERVICE_UNKNOWN for an unknown service and keeps the call open until it appears", async () => {
    const { client, registry } = setup();
    const stream = watch(client, "late.Service");
    expect(await stream.next()).toBe(Status.SERVICE_UNKNOWN);
    registry.setStatus("late.Service", "SERVING");
    expect(await stream.next()).toBe(Status.SERVING);
  });

  it("ends open streams cleanly on shutdown, after telling them NOT_SERVING", async () => {
    const { client, registry } = setup({ initialStatus: { "": "SERVING", a: "SERVING" } });
    const server = watch(client, "");
    const a = watch(client, "a");
    const unknown = watch(client, "unknown");
    expect(await server.next()).toBe(Status.SERVING);
    expect(await a.next()).toBe(Status.SERVING);
    expect(await unknown.next()).toBe(Status.SERVICE_UNKNOWN);
    registry.shutdown();
    // rest() resolves only if the stream ends without error.
    expect(await server.rest()).toEqual([Status.NOT_SERVING]);
    expect(await a.rest()).toEqual([Status.NOT_SERVING]);
    expect(await unknown.rest()).toEqual([]);
  });

  it("a Watch started after shutdown gets NOT_SERVING and ends", async () => {
    const { client, registry } = setup();
    registry.shutdown();
    expect(await watch(client, "").rest()).toEqual([Status.NOT_SERVING]);
  });

  it("gives a slow watcher only the latest status, not a backlog", async () => {
    const { client, registry } = setup();
    const stream = watch(client, "");
    expect(await stream.next()).toBe(Status.SERVING);
    for (let i = 0; i < 1001; i++) registry.setStatus("", i % 2 === 0 ? "NOT_SERVING" : "SERVING");
    expect(await stream.next()).toBe(Status.NOT_SERVING);
    registry.shutdown(); // already NOT_SERVING: the stream just ends
    expect(await stream.rest()).toEqual([]);
  });

  it("does not repeat a status when changes cancel out before the watcher reads", async () => {
    const { client, registry } = setup();
    const stream = watch(client, "");
    expect(await stream.next()).toBe(Status.SERVING);
    registry.setStatus("", "NOT_SERVING");
    registry.setStatus("", "SERVING");
    registry.setStatus("x", "SERVING");
    registry.shutdown();
    expect(await stream.rest()).toEqual([Status.NOT_SERVING]);
  });

  it("stops the watch when the client goes away, leaving other watchers working", async () => {
    const { client, registry } = setup();
    const controller = new AbortController();
    const leaving = watch(client, "", controller.signal);
    const staying = watch(client, "");
    expect(await leaving.next()).toBe(Status.SERVING);
    expect(await staying.next()).toBe(Status.SERVING);
    controller.abort();
    const error = await checkError(leaving.rest());
    expect(error.code).toBe(Code.Canceled);
    registry.setStatus("", "NOT_SERVING");
    expect(await staying.next()).toBe(Status.NOT_SERVING);
  });
});
