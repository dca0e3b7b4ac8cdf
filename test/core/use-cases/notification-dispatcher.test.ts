import { describe, expect, it } from "vitest";
import type { AvailableUpdate } from "../../../src/core/domain/available-update.js";
import { findingHash, findingOf, type Notification, type NotificationKind } from "../../../src/core/domain/notification.js";
import type { NotificationRoute } from "../../../src/core/domain/notification-route.js";
import type { NotificationMessage, Notifier } from "../../../src/core/ports/notifier.js";
import { createNotificationDispatcher, type NotificationDispatcherOptions, type NotificationResult } from "../../../src/core/use-cases/notification-dispatcher.js";
import { createMemoryNotificationDedupeStore } from "../../../src/store/memory/memory-notification-dedupe-store.js";
import { createFakeClock } from "../../support/fake-clock.js";
import { createRecordingLogger, type LogLine } from "./engine-harness.js";

/** A channel that records what it was sent and fails its first `failures` attempts. */
function fakeNotifier(channel: string, failures = 0) {
  const sent: NotificationMessage[] = [];
  let attempts = 0;
  const notifier: Notifier = {
    channel,
    async send(message) {
      attempts++;
      if (attempts <= failures) throw new Error(`${channel} is down`);
      sent.push(message);
    },
  };
  return { notifier, sent, attempts: () => attempts };
}

const web = { kind: "Deployment", namespace: "shop", name: "web" } as const;

function notification(kind: NotificationKind, image: string, overrides: Partial<Notification> = {}): Notification {
  return { kind, time: new Date("2025-01-01T00:00:00Z"), classifier: "shop", workloads: [web], image, state: "succeeded", reason: "", ...overrides };
}

function setup(routes: NotificationRoute[], channels: ReturnType<typeof fakeNotifier>[], options: NotificationDispatcherOptions = {}) {
  const clock = createFakeClock();
  const results: string[] = [];
  const lines: LogLine[] = [];
  const dedupe = createMemoryNotificationDedupeStore();
  const dispatcher = createNotificationDispatcher(
    {
      notifiers: channels.map((channel) => channel.notifier),
      routes,
      dedupe,
      clock,
      logger: createRecordingLogger(lines),
      onResult: (channel: string, result: NotificationResult) => results.push(`${channel}:${result}`),
    },
    options,
  );
  return { clock, results, dispatcher, dedupe, lines };
}

const texts = (messages: NotificationMessage[]) =>
  messages.map((message) => (message.type === "summary" ? `summary:${message.count}` : `${message.notification.kind} ${message.notification.image}`));

describe("the notification dispatcher", () => {
  it("sends a finding once per channel: a repeat (a resumed update, a restart) is dropped as a duplicate", async () => {
    const mail = fakeNotifier("mail");
    const chat = fakeNotifier("chat");
    const { dispatcher, results } = setup([{ channels: ["mail", "chat"] }], [mail, chat]);
    dispatcher.notify(notification("update-succeeded", "r/web:2"));
    dispatcher.notify(notification("update-succeeded", "r/web:2", { updateId: "another-update" })); // in flight
    await dispatcher.whenIdle();
    dispatcher.notify(notification("update-succeeded", "r/web:2")); // remembered
    dispatcher.notify(notification("update-failed", "r/web:2", { state: "failed" })); // another state: news
    await dispatcher.whenIdle();
    expect(texts(mail.sent)).toEqual(["update-succeeded r/web:2", "update-failed r/web:2"]);
    expect(texts(chat.sent)).toEqual(texts(mail.sent));
    expect(results.filter((result) => result === "mail:duplicate")).toHaveLength(2);
  });

  it("sends at most the rate limit a minute per channel and summarises the rest in one message when the minute ends", async () => {
    const chat = fakeNotifier("chat");
    const { dispatcher, clock, results } = setup([{ channels: ["chat"] }], [chat], { rateLimitPerMinute: 3 });
    for (let version = 1; version <= 7; version++) dispatcher.notify(notification("version-available", `r/web:${version}`, { state: "notify" }));
    await dispatcher.whenIdle();
    expect(texts(chat.sent)).toEqual(["version-available r/web:1", "version-available r/web:2", "version-available r/web:3"]);
    expect(results.filter((result) => result === "chat:summarised")).toHaveLength(4);

    await clock.advanceAsync(60_000);
    await dispatcher.whenIdle();
    const summary = chat.sent[3];
    expect(summary).toMatchObject({ type: "summary", count: 4, kinds: { "version-available": 4 } });
    expect(summary?.type === "summary" && summary.samples.map((sample) => sample.image)).toEqual(["r/web:4", "r/web:5", "r/web:6", "r/web:7"]);
    // The summarised findings count as told: they are not sent again one by one.
    dispatcher.notify(notification("version-available", "r/web:5", { state: "notify" }));
    // A new minute: the limit starts again.
    dispatcher.notify(notification("version-available", "r/web:8", { state: "notify" }));
    await dispatcher.whenIdle();
    expect(texts(chat.sent).slice(4)).toEqual(["version-available r/web:8"]);
  });

  it("keeps each channel's limit to itself", async () => {
    const busy = fakeNotifier("busy");
    const quiet = fakeNotifier("quiet");
    const { dispatcher } = setup([{ channels: ["busy"] }, { events: ["update-failed"], channels: ["quiet"] }], [busy, quiet], {
      rateLimitPerMinute: 1,
      channelRateLimits: { quiet: 5 },
    });
    dispatcher.notify(notification("update-succeeded", "r/web:1"));
    dispatcher.notify(notification("update-failed", "r/web:2", { state: "failed" }));
    dispatcher.notify(notification("update-failed", "r/web:3", { state: "failed" }));
    await dispatcher.whenIdle();
    expect(texts(busy.sent)).toEqual(["update-succeeded r/web:1"]);
    expect(texts(quiet.sent)).toEqual(["update-failed r/web:2", "update-failed r/web:3"]);
  });

  it("retries a failing channel with growing waits, counts each attempt, and does not hold up another channel", async () => {
    const down = fakeNotifier("down", 2);
    const up = fakeNotifier("up");
    const { dispatcher, clock, results } = setup([{ channels: ["down", "up"] }], [down, up], { backoffMs: 1000 });
    dispatcher.notify(notification("update-failed", "r/web:2", { state: "failed", reason: "rollout failed" }));
    await clock.flush();
    await clock.flush();
    expect(texts(up.sent)).toEqual(["update-failed r/web:2"]);
    expect(down.attempts()).toBe(1);
    await clock.advanceAsync(999);
    expect(down.attempts()).toBe(1);
    await clock.advanceAsync(1);
    expect(down.attempts()).toBe(2);
    await clock.advanceAsync(1999); // the second wait is twice the first
    expect(down.attempts()).toBe(2);
    await clock.advanceAsync(1);
    await dispatcher.whenIdle();
    expect(texts(down.sent)).toEqual(["update-failed r/web:2"]);
    expect(results.filter((result) => result.startsWith("down:"))).toEqual(["down:retried", "down:retried", "down:sent"]);
  });

  it("gives up after its attempts, counts the failure, and sends the finding when it happens again", async () => {
    const down = fakeNotifier("down", 3);
    const { dispatcher, clock, results, lines } = setup([{ channels: ["down"] }], [down], { attempts: 3, backoffMs: 10 });
    dispatcher.notify(
      notification("update-failed", "r/web:2", { state: "failed", updateId: "u-1", traceId: "4bf92f3577b34da6a3ce929d0e0e4736" }),
    );
    await clock.advanceAsync(100);
    await dispatcher.whenIdle();
    expect(results).toEqual(["down:retried", "down:retried", "down:failed"]);
    // Each line about the update's notification names the update and its trace, as every line about an update.
    const about = lines.filter((line) => line.level !== "debug");
    expect(about.map((line) => line.message)).toEqual([
      "notification channel down: attempt 1 failed: down is down",
      "notification channel down: attempt 2 failed: down is down",
      "notification channel down: giving up after 3 attempts: down is down",
    ]);
    for (const line of about) expect(line.fields).toMatchObject({ update_id: "u-1", trace_id: "4bf92f3577b34da6a3ce929d0e0e4736" });
    dispatcher.notify(notification("update-failed", "r/web:2", { state: "failed" }));
    await dispatcher.whenIdle();
    expect(texts(down.sent)).toEqual(["update-failed r/web:2"]);
  });

  it("drops messages beyond a full queue, counted", async () => {
    const down = fakeNotifier("down", 100);
    const { dispatcher, results } = setup([{ channels: ["down"] }], [down], { maxQueued: 2, rateLimitPerMinute: 10 });
    for (let version = 1; version <= 5; version++) dispatcher.notify(notification("update-succeeded", `r/web:${version}`));
    await Promise.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    // The first is in flight, two wait, two are dropped.
    expect(results.filter((result) => result === "down:dropped")).toHaveLength(2);
    await dispatcher.close();
  });

  it("sends the registry watcher's notify-mode findings only, and routes the hooks like any notification", async () => {
    const chat = fakeNotifier("chat");
    const { dispatcher } = setup([{ channels: ["chat"] }], [chat]);
    const finding: AvailableUpdate = {
      workload: web,
      classifier: "shop",
      container: "web",
      currentImage: "r/web:1.0.0",
      availableImage: "r/web:1.1.0",
      policy: "semver:minor",
      mode: "notify",
      status: "notify",
      message: "",
      checkTime: new Date("2025-01-01T00:00:00Z"),
    };
    dispatcher.versionAvailable(finding);
    dispatcher.versionAvailable({ ...finding, availableImage: "r/web:2.0.0", status: "beyond-policy" });
    dispatcher.approvalNeeded({ updateId: "u1", classifier: "shop", workloads: [web], image: "r/web:1.1.0" });
    dispatcher.nodePlanFailed({ nodePlan: "kernel-6", reason: "node-1 did not come back" });
    await dispatcher.whenIdle();
    expect(texts(chat.sent)).toEqual(["version-available r/web:1.1.0", "approval-needed r/web:1.1.0", "node-plan-failed "]);
  });

  it("tells a node plan's start once per hash, and not again what was remembered before the hash had a field of its own", async () => {
    const infra = fakeNotifier("infra");
    const { dispatcher, dedupe } = setup([{ channels: ["infra"] }], [infra]);
    // Remembered by an earlier version, which wrote the hash into the version text.
    dedupe.add("infra", findingHash(findingOf({ kind: "node-plan-started", time: new Date(0), workloads: [], image: "v1 (hash 333333333333)", nodePlan: "os", state: "started", reason: "" })));
    dispatcher.nodePlanStarted({ nodePlan: "os", version: "v1", hash: "1111111111111111" });
    dispatcher.nodePlanStarted({ nodePlan: "os", version: "v1", hash: "2222222222222222" });
    await dispatcher.whenIdle();
    dispatcher.nodePlanStarted({ nodePlan: "os", version: "v1", hash: "1111111111111111" });
    dispatcher.nodePlanStarted({ nodePlan: "os", version: "v1", hash: "3333333333333333" });
    await dispatcher.whenIdle();
    expect(infra.sent.map((message) => (message.type === "notification" ? message.notification.hash : message.type))).toEqual([
      "1111111111111111",
      "2222222222222222",
    ]);
    await dispatcher.close();
  });

  it("refuses a rate limit that is not a positive integer", () => {
    expect(() => setup([], [], { rateLimitPerMinute: 0 })).toThrow(/rateLimit/);
  });

  it("stops retrying at close without another attempt, and still writes what was sent", async () => {
    const down = fakeNotifier("down", 100);
    const up = fakeNotifier("up");
    const { dispatcher, clock, results, dedupe } = setup([{ channels: ["down", "up"] }], [down, up], { backoffMs: 60_000 });
    dispatcher.notify(notification("update-failed", "r/web:2", { state: "failed" }));
    await clock.flush();
    await clock.flush();
    expect(down.attempts()).toBe(1);
    await dispatcher.close();
    expect(down.attempts()).toBe(1);
    expect(results.filter((result) => result.startsWith("down:"))).toEqual(["down:retried", "down:failed"]);
    expect(clock.pendingTimers()).toBe(0);
    expect(Object.keys(dedupe.snapshot())).toEqual(["up"]);
  });

  it("waits at most its close timeout for a message that is still being sent", async () => {
    const hanging: Notifier = { channel: "slow", send: () => new Promise(() => {}) };
    const { dispatcher, clock } = setup([{ channels: ["slow"] }], [{ notifier: hanging, sent: [], attempts: () => 0 }], { closeTimeoutMs: 2000 });
    dispatcher.notify(notification("update-started", "r/web:2", { state: "running" }));
    await clock.flush();
    let closed = false;
    const closing = dispatcher.close().then(() => {
      closed = true;
    });
    await clock.advanceAsync(1999);
    expect(closed).toBe(false);
    await clock.advanceAsync(1);
    await closing;
    expect(closed).toBe(true);
  });
});
