import { describe, expect, it } from "vitest";
import { createAvailableUpdateEvents } from "../../../src/cluster/kubernetes/available-update-events.js";
import { KubernetesApiError } from "../../../src/cluster/kubernetes/kubernetes-errors.js";
import type { RestClient, RestRequest } from "../../../src/cluster/kubernetes/rest-client.js";
import type { AvailableUpdate } from "../../../src/core/domain/available-update.js";
import type { CoreLogger } from "../../../src/core/ports/logger.js";
import { createFakeClock } from "../../support/fake-clock.js";

interface PostedEvent {
  metadata: { name: string; namespace: string };
  involvedObject: Record<string, string>;
  reason: string;
  type: string;
  message: string;
  source: { component: string };
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
}

/** A REST client that records requests; `fail` makes the next requests answer with that HTTP status. */
function fakeRest() {
  const requests: RestRequest[] = [];
  const state = { fail: undefined as number | undefined };
  const rest: RestClient = {
    async request<T>(request: RestRequest): Promise<T> {
      requests.push(request);
      if (state.fail !== undefined) throw new KubernetesApiError(state.fail, { message: `events is forbidden (${state.fail})` });
      return request.body as T;
    },
  };
  return { rest, requests, state, events: () => requests.map((request) => request.body as PostedEvent) };
}

function recordingLogger() {
  const warnings: string[] = [];
  const logger: CoreLogger = {
    debug() {},
    info() {},
    warn: (_fields, message) => warnings.push(message),
    error() {},
    child: () => logger,
  };
  return { logger, warnings };
}

const finding = (overrides: Partial<AvailableUpdate> = {}): AvailableUpdate => ({
  workload: { kind: "Deployment", namespace: "shop", name: "web" },
  classifier: "shop",
  container: "app",
  currentImage: "registry.example.com/team/app:1.0.0",
  availableImage: "registry.example.com/team/app:2.0.0",
  policy: "semver:patch",
  mode: "update",
  status: "beyond-policy",
  message: "",
  checkTime: new Date("2030-01-02T03:04:05.678Z"),
  ...overrides,
});

function setup(options: { maxRemembered?: number } = {}) {
  const fake = fakeRest();
  const { logger, warnings } = recordingLogger();
  const clock = createFakeClock(new Date("2030-01-02T03:04:05.678Z"));
  const notifier = createAvailableUpdateEvents({
    rest: fake.rest,
    clock,
    logger,
    uidOf: (ref) => (ref.name === "web" ? "uid-of-web" : undefined),
    ...options,
  });
  return { ...fake, warnings, notifier };
}

describe("createAvailableUpdateEvents", () => {
  it("creates a Normal UpdateAvailable Event on the workload naming container, current and available image and why", async () => {
    const { notifier, requests, events } = setup();
    expect(await notifier.announce(finding())).toBe(true);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.method).toBe("POST");
    expect(requests[0]?.path).toBe("/api/v1/namespaces/shop/events");
    const event = events()[0]!;
    expect(event.metadata.namespace).toBe("shop");
    expect(event.metadata.name).toMatch(/^web\.[0-9a-f]+$/);
    expect(event.involvedObject).toEqual({ apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "web", uid: "uid-of-web" });
    expect(event.reason).toBe("UpdateAvailable");
    expect(event.type).toBe("Normal");
    expect(event.source.component).toBe("update-manager");
    expect(event.count).toBe(1);
    expect(event.firstTimestamp).toBe("2030-01-02T03:04:05Z");
    expect(event.lastTimestamp).toBe("2030-01-02T03:04:05Z");
    expect(event.message).toBe(
      "Container app: registry.example.com/team/app:2.0.0 is available (running registry.example.com/team/app:1.0.0, " +
        "policy semver:patch, mode update); not applied: beyond what policy semver:patch applies by itself " +
        "(update through the pipeline or widen the policy)",
    );
  });

  it("says why for every status: applying names the update, soaking its end, refusals their reason", async () => {
    const { notifier, events } = setup();
    await notifier.announce(finding({ availableImage: "r/a:1.0.1", status: "applying", updateId: "u-1" }));
    await notifier.announce(finding({ availableImage: "r/a:1.0.2", status: "soaking", soakingUntil: new Date("2030-01-03T00:00:00Z") }));
    await notifier.announce(finding({ availableImage: "r/a:1.0.3", status: "refused", message: "no workload matches" }));
    await notifier.announce(finding({ availableImage: "r/a:1.0.4", status: "notify" }));
    const messages = events().map((event) => event.message);
    expect(messages[0]).toContain("r/a:1.0.1 is available");
    expect(messages[0]).toContain("; being applied by update u-1");
    expect(messages[1]).toContain("not applied yet: soaking (min-age) until 2030-01-03T00:00:00.000Z");
    expect(messages[2]).toContain("not applied: the update engine refused it: no workload matches");
    expect(messages[3]).toContain("not applied: the mode is notify");
  });

  it("announces a finding once, however often the watcher reports it or its status changes", async () => {
    const { notifier, requests } = setup();
    expect(await notifier.announce(finding({ status: "soaking" }))).toBe(true);
    expect(await notifier.announce(finding({ status: "soaking" }))).toBe(false);
    expect(await notifier.announce(finding({ status: "applying", updateId: "u-2" }))).toBe(false);
    // Another available image, container or workload is another finding.
    expect(await notifier.announce(finding({ availableImage: "registry.example.com/team/app:2.1.0" }))).toBe(true);
    expect(await notifier.announce(finding({ container: "sidecar" }))).toBe(true);
    expect(await notifier.announce(finding({ workload: { kind: "Deployment", namespace: "other", name: "web" } }))).toBe(true);
    expect(requests).toHaveLength(4);
  });

  it("keeps its memory bounded: the oldest finding is forgotten first", async () => {
    const { notifier, requests } = setup({ maxRemembered: 2 });
    for (const tag of ["1", "2", "3"]) await notifier.announce(finding({ availableImage: `r/a:${tag}` }));
    expect(await notifier.announce(finding({ availableImage: "r/a:3" }))).toBe(false);
    expect(await notifier.announce(finding({ availableImage: "r/a:2" }))).toBe(false);
    expect(await notifier.announce(finding({ availableImage: "r/a:1" }))).toBe(true); // forgotten, announced again
    expect(requests).toHaveLength(4);
  });

  it("never rejects: a refused Event is logged, and tried again on the finding's next report", async () => {
    const { notifier, requests, state, warnings } = setup();
    state.fail = 403;
    expect(await notifier.announce(finding())).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("could not announce registry.example.com/team/app:2.0.0 for Deployment/shop/web");
    expect(warnings[0]).toContain("events is forbidden (403)");
    state.fail = undefined;
    expect(await notifier.announce(finding())).toBe(true);
    expect(requests).toHaveLength(2);
  });

  it("names CronJobs by batch/v1 and leaves out a uid it does not know", async () => {
    const { notifier, events } = setup();
    await notifier.announce(finding({ workload: { kind: "CronJob", namespace: "shop", name: "nightly" } }));
    expect(events()[0]?.involvedObject).toEqual({ apiVersion: "batch/v1", kind: "CronJob", namespace: "shop", name: "nightly" });
  });

  it("cuts messages to Kubernetes' 1024 characters", async () => {
    const { notifier, events } = setup();
    await notifier.announce(finding({ status: "refused", message: "x".repeat(2000) }));
    const message = events()[0]!.message;
    expect(message).toHaveLength(1024);
    expect(message.endsWith("...")).toBe(true);
  });

  it("refuses a memory bound that is not a positive integer", () => {
    expect(() => setup({ maxRemembered: 0 })).toThrow(RangeError);
  });
});
