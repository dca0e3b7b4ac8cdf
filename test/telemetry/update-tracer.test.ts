import { context, propagation, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUpdateTracer } from "../../src/telemetry/update-tracer.js";
import { createHarness, deployment, isEvent } from "../core/use-cases/engine-harness.js";

const oldImage = "registry.example.com/shop/web:1.0";
const newImage = "registry.example.com/shop/web:2.0";

// What the NodeSDK registers in the process: context propagation across awaits and W3C trace context.
beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});
afterAll(() => {
  context.disable();
  propagation.disable();
});

function setup() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const otelTracer = provider.getTracer("test");
  return { exporter, otelTracer, tracer: createUpdateTracer(otelTracer) };
}

function seed(h: ReturnType<typeof createHarness>) {
  h.add({ kind: "Job", namespace: "shop", name: "migrate", classifier: "shop", containers: [{ name: "m", image: oldImage }] });
  h.add({ kind: "Deployment", namespace: "shop", name: "a", classifier: "shop", replicas: 2, containers: [{ name: "app", image: oldImage }] });
  h.add({ kind: "Deployment", namespace: "shop", name: "b", classifier: "shop", replicas: 2, containers: [{ name: "app", image: oldImage }] });
}

/** The finished spans as a tree of names (children in start order), from the spans whose parent is `rootId`. */
function tree(spans: readonly ReadableSpan[], rootId: string | undefined): unknown[] {
  return spans
    .filter((span) => span.parentSpanContext?.spanId === rootId)
    .sort((x, y) => x.startTime[0] - y.startTime[0] || x.startTime[1] - y.startTime[1])
    .map((span) => {
      const children = tree(spans, span.spanContext().spanId);
      const label = span.attributes["update.workload"] ?? span.attributes["k8s.job.name"];
      const name = label === undefined ? span.name : `${span.name} ${String(label)}`;
      return children.length === 0 ? name : { [name]: children };
    });
}

const byName = (spans: readonly ReadableSpan[], name: string) => spans.filter((span) => span.name === name);

describe("the trace of an update", () => {
  it("is one trace under the RPC's span: accept (plan, lock), then the attempt with a span per step", async () => {
    const { exporter, otelTracer, tracer } = setup();
    const h = createHarness({ tracer, cluster: { jobDurationMs: 2000 } });
    seed(h);
    // The Update RPC's server span, as createTracingInterceptor makes it: the handler runs in its context.
    const rpc = otelTracer.startSpan("updatemanager.v1.UpdateService/Update");
    const started = await context.with(trace.setSpan(context.active(), rpc), () =>
      h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" }),
    );
    rpc.end();
    const done = await h.settle(started.id);
    expect(done.state).toBe("succeeded");

    const spans = exporter.getFinishedSpans();
    const traceId = rpc.spanContext().traceId;
    expect(new Set(spans.map((span) => span.spanContext().traceId))).toEqual(new Set([traceId]));
    expect(done.trace?.traceId).toBe(traceId);
    expect(tree(spans, undefined)).toEqual([
      {
        "updatemanager.v1.UpdateService/Update": [
          {
            "update.accept": [
              "update.plan",
              "update.lock",
              {
                "update.attempt": [
                  `update.migration ${done.migrations[0]?.jobName}`,
                  "update.workload.patch Deployment/shop/a",
                  "update.workload.health_gate Deployment/shop/a",
                  "update.workload.patch Deployment/shop/b",
                  "update.workload.health_gate Deployment/shop/b",
                ],
              },
            ],
          },
        ],
      },
    ]);
    const [accept] = byName(spans, "update.accept");
    expect(done.trace?.spanId).toBe(accept?.spanContext().spanId);
    expect(accept?.attributes).toMatchObject({
      "update.id": started.id,
      "update.classifier": "shop",
      "update.image": newImage,
      "update.requester": "ci",
    });
    expect(byName(spans, "update.plan")[0]?.attributes).toMatchObject({ "update.plan.workloads": 2, "update.plan.migrations": 1 });
    const [attempt] = byName(spans, "update.attempt");
    expect(attempt?.links).toEqual([]);
    expect(attempt?.attributes).toMatchObject({
      "update.id": started.id,
      "update.attempt": 1,
      "update.state": "succeeded",
      "update.phase": "finished",
    });
    expect(attempt?.status.code).toBe(SpanStatusCode.UNSET);
    for (const step of spans.filter((span) => span.name.startsWith("update.workload."))) {
      expect(step.attributes).toMatchObject({
        "update.id": started.id,
        "update.classifier": "shop",
        "update.image": newImage,
        "update.workload.kind": "Deployment",
        "k8s.namespace.name": "shop",
      });
    }
    expect(byName(spans, "update.migration")[0]?.attributes).toMatchObject({
      "update.id": started.id,
      "k8s.job.name": done.migrations[0]?.jobName,
      "update.migration.template": "Job/shop/migrate",
    });
    expect(byName(spans, "update.workload.health_gate").map((span) => span.attributes["update.gate.outcome"])).toEqual([
      "healthy",
      "healthy",
    ]);
  });

  it("shows a rollback with the failed health gate, then each restore and its gate, and marks the attempt failed", async () => {
    const { exporter, tracer } = setup();
    const h = createHarness({ tracer });
    seed(h);
    h.cluster.failImage(newImage, "crash-loop");
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    const done = await h.settle(id);
    expect(done.state).toBe("rolled-back");

    const spans = exporter.getFinishedSpans();
    const [accept] = byName(spans, "update.accept");
    // No RPC span: the accept span starts the update's trace.
    expect(accept?.parentSpanContext).toBeUndefined();
    expect(tree(spans, accept?.spanContext().spanId)).toEqual([
      "update.plan",
      "update.lock",
      {
        "update.attempt": [
          expect.stringMatching(/^update\.migration /),
          "update.workload.patch Deployment/shop/a",
          "update.workload.health_gate Deployment/shop/a",
          { "update.rollback": ["update.workload.restore Deployment/shop/a", "update.workload.health_gate Deployment/shop/a"] },
        ],
      },
    ]);
    const failedGate = byName(spans, "update.workload.health_gate")[0];
    expect(failedGate?.status.code).toBe(SpanStatusCode.ERROR);
    expect(failedGate?.status.message).toContain("CrashLoopBackOff");
    expect(byName(spans, "update.rollback")[0]?.attributes).toMatchObject({ "update.rollback.cause": "failure", "update.rollback.workloads": 1 });
    expect(byName(spans, "update.workload.health_gate")[1]?.attributes).toMatchObject({ "update.rollback": true, "update.gate.outcome": "healthy" });
    const [attempt] = byName(spans, "update.attempt");
    expect(attempt?.status).toEqual({ code: SpanStatusCode.ERROR, message: done.reason });
    expect(attempt?.attributes["update.state"]).toBe("rolled-back");
  });

  it("continues a resumed update in the same trace: a second attempt span linked to the first", async () => {
    const { exporter, tracer } = setup();
    const h = createHarness({ tracer });
    seed(h);
    const { id } = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    await h.until(id, isEvent("workload-patched", deployment("a")));
    await h.manager.shutdown();
    const halted = (await h.store.get(id))!;

    const restarted = h.restart();
    expect(await restarted.resumeUnfinished()).toEqual({ resumed: [id], failed: [] });
    const done = await h.settle(id, 60 * 60_000, 500, restarted);
    expect(done.state).toBe("succeeded");

    const spans = exporter.getFinishedSpans();
    const [accept] = byName(spans, "update.accept");
    const [first, second] = byName(spans, "update.attempt");
    expect(halted.trace).toMatchObject({ attempts: 1, attemptSpanId: first?.spanContext().spanId });
    expect(done.trace).toMatchObject({
      traceId: accept?.spanContext().traceId,
      spanId: accept?.spanContext().spanId,
      attempts: 2,
      attemptSpanId: second?.spanContext().spanId,
    });
    expect(first?.attributes).toMatchObject({ "update.attempt": 1, "update.halted": true, "update.state": "running" });
    expect(second?.attributes).toMatchObject({ "update.attempt": 2, "update.start_phase": "rolling-out", "update.state": "succeeded" });
    for (const attempt of [first, second]) {
      expect(attempt?.spanContext().traceId).toBe(accept?.spanContext().traceId);
      expect(attempt?.parentSpanContext?.spanId).toBe(accept?.spanContext().spanId);
    }
    expect(second?.links.map((link) => [link.context.spanId, link.attributes])).toEqual([
      [first?.spanContext().spanId, { "update.link": "previous-attempt" }],
    ]);
    // The resumed attempt gates a (patched before the restart) and patches and gates b.
    expect(tree(spans, second?.spanContext().spanId)).toEqual([
      "update.workload.health_gate Deployment/shop/a",
      "update.workload.patch Deployment/shop/b",
      "update.workload.health_gate Deployment/shop/b",
    ]);
  });

  it("waits in the queue, then plans, locks and runs in the trace it was accepted in", async () => {
    const { exporter, tracer } = setup();
    const h = createHarness({ tracer });
    seed(h);
    const first = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    const queued = await h.manager.startUpdate(
      { image: "registry.example.com/shop/web:3.0", classifier: "shop", queueIfBusy: true },
      { requester: "ci" },
    );
    expect(queued.state).toBe("queued");
    await h.settle(first.id);
    const done = await h.settle(queued.id);
    expect(done.state).toBe("succeeded");

    const all = exporter.getFinishedSpans().filter((span) => span.attributes["update.id"] === queued.id);
    const [accept] = byName(all, "update.accept");
    expect(done.trace?.spanId).toBe(accept?.spanContext().spanId);
    // The wait, recorded when it ended: from the queue time to leaving the queue, on the engine's clock.
    const [wait] = byName(all, "update.queue_wait");
    expect(wait?.parentSpanContext?.spanId).toBe(accept?.spanContext().spanId);
    expect(wait?.attributes["update.queue.outcome"]).toBe("left");
    const waitedMs = wait!.duration[0] * 1000 + wait!.duration[1] / 1e6;
    expect(waitedMs).toBe(done.startTime!.getTime() - done.queuedTime!.getTime());
    const spans = all.filter((span) => span !== wait);
    const children = tree(spans, accept?.spanContext().spanId);
    // Planned, refused the lock (the first update holds it), queued; when its turn came planned again, locked, run.
    expect(children.slice(0, 4)).toEqual(["update.plan", "update.lock", "update.plan", "update.lock"]);
    expect(Object.keys(children[4] as object)).toEqual(["update.attempt"]);
    const [busy, taken] = byName(spans, "update.lock");
    expect(busy?.status.message).toContain(first.id);
    expect(taken?.status.code).toBe(SpanStatusCode.UNSET);
    expect(byName(spans, "update.plan")[1]?.attributes).toMatchObject({ "update.queued": true });
  });

  it("records the wait of a queued update that is cancelled, ending at the cancel, in its own trace", async () => {
    const { exporter, tracer } = setup();
    const h = createHarness({ tracer });
    seed(h);
    const first = await h.manager.startUpdate({ image: newImage, classifier: "shop" }, { requester: "ci" });
    const queued = await h.manager.startUpdate(
      { image: "registry.example.com/shop/web:3.0", classifier: "shop", queueIfBusy: true },
      { requester: "ci" },
    );
    await h.clock.advanceAsync(1000);
    await h.manager.cancelUpdate(queued.id, "not needed", "ci");
    await h.settle(first.id);
    const [wait] = byName(exporter.getFinishedSpans(), "update.queue_wait");
    expect(wait?.spanContext().traceId).toBe(queued.trace?.traceId);
    expect(wait?.attributes).toMatchObject({ "update.id": queued.id, "update.queue.outcome": "cancelled" });
    expect(wait?.status.code).toBe(SpanStatusCode.UNSET);
    expect(byName(exporter.getFinishedSpans(), "update.attempt").map((span) => span.attributes["update.id"])).toEqual([first.id]);
  });
});

describe("createUpdateTracer without an SDK", () => {
  it("gives spans valid ids of their own, in the parent's trace, so updates still get a trace id", () => {
    const tracer = createUpdateTracer(trace.getTracer("no-sdk"));
    const root = tracer.startSpan("update.accept");
    expect(root.ref.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(root.ref.spanId).toMatch(/^[0-9a-f]{16}$/);
    const child = tracer.startSpan("update.attempt", { parent: root.ref });
    expect(child.ref.traceId).toBe(root.ref.traceId);
    expect(child.ref.spanId).not.toBe(root.ref.spanId);
    expect(tracer.startSpan("update.accept").ref.traceId).not.toBe(root.ref.traceId);
  });
});
