import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UpdateState } from "../../gen/updatemanager/v1/update_pb.js";
import { UpdateService } from "../../gen/updatemanager/v1/update_service_pb.js";
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from "../support/otlp-receiver.js";
import { type ServerProcess, startServer } from "../support/server-process.js";

// The embedded demo (src/cluster/simulated/demo-seed.ts): Deployment shop/admin is the one target of this repository
// with classifier `shop` (one rollout keeps the test short; the engine's unit tests cover migrations and more
// workloads); tags containing `broken` crash-loop.
const repo = "registry.example.com/shop/web-admin";
// The pipeline's span, as its CI tracing sent it.
const pipelineTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
const pipelineSpanId = "00f067aa0ba902b7";

let receiver: OtlpReceiver;
let server: ServerProcess;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  try {
    // Only the traces endpoint: the SDK's defaults otherwise (http/protobuf, batches); short batch delay for the test.
    server = await startServer({
      env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.tracesEndpoint, OTEL_BSP_SCHEDULE_DELAY: "100" },
    });
  } catch (error) {
    await receiver.close();
    throw error;
  }
});

afterAll(async () => {
  await server?.stop();
  await receiver?.close();
});

/** Waits (bounded) until the receiver holds a span matching `predicate`. */
async function received(predicate: (span: ReceivedSpan) => boolean, within = 15_000): Promise<void> {
  for (const started = Date.now(); !receiver.spans.some(predicate); ) {
    if (Date.now() - started > within) throw new Error(`no such span within ${within} ms; received: ${receiver.spans.map((s) => s.name).join(", ")}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("tracing an update over OTLP, from the server process", () => {
  it("exports the update's span tree in the pipeline's trace: RPC, accept (plan, lock), attempt and its steps", async () => {
    const client = createClient(UpdateService, createGrpcTransport({ baseUrl: server.apiUrl }));
    const { update } = await client.update(
      { image: `${repo}:2.1.0`, classifier: "shop" },
      { headers: { traceparent: `00-${pipelineTraceId}-${pipelineSpanId}-01` } },
    );
    const id = update!.id;
    expect(update?.traceId).toBe(pipelineTraceId);
    let state = UpdateState.UNSPECIFIED;
    for await (const message of client.watchUpdate({ updateId: id }, { timeoutMs: 60_000 })) {
      if (message.message.case === "event" && message.message.value.kind.case === "finished") state = message.message.value.kind.value.state;
    }
    expect(state).toBe(UpdateState.SUCCEEDED);
    expect((await client.getUpdate({ updateId: id })).update?.traceId).toBe(pipelineTraceId);
    await received((span) => span.name === "update.attempt" && span.attributes["update.id"] === id);

    const spans = receiver.spans.filter((span) => span.traceId === pipelineTraceId);
    const one = (name: string) => {
      const found = spans.filter((span) => span.name === name);
      expect(found, name).toHaveLength(1);
      return found[0]!;
    };
    // The client's traceparent is the parent of the Update RPC's span, which the update's spans hang under.
    const rpc = one("updatemanager.v1.UpdateService/Update");
    expect(rpc).toMatchObject({ parentSpanId: pipelineSpanId, kind: 2, serviceName: "update-manager" });
    const accept = one("update.accept");
    expect(accept.parentSpanId).toBe(rpc.spanId);
    expect(accept.attributes).toMatchObject({ "update.id": id, "update.classifier": "shop", "update.image": `${repo}:2.1.0` });
    expect(one("update.plan").parentSpanId).toBe(accept.spanId);
    expect(one("update.lock").parentSpanId).toBe(accept.spanId);
    const attempt = one("update.attempt");
    expect(attempt).toMatchObject({ parentSpanId: accept.spanId, links: [] });
    expect(attempt.attributes).toMatchObject({ "update.id": id, "update.attempt": 1, "update.state": "succeeded" });

    const steps = spans.filter((span) => span.parentSpanId === attempt.spanId);
    expect(steps.map((span) => `${span.name} ${span.attributes["update.workload"]}`)).toEqual([
      "update.workload.patch Deployment/shop/admin",
      "update.workload.health_gate Deployment/shop/admin",
    ]);
    for (const step of steps) {
      expect(step.attributes).toMatchObject({
        "update.id": id,
        "update.classifier": "shop",
        "update.image": `${repo}:2.1.0`,
        "k8s.namespace.name": "shop",
        "update.workload.kind": "Deployment",
      });
      expect(step.status.code).not.toBe(2);
    }
    // Every log line about the update carries both ids.
    const lines = server.logs.filter((line) => line.update_id === id);
    expect(lines.map((line) => line.msg)).toEqual(expect.arrayContaining(["update started", "workload healthy", "update finished"]));
    for (const line of lines) expect(line.trace_id, JSON.stringify(line)).toBe(pipelineTraceId);
    expect(receiver.contentTypes[0]).toBe("application/x-protobuf");
  });

  it("starts a trace of its own for an update without a traceparent, and records it with the update", async () => {
    const client = createClient(UpdateService, createGrpcTransport({ baseUrl: server.apiUrl }));
    const { update } = await client.update({ image: `${repo}:2.1.0-broken`, classifier: "shop" });
    const id = update!.id;
    expect(update?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(update?.traceId).not.toBe(pipelineTraceId);
    for await (const _ of client.watchUpdate({ updateId: id }, { timeoutMs: 60_000 })) {
      // to the finished event
    }
    await received((span) => span.name === "update.attempt" && span.attributes["update.id"] === id);
    const spans = receiver.spans.filter((span) => span.traceId === update?.traceId);
    const rpc = spans.find((span) => span.name === "updatemanager.v1.UpdateService/Update");
    expect(rpc?.parentSpanId).toBe("");
    const attempt = spans.find((span) => span.name === "update.attempt");
    expect(attempt?.attributes["update.state"]).toBe("rolled-back");
    expect(attempt?.status.code).toBe(2);
    const rollback = spans.find((span) => span.name === "update.rollback");
    expect(rollback?.parentSpanId).toBe(attempt?.spanId);
    expect(spans.filter((span) => span.parentSpanId === rollback?.spanId).map((span) => span.name)).toEqual(
      expect.arrayContaining(["update.workload.restore", "update.workload.health_gate"]),
    );
  });

  it("exports a span per migration Job under the attempt, and a patch and a health gate per workload", async () => {
    // registry.example.com/shop/web: the demo's Job shop/web-migrate is its migration template, run first.
    const client = createClient(UpdateService, createGrpcTransport({ baseUrl: server.apiUrl }));
    const { update } = await client.update({ image: "registry.example.com/shop/web:1.5.0", classifier: "shop" });
    const id = update!.id;
    for await (const _ of client.watchUpdate({ updateId: id }, { timeoutMs: 90_000 })) {
      // to the finished event
    }
    await received((span) => span.name === "update.attempt" && span.attributes["update.id"] === id);
    const spans = receiver.spans.filter((span) => span.traceId === update?.traceId);
    const attempt = spans.find((span) => span.name === "update.attempt");
    expect(attempt?.attributes["update.state"]).toBe("succeeded");
    const steps = spans.filter((span) => span.parentSpanId === attempt?.spanId);
    const migrations = steps.filter((span) => span.name === "update.migration");
    expect(migrations).toHaveLength(1);
    expect(migrations[0]?.attributes).toMatchObject({
      "update.id": id,
      "update.classifier": "shop",
      "update.image": "registry.example.com/shop/web:1.5.0",
      "k8s.job.name": update?.plan?.migrations[0]?.jobName,
      "update.migration.template": "Job/shop/web-migrate",
    });
    const patched = steps.filter((span) => span.name === "update.workload.patch").map((span) => span.attributes["update.workload"]);
    const planned = update?.plan?.workloads.filter((workload) => !workload.unchanged).length;
    expect(patched).toHaveLength(planned!);
    expect(new Set(patched).size).toBe(planned);
    // Every Deployment's patch is followed by its health gate.
    for (const workload of patched.filter((name) => String(name).startsWith("Deployment/"))) {
      expect(steps.some((span) => span.name === "update.workload.health_gate" && span.attributes["update.workload"] === workload), String(workload)).toBe(true);
    }
  });

  it("continues the caller's trace for an update started over the legacy REST endpoint, as over the Update RPC", async () => {
    const restTraceId = "0af7651916cd43dd8448eb211c80319c";
    const restSpanId = "b7ad6b7169203331";
    const answer = await fetch(`${server.apiUrl}/updates`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", traceparent: `00-${restTraceId}-${restSpanId}-01` },
      body: new URLSearchParams({ image: `${repo}:2.1.1`, update_classifier: "shop" }),
    });
    expect(answer.status).toBe(201);
    const id = ((await answer.json()) as { uuid: string }).uuid;
    const client = createClient(UpdateService, createGrpcTransport({ baseUrl: server.apiUrl }));
    expect((await client.getUpdate({ updateId: id })).update?.traceId).toBe(restTraceId);
    await received((span) => span.name === "update.accept" && span.attributes["update.id"] === id);
    await received((span) => span.name === "POST /updates" && span.traceId === restTraceId);
    const spans = receiver.spans.filter((span) => span.traceId === restTraceId);
    const rest = spans.find((span) => span.name === "POST /updates");
    expect(rest).toMatchObject({ parentSpanId: restSpanId, kind: 2 });
    expect(rest?.attributes).toMatchObject({ "http.request.method": "POST", "http.route": "/updates", "http.response.status_code": 201 });
    expect(spans.find((span) => span.name === "update.accept")?.parentSpanId).toBe(rest?.spanId);
  });
});
