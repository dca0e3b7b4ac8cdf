import { describe, expect, it } from "vitest";
import { KubernetesApiError } from "../../../src/cluster/kubernetes/kubernetes-errors.js";
import { createConfigMapNotificationDedupeStore } from "../../../src/store/kubernetes/config-map-notification-dedupe-store.js";
import { describeNotificationDedupeStoreContract } from "../../contract/notification-dedupe-store-contract.js";
import { createFakeClock } from "../../support/fake-clock.js";
import { fakeApiServer } from "./fake-config-map-server.js";

describeNotificationDedupeStoreContract("ConfigMap on a fake API server", async () => {
  const server = fakeApiServer();
  const clock = createFakeClock();
  return (settings) => createConfigMapNotificationDedupeStore({ rest: server.rest, namespace: "update-manager", clock, ...settings });
});

describe("sent findings in a ConfigMap", () => {
  it("writes the findings of a burst in one write, a moment after the first", async () => {
    const server = fakeApiServer();
    const clock = createFakeClock();
    const store = createConfigMapNotificationDedupeStore({ rest: server.rest, namespace: "update-manager", clock });
    expect(await store.has("mail", "a")).toBe(false);
    store.add("mail", "a");
    store.add("chat", "a");
    store.add("mail", "b");
    expect(server.requests).toEqual(["GET"]);
    await clock.advanceAsync(1000);
    await clock.flush();
    expect(server.requests).toEqual(["GET", "GET", "POST"]);
  });

  it("keeps what another replica wrote", async () => {
    const server = fakeApiServer();
    const clock = createFakeClock();
    const replica1 = createConfigMapNotificationDedupeStore({ rest: server.rest, namespace: "update-manager", clock });
    const replica2 = createConfigMapNotificationDedupeStore({ rest: server.rest, namespace: "update-manager", clock });
    expect(await replica1.has("mail", "x")).toBe(false);
    expect(await replica2.has("mail", "x")).toBe(false);
    replica1.add("mail", "from-1");
    await replica1.flush();
    replica2.add("mail", "from-2");
    await replica2.flush();
    const restarted = createConfigMapNotificationDedupeStore({ rest: server.rest, namespace: "update-manager", clock });
    expect(await restarted.has("mail", "from-1")).toBe(true);
    expect(await restarted.has("mail", "from-2")).toBe(true);
  });

  it("retries a failed write later, without losing the finding", async () => {
    const server = fakeApiServer();
    const clock = createFakeClock();
    let refuse = 1;
    const rest = {
      request: async <T>(request: Parameters<typeof server.rest.request>[0]): Promise<T> => {
        if (request.method !== "GET" && refuse-- > 0) throw new KubernetesApiError(403, { message: "forbidden" });
        return server.rest.request<T>(request);
      },
    };
    const errors: string[] = [];
    const logger = { debug() {}, info() {}, warn() {}, error: (_fields: unknown, message: string) => errors.push(message), child: () => ({}) as never };
    const store = createConfigMapNotificationDedupeStore({ rest, namespace: "update-manager", clock, logger, retryDelayMs: 5000 });
    expect(await store.has("mail", "a")).toBe(false);
    store.add("mail", "a");
    await clock.advanceAsync(1000);
    await clock.flush();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/cannot write the sent notifications to ConfigMap update-manager\/update-manager-notifications/);
    await clock.advanceAsync(5000);
    await clock.flush();
    const restarted = createConfigMapNotificationDedupeStore({ rest: server.rest, namespace: "update-manager", clock });
    expect(await restarted.has("mail", "a")).toBe(true);
  });
});
