import type { AvailableUpdate } from "../domain/available-update.js";
import { findingHash, findingOf, type Notification, type NotificationKind } from "../domain/notification.js";
import { channelsFor, type NotificationRoute } from "../domain/notification-route.js";
import type { WorkloadRef } from "../domain/workload.js";
import type { Clock } from "../ports/clock.js";
import type { CoreLogger } from "../ports/logger.js";
import type { NotificationDedupeStore } from "../ports/notification-dedupe-store.js";
import type { NotificationMessage, Notifier } from "../ports/notifier.js";

/**
 * What became of a notification on one channel (the `result` label of `update_manager_notifications_total`):
 * - `sent`: a message (a notification or a summary) was accepted by the channel;
 * - `retried`: an attempt failed and is retried after a backoff;
 * - `failed`: every attempt failed; the message is given up (and not remembered, so the same finding may be sent
 *   when it happens again);
 * - `duplicate`: the channel was told about this finding before;
 * - `summarised`: held back by the channel's rate limit, counted in the summary sent when the minute ends;
 * - `dropped`: the channel's queue was full (it has been failing for a long time).
 */
export type NotificationResult = "sent" | "retried" | "failed" | "duplicate" | "summarised" | "dropped";

export const notificationResults: readonly NotificationResult[] = ["sent", "retried", "failed", "duplicate", "summarised", "dropped"];

export interface NotificationDispatcherDeps {
  /** One per configured channel. */
  readonly notifiers: readonly Notifier[];
  readonly routes: readonly NotificationRoute[];
  readonly dedupe: NotificationDedupeStore;
  readonly clock: Clock;
  readonly logger: CoreLogger;
  /** Counts each result per channel (metrics). Default: none. */
  readonly onResult?: (channel: string, result: NotificationResult) => void;
}

/** Tunables; every option is optional. */
export interface NotificationDispatcherOptions {
  /** Messages a channel sends a minute; the rest are summarised in one message when the minute ends. Default: 20. */
  readonly rateLimitPerMinute?: number;
  /** Per-channel rate limits, by channel name. Default: `rateLimitPerMinute` for every channel. */
  readonly channelRateLimits?: Readonly<Record<string, number>>;
  /** Attempts per message, the first included. Default: 5. */
  readonly attempts?: number;
  /** Wait before the first retry; doubled for each further one. Default: 1000 ms. */
  readonly backoffMs?: number;
  /** Longest wait between attempts. Default: 60 000 ms. */
  readonly maxBackoffMs?: number;
  /** Messages waiting per channel; past it new ones are dropped (counted). Default: 1000. */
  readonly maxQueued?: number;
  /** How long close() waits for messages being sent before it writes the sent findings. Default: 2000 ms. */
  readonly closeTimeoutMs?: number;
}

/**
 * Tells people what the engine and the watcher do. Every method returns at once and never throws: delivery happens
 * in the background, one message at a time per channel, so a slow or failing channel never holds up an update (nor
 * another channel).
 */
export interface NotificationDispatcher {
  notify(notification: Notification): void;
  /** The registry watcher's finding; only `notify` mode findings are sent (the others become updates). */
  versionAvailable(update: AvailableUpdate): void;
  /** Hook for approvals: an update waits for approval. */
  approvalNeeded(facts: UpdateFacts): void;
  /** Hook for node plans. */
  nodePlanStarted(facts: NodePlanFacts): void;
  /** Hook for node plans. */
  nodePlanFailed(facts: NodePlanFacts): void;
  /** Resolves when nothing is being delivered or checked (held summaries wait for their minute: advance the clock). */
  whenIdle(): Promise<void>;
  /**
   * Stops: retries end, held summaries are not sent, messages being sent get at most `closeTimeoutMs`; then writes
   * the remembered findings.
   */
  close(): Promise<void>;
}

/** The facts of an update for the hooks. */
export interface UpdateFacts {
  readonly updateId: string;
  readonly classifier: string;
  readonly workloads: readonly WorkloadRef[];
  readonly image: string;
  readonly requester?: string;
  readonly reason?: string;
}

/** The facts of a node plan for the hooks. */
export interface NodePlanFacts {
  readonly nodePlan: string;
  /** What it moves nodes to (an OS image, a kubelet version), if anything. Default: "". */
  readonly version?: string;
  /** The plan hash (spec and version) being applied: a new hash is new news. Default: none. */
  readonly hash?: string;
  readonly reason?: string;
}

interface Job {
  readonly message: NotificationMessage;
  /** Findings remembered once the message is sent. */
  readonly findings: readonly string[];
}

interface Held {
  count: number;
  kinds: Partial<Record<NotificationKind, number>>;
  samples: Notification[];
  findings: string[];
  from: Date;
}

interface Channel {
  readonly notifier: Notifier;
  readonly limit: number;
  readonly queue: Job[];
  draining: boolean;
  windowStart: number | undefined;
  sentInWindow: number;
  held: Held | undefined;
  cancelSummary: (() => void) | undefined;
  /** Findings queued, held or in flight: a second one is a duplicate before the first is remembered. */
  readonly pending: Set<string>;
}

const minuteMs = 60_000;
const maxSamples = 10;
/** Findings of held notifications remembered after their summary; beyond it they are not (they may repeat). */
const maxHeldFindings = 10_000;

export function createNotificationDispatcher(deps: NotificationDispatcherDeps, options: NotificationDispatcherOptions = {}): NotificationDispatcher {
  const rateLimit = options.rateLimitPerMinute ?? 20;
  const attempts = options.attempts ?? 5;
  const backoffMs = options.backoffMs ?? 1000;
  const maxBackoffMs = options.maxBackoffMs ?? 60_000;
  const maxQueued = options.maxQueued ?? 1000;
  const closeTimeoutMs = options.closeTimeoutMs ?? 2000;
  for (const [name, value] of Object.entries({ rateLimit, attempts, backoffMs, maxBackoffMs, maxQueued, ...options.channelRateLimits })) {
    if (!Number.isInteger(value) || value <= 0) throw new RangeError(`notification option ${name} must be a positive integer, got ${value}`);
  }
  const { clock, logger, dedupe } = deps;
  const count = deps.onResult ?? (() => {});
  const channels = new Map<string, Channel>();
  for (const notifier of deps.notifiers) {
    channels.set(notifier.channel, {
      notifier,
      limit: options.channelRateLimits?.[notifier.channel] ?? rateLimit,
      queue: [],
      draining: false,
      windowStart: undefined,
      sentInWindow: 0,
      held: undefined,
      cancelSummary: undefined,
      pending: new Set(),
    });
  }
  const active = new Set<Promise<void>>();
  const sleeps = new Set<() => void>();
  let closed = false;

  const track = (work: Promise<void>): void => {
    active.add(work);
    void work.finally(() => active.delete(work));
  };

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const wake = () => {
        sleeps.delete(wake);
        cancel();
        resolve();
      };
      const cancel = clock.setTimer(ms, wake);
      sleeps.add(wake);
    });

  function notify(notification: Notification): void {
    if (closed) return;
    try {
      const finding = findingHash(findingOf(notification));
      for (const name of channelsFor(deps.routes, notification)) {
        const channel = channels.get(name);
        if (channel === undefined) continue; // the configuration is checked: every routed channel exists.
        if (channel.pending.has(finding)) {
          count(name, "duplicate");
          continue;
        }
        channel.pending.add(finding);
        track(check(channel, notification, finding));
      }
    } catch (error) {
      logger.error({ err: error, kind: notification.kind, ...updateFieldsOf(notification) }, "could not dispatch a notification");
    }
  }

  async function check(channel: Channel, notification: Notification, finding: string): Promise<void> {
    const name = channel.notifier.channel;
    let seen = false;
    try {
      seen = await dedupe.has(name, finding);
    } catch (error) {
      // Better told twice than not at all.
      logger.warn({ err: error, channel: name }, `notification channel ${name}: the sent findings cannot be read; sending without the duplicate check`);
    }
    if (seen) {
      channel.pending.delete(finding);
      count(name, "duplicate");
      return;
    }
    admit(channel, notification, finding);
  }

  /** The channel's rate limit: a window starts with the first message after the previous one ended. */
  function admit(channel: Channel, notification: Notification, finding: string): void {
    const now = clock.now().getTime();
    if (channel.windowStart === undefined || now >= channel.windowStart + minuteMs) {
      channel.windowStart = now;
      channel.sentInWindow = 0;
    }
    if (channel.sentInWindow < channel.limit) {
      channel.sentInWindow++;
      enqueue(channel, { message: { type: "notification", notification }, findings: [finding] });
      return;
    }
    count(channel.notifier.channel, "summarised");
    let held = channel.held;
    if (held === undefined) {
      held = { count: 0, kinds: {}, samples: [], findings: [], from: notification.time };
      channel.held = held;
      const windowEnd = channel.windowStart + minuteMs;
      channel.cancelSummary = clock.setTimer(Math.max(0, windowEnd - now), () => sendSummary(channel));
    }
    held.count++;
    held.kinds[notification.kind] = (held.kinds[notification.kind] ?? 0) + 1;
    if (held.samples.length < maxSamples) held.samples.push(notification);
    if (held.findings.length < maxHeldFindings) held.findings.push(finding);
    else channel.pending.delete(finding);
  }

  function sendSummary(channel: Channel): void {
    const held = channel.held;
    channel.held = undefined;
    channel.cancelSummary = undefined;
    if (held === undefined || closed) return;
    enqueue(channel, {
      message: { type: "summary", count: held.count, kinds: held.kinds, samples: held.samples, from: held.from, to: clock.now() },
      findings: held.findings,
    });
  }

  function enqueue(channel: Channel, job: Job): void {
    if (channel.queue.length >= maxQueued) {
      count(channel.notifier.channel, "dropped");
      for (const finding of job.findings) channel.pending.delete(finding);
      logger.error({ channel: channel.notifier.channel, queued: channel.queue.length }, `notification channel ${channel.notifier.channel}: queue full, message dropped`);
      return;
    }
    channel.queue.push(job);
    if (!channel.draining) track(drain(channel));
  }

  async function drain(channel: Channel): Promise<void> {
    channel.draining = true;
    try {
      for (let job = channel.queue.shift(); job !== undefined && !closed; job = channel.queue.shift()) {
        const delivered = await deliver(channel, job.message);
        for (const finding of job.findings) {
          channel.pending.delete(finding);
          if (delivered) dedupe.add(channel.notifier.channel, finding);
        }
      }
    } finally {
      channel.draining = false;
    }
  }

  async function deliver(channel: Channel, message: NotificationMessage): Promise<boolean> {
    const name = channel.notifier.channel;
    const what = message.type === "summary" ? `summary of ${message.count}` : message.notification.kind;
    // A line about one update's notification names the update and its trace, as every line about an update.
    const about = message.type === "summary" ? {} : updateFieldsOf(message.notification);
    for (let attempt = 1; ; attempt++) {
      try {
        await channel.notifier.send(message);
        count(name, "sent");
        logger.debug({ channel: name, message: what, attempt, ...about }, `notification sent to ${name}`);
        return true;
      } catch (error) {
        if (attempt >= attempts || closed) {
          count(name, "failed");
          logger.error({ err: error, channel: name, message: what, attempts: attempt, ...about }, `notification channel ${name}: giving up after ${attempt} attempts: ${messageOf(error)}`);
          return false;
        }
        count(name, "retried");
        const waitMs = Math.min(maxBackoffMs, backoffMs * 2 ** (attempt - 1));
        logger.warn({ err: error, channel: name, message: what, attempt, retryInMs: waitMs, ...about }, `notification channel ${name}: attempt ${attempt} failed: ${messageOf(error)}`);
        await sleep(waitMs);
        if (closed) {
          count(name, "failed");
          logger.error({ channel: name, message: what, attempts: attempt, ...about }, `notification channel ${name}: shutting down; giving up after ${attempt} attempts`);
          return false;
        }
      }
    }
  }

  const updateNotification = (kind: NotificationKind, facts: UpdateFacts, state: string): Notification => ({
    kind,
    time: clock.now(),
    classifier: facts.classifier,
    workloads: facts.workloads,
    image: facts.image,
    updateId: facts.updateId,
    state,
    reason: facts.reason ?? "",
    ...(facts.requester === undefined ? {} : { requester: facts.requester }),
  });

  const nodePlanNotification = (kind: NotificationKind, facts: NodePlanFacts, state: string): Notification => ({
    kind,
    time: clock.now(),
    workloads: [],
    image: facts.version ?? "",
    nodePlan: facts.nodePlan,
    ...(facts.hash === undefined ? {} : { hash: facts.hash }),
    state,
    reason: facts.reason ?? "",
  });

  return {
    notify,
    versionAvailable(update) {
      if (update.status !== "notify") return;
      notify({
        kind: "version-available",
        time: update.checkTime,
        classifier: update.classifier,
        workloads: [update.workload],
        image: update.availableImage,
        currentImage: update.currentImage,
        container: update.container,
        state: "notify",
        reason: update.message,
      });
    },
    approvalNeeded: (facts) => notify(updateNotification("approval-needed", facts, "waiting-for-approval")),
    nodePlanStarted: (facts) => notify(nodePlanNotification("node-plan-started", facts, "started")),
    nodePlanFailed: (facts) => notify(nodePlanNotification("node-plan-failed", facts, "failed")),
    async whenIdle() {
      while (active.size > 0) await Promise.all([...active]);
    },
    async close() {
      closed = true;
      for (const channel of channels.values()) {
        channel.cancelSummary?.();
        if (channel.held !== undefined) {
          logger.warn({ channel: channel.notifier.channel, held: channel.held.count }, "shutting down: held notifications not summarised");
        }
        channel.held = undefined;
      }
      for (const wake of [...sleeps]) wake();
      // A message being sent may take its whole timeout: shutdown waits for it only so long.
      let cancelWait: (() => void) | undefined;
      const waited = new Promise<void>((resolve) => {
        cancelWait = clock.setTimer(closeTimeoutMs, resolve);
      });
      const drained = (async () => {
        while (active.size > 0) await Promise.all([...active]);
      })();
      await Promise.race([drained, waited]);
      cancelWait?.();
      await dedupe.flush();
    },
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `update_id` and `trace_id` of the update a notification is about; none for what is not about an update. */
function updateFieldsOf(notification: Notification): { update_id?: string; trace_id?: string } {
  return {
    ...(notification.updateId === undefined ? {} : { update_id: notification.updateId }),
    ...(notification.traceId === undefined ? {} : { trace_id: notification.traceId }),
  };
}
