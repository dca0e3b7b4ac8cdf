import { KubeConfig } from "@kubernetes/client-node";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { RestClient, RestRequest } from "../../../src/cluster/kubernetes/rest-client.js";
import type { Notification } from "../../../src/core/domain/notification.js";
import type { UpdateEventBody } from "../../../src/core/domain/update-event.js";
import type { SaveOptions, UpdateStore } from "../../../src/core/ports/update-store.js";
import { notifyUpdateEvents, updateNotifications } from "../../../src/core/use-cases/notify-update-events.js";
import { observeUpdateStore } from "../../../src/core/use-cases/observe-update-store.js";
import { createKubernetesUpdateStore } from "../../../src/store/kubernetes/kubernetes-update-store.js";
import type { UpdateRunObject } from "../../../src/store/kubernetes/update-run-codec.js";
import { createMemoryUpdateStore } from "../../../src/store/memory/memory-update-store.js";
import { createUpdateMetrics } from "../../../src/telemetry/update-metrics.js";
import { aRecord } from "../../contract/update-store-contract.js";
import { createFakeClock } from "../../support/fake-clock.js";

const web = { kind: "Deployment" as const, namespace: "shop", name: "web" };

/** A memory store that remembers the options of every save. */
function recordingStore() {
  const store = createMemoryUpdateStore({ clock: createFakeClock() });
  const options: (SaveOptions | undefined)[] = [];
  const recording: UpdateStore = {
    ...store,
    save: (record, events, saveOptions) => {
      options.push(saveOptions);
      return store.save(record, events, saveOptions);
    },
  };
  return { store: recording, options };
}

describe("observeUpdateStore", () => {
  it("hands every save to the store with its options, and the observers what the engine saved", async () => {
    const { store, options } = recordingStore();
    const seen: string[] = [];
    const observed = observeUpdateStore(store, [
      { created: (record) => seen.push(`created ${record.state}`), saved: (record, events) => seen.push(`saved ${record.state} ${events.map((e) => e.type).join(",")}`) },
    ]);
    const record = aRecord("00000000-0000-4000-8000-000000000021");
    await observed.create(record, []);
    await observed.save({ ...record, state: "running" }, [{ type: "workload-healthy", workload: web }], { batch: true });
    await observed.save({ ...record, state: "succeeded" }, [{ type: "finished", state: "succeeded", reason: "" }]);
    expect(options).toEqual([{ batch: true }, undefined]);
    expect(seen).toEqual(["created pending", "saved running workload-healthy", "saved succeeded finished"]);
  });

  it("never fails a save an observer threw on", async () => {
    const { store } = recordingStore();
    const observed = observeUpdateStore(store, [
      {
        saved: () => {
          throw new Error("an observer that throws");
        },
      },
    ]);
    const record = aRecord("00000000-0000-4000-8000-000000000022");
    await observed.create(record, []);
    await expect(observed.save({ ...record, state: "running" }, [])).resolves.toEqual([]);
  });

  it("keeps the group commit of the UpdateRun store, wrapped for metrics and notifications: batched saves, one write", async () => {
    const puts: number[] = [];
    let stored: UpdateRunObject | undefined;
    let version = 0;
    const rest: RestClient = {
      async request<T>(request: RestRequest): Promise<T> {
        if (request.method === "GET") return structuredClone(stored) as T;
        const body = request.body as UpdateRunObject;
        stored = { ...body, metadata: { ...body.metadata, uid: "uid-1", resourceVersion: String(++version) } };
        if (request.method === "PUT") puts.push(stored.status?.lastSequence ?? 0);
        return structuredClone(stored) as T;
      },
    };
    const clock = createFakeClock();
    const kube = createKubernetesUpdateStore({ kubeConfig: new KubeConfig(), rest, namespace: "update-manager", clock, identity: "replica-a" });
    const told: Notification[] = [];
    const metrics = createUpdateMetrics(new Registry());
    // Each way the application wraps the engine's store.
    const wrapped = [
      observeUpdateStore(kube, [metrics.observer, updateNotifications({ notify: (n) => told.push(n) })]),
      metrics.observeStore(kube),
      notifyUpdateEvents(kube, { notify: (n) => told.push(n) }),
    ];
    for (const [index, store] of wrapped.entries()) {
      puts.length = 0;
      const record = aRecord(`00000000-0000-4000-8000-00000000003${index}`);
      await store.create(record, []);
      const running = { ...record, state: "running" as const, phase: "rolling-out" as const };
      const progress: UpdateEventBody[] = [
        { type: "workload-patched", workload: web, containers: [] },
        { type: "workload-healthy", workload: web },
      ];
      for (const body of progress) await store.save(running, [body], { batch: true });
      // Staged: nothing written until the window ends, then once for both.
      expect(puts).toEqual([0]);
      await clock.advanceAsync(100);
      expect(puts).toEqual([0, 2]);
    }
  });
});
