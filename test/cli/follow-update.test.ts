import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { UpdateState } from "../../gen/updatemanager/v1/update_pb.js";
import {
  type WatchUpdateRequest,
  type WatchUpdateResponse,
  WatchUpdateResponseSchema,
} from "../../gen/updatemanager/v1/update_service_pb.js";
import { type FollowUpdateOptions, followUpdate, type Reconnect } from "../../src/cli/follow-update.js";
import { createFakeClock, type FakeClock } from "../support/fake-clock.js";

function event(sequence: number, finished?: UpdateState): WatchUpdateResponse {
  return create(WatchUpdateResponseSchema, {
    message: {
      case: "event",
      value: {
        sequence: BigInt(sequence),
        updateId: "u-1",
        kind:
          finished === undefined
            ? { case: "workloadHealthy", value: { workload: { name: `w${sequence}` } } }
            : { case: "finished", value: { state: finished } },
      },
    },
  });
}

const heartbeat = create(WatchUpdateResponseSchema, { message: { case: "heartbeat", value: { lastSequence: 0n } } });

/** What one WatchUpdate call does: send these messages, then end, fail, or hang until aborted (`ending`). */
type Step = { send: WatchUpdateResponse[]; ending: "end" | "hang" | ConnectError };

/** A WatchUpdate that plays one step per call and records the requests. */
function fakeWatch(steps: Step[]) {
  const requests: WatchUpdateRequest[] = [];
  const client = {
    watchUpdate(request: Partial<WatchUpdateRequest>, options?: { signal?: AbortSignal }) {
      requests.push(request as WatchUpdateRequest);
      const step = steps.shift() ?? { send: [], ending: "hang" };
      const signal = options?.signal;
      return (async function* () {
        for (const message of step.send) yield message;
        if (step.ending === "end") return;
        if (step.ending instanceof ConnectError) throw step.ending;
        await new Promise<void>((resolve) => signal?.addEventListener("abort", () => resolve(), { once: true }));
        throw new ConnectError("aborted", Code.Canceled);
      })();
    },
  } as unknown as FollowUpdateOptions["client"];
  return { client, requests };
}

function follow(clock: FakeClock, client: FollowUpdateOptions["client"], extra: Partial<FollowUpdateOptions> = {}) {
  const messages: WatchUpdateResponse[] = [];
  const reconnects: Reconnect[] = [];
  const done = followUpdate({
    client,
    updateId: "u-1",
    clock,
    onMessage: (message) => messages.push(message),
    onReconnect: (reconnect) => reconnects.push(reconnect),
    ...extra,
  });
  return { done, messages, reconnects };
}

const sequences = (messages: WatchUpdateResponse[]) =>
  messages.flatMap((m) => (m.message.case === "event" ? [Number(m.message.value.sequence)] : []));

describe("followUpdate", () => {
  it("resumes after a dropped connection from the last event it got, printing each event once", async () => {
    const clock = createFakeClock();
    const { client, requests } = fakeWatch([
      { send: [event(1), event(2)], ending: new ConnectError("connection reset", Code.Unavailable) },
      // A server that repeats an event after resuming must not make the CLI show it twice.
      { send: [event(2), event(3), heartbeat, event(4, UpdateState.SUCCEEDED)], ending: "end" },
    ]);
    const run = follow(clock, client);
    await clock.advanceAsync(500);
    const outcome = await run.done;
    expect(outcome).toMatchObject({ kind: "finished", finished: { state: UpdateState.SUCCEEDED } });
    expect(requests.map((r) => r.afterSequence)).toEqual([0n, 2n]);
    expect(sequences(run.messages)).toEqual([1, 2, 3, 4]);
    expect(run.messages.filter((m) => m.message.case === "heartbeat")).toHaveLength(1);
    expect(run.reconnects).toEqual([expect.objectContaining({ delayMs: 500, afterSequence: 2n })]);
  });

  it("resumes when the server drops it as too slow, after the sequence it received", async () => {
    const clock = createFakeClock();
    const tooSlow = new ConnectError("watcher too slow", Code.ResourceExhausted, undefined, [
      { desc: ErrorInfoSchema, value: { reason: "WATCHER_TOO_SLOW", domain: "update-manager", metadata: { last_sequence: "1" } } },
    ]);
    const { client, requests } = fakeWatch([
      { send: [event(1)], ending: tooSlow },
      { send: [event(2, UpdateState.ROLLED_BACK)], ending: "end" },
    ]);
    const run = follow(clock, client, { afterSequence: 0n });
    await clock.advanceAsync(500);
    expect(await run.done).toMatchObject({ kind: "finished", finished: { state: UpdateState.ROLLED_BACK } });
    expect(requests.map((r) => r.afterSequence)).toEqual([0n, 1n]);
  });

  it("backs off exponentially while the server stays away, and resumes a stream that ended early", async () => {
    const clock = createFakeClock();
    const down = () => ({ send: [], ending: new ConnectError("connect ECONNREFUSED", Code.Unavailable) }) as Step;
    const { client } = fakeWatch([
      { send: [event(1)], ending: "end" },
      down(),
      down(),
      { send: [event(2, UpdateState.SUCCEEDED)], ending: "end" },
    ]);
    const run = follow(clock, client);
    await clock.advanceAsync(500 + 1000 + 2000);
    expect(await run.done).toMatchObject({ kind: "finished" });
    expect(run.reconnects.map((r) => r.delayMs)).toEqual([500, 1000, 2000]);
    expect(run.reconnects[0]?.cause.message).toContain("ended before the update finished");
  });

  it("throws errors a retry cannot fix at once", async () => {
    for (const error of [
      new ConnectError("update nope not found", Code.NotFound),
      new ConnectError("denied", Code.PermissionDenied),
      new ConnectError("slow down", Code.ResourceExhausted),
    ]) {
      const { client, requests } = fakeWatch([{ send: [], ending: error }]);
      await expect(follow(createFakeClock(), client).done).rejects.toBe(error);
      expect(requests).toHaveLength(1);
    }
  });

  it("stops at --wait-timeout with the last sequence, without cancelling anything", async () => {
    const clock = createFakeClock();
    const { client, requests } = fakeWatch([{ send: [event(1), event(2)], ending: "hang" }]);
    const run = follow(clock, client, { waitTimeoutMs: 1000 });
    await clock.advanceAsync(999);
    let settled = false;
    void run.done.then(() => {
      settled = true;
    });
    await clock.flush();
    expect(settled).toBe(false);
    await clock.advanceAsync(1);
    expect(await run.done).toEqual({ kind: "wait-timed-out", lastSequence: 2n });
    expect(requests).toHaveLength(1);
  });

  it("reconnects a stream that went silent (no heartbeat for the idle timeout)", async () => {
    const clock = createFakeClock();
    const { client, requests } = fakeWatch([
      { send: [event(1)], ending: "hang" },
      { send: [event(2, UpdateState.SUCCEEDED)], ending: "end" },
    ]);
    const run = follow(clock, client, { idleTimeoutMs: 60_000 });
    await clock.advanceAsync(60_000 + 500);
    expect(await run.done).toMatchObject({ kind: "finished" });
    expect(run.reconnects[0]?.cause.message).toContain("no message for 60 s");
    expect(requests.map((r) => r.afterSequence)).toEqual([0n, 1n]);
  });

  it("gives up when reconnecting has failed for the give-up time in a row", async () => {
    const clock = createFakeClock();
    const steps: Step[] = Array.from({ length: 100 }, () => ({
      send: [],
      ending: new ConnectError("connect ECONNREFUSED", Code.Unavailable),
    }));
    const { client } = fakeWatch(steps);
    const run = follow(clock, client, { giveUpAfterMs: 60_000, maxDelayMs: 15_000 });
    const rejected = expect(run.done).rejects.toThrow("ECONNREFUSED");
    await clock.advanceAsync(120_000);
    await rejected;
    // 0.5 + 1 + 2 + 4 + 8 + 15 + 15 + 15 s: the attempt after 60 s gives up.
    expect(run.reconnects.map((r) => r.delayMs)).toEqual([500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000]);
  });
});
