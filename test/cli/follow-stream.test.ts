import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { type FollowStreamOptions, followStream, type Reconnect } from "../../src/cli/follow-stream.js";
import { createFakeClock, type FakeClock } from "../support/fake-clock.js";

/** A message of a made-up stream: an event with a sequence, or a heartbeat without one. */
type Message = { readonly sequence?: bigint };

/** What one call of `open` does: send these messages, then end, fail, or hang until aborted. */
type Step = { send: Message[]; ending: "end" | "hang" | ConnectError };

const refused = (): Step => ({ send: [], ending: new ConnectError("connect ECONNREFUSED", Code.Unavailable) });

function follow(
  clock: FakeClock,
  steps: Step[],
  extra: Partial<FollowStreamOptions<Message, string>> = {},
) {
  const opened: bigint[] = [];
  const messages: Message[] = [];
  const reconnects: Reconnect[] = [];
  const done = followStream<Message, string>({
    clock,
    open(afterSequence, signal) {
      opened.push(afterSequence);
      const step = steps.shift() ?? { send: [], ending: "hang" };
      return (async function* () {
        for (const message of step.send) yield message;
        if (step.ending === "end") return;
        if (step.ending instanceof ConnectError) throw step.ending;
        await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
        throw new ConnectError("aborted", Code.Canceled);
      })();
    },
    sequenceOf: (message) => message.sequence,
    onMessage(message) {
      messages.push(message);
      return undefined;
    },
    onEnd: () => new ConnectError("ended early", Code.Unavailable),
    onReconnect: (reconnect) => reconnects.push(reconnect),
    ...extra,
  });
  return { done, opened, messages, reconnects };
}

describe("followStream", () => {
  it("starts the backoff over once a reconnected stream delivers a message", async () => {
    const clock = createFakeClock();
    const run = follow(clock, [refused(), refused(), { send: [{ sequence: 1n }], ending: refused().ending }, refused()]);
    await clock.advanceAsync(500 + 1000 + 500 + 1000);
    expect(run.reconnects.map((r) => r.delayMs)).toEqual([500, 1000, 500, 1000]);
    expect(run.opened).toEqual([0n, 0n, 0n, 1n, 1n]);
  });

  it("applies the configured first and longest delay", async () => {
    const clock = createFakeClock();
    const run = follow(clock, [refused(), refused(), refused(), refused()], { initialDelayMs: 100, maxDelayMs: 300 });
    await clock.advanceAsync(100 + 200 + 300);
    expect(run.reconnects.map((r) => r.delayMs)).toEqual([100, 200, 300, 300]);
  });

  it("skips events at or before the last sequence but passes every message without one", async () => {
    const clock = createFakeClock();
    const run = follow(clock, [{ send: [{ sequence: 3n }, {}, { sequence: 2n }, { sequence: 3n }, { sequence: 4n }, {}], ending: "hang" }], {
      afterSequence: 2n,
      waitTimeoutMs: 1000,
    });
    await clock.advanceAsync(1000);
    expect(await run.done).toEqual({ kind: "wait-timed-out", lastSequence: 4n });
    expect(run.messages).toEqual([{ sequence: 3n }, {}, { sequence: 4n }, {}]);
  });

  it("ends with what onMessage or onEnd returns, onEnd getting the last sequence", async () => {
    const clock = createFakeClock();
    const byMessage = follow(clock, [{ send: [{ sequence: 1n }, { sequence: 2n }, { sequence: 3n }], ending: "hang" }], {
      onMessage: (message) => (message.sequence === 2n ? "done at 2" : undefined),
    });
    expect(await byMessage.done).toBe("done at 2");
    const byEnd = follow(clock, [{ send: [{ sequence: 5n }], ending: "end" }], { onEnd: (last) => `ended after ${last}` });
    expect(await byEnd.done).toBe("ended after 5");
    expect(byEnd.reconnects).toEqual([]);
  });

  it("handles an error onEnd throws like the stream's own: resumable ones reconnect, others are thrown", async () => {
    const clock = createFakeClock();
    let ends = 0;
    const resumable = follow(clock, [{ send: [], ending: "end" }, { send: [], ending: "end" }], {
      onEnd: async () => {
        ends += 1;
        if (ends === 1) throw new ConnectError("server went away", Code.Unavailable);
        return "settled";
      },
    });
    await clock.advanceAsync(500);
    expect(await resumable.done).toBe("settled");
    expect(resumable.reconnects.map((r) => r.cause.message)).toEqual(["[unavailable] server went away"]);

    const denied = new ConnectError("denied", Code.PermissionDenied);
    const fatal = follow(createFakeClock(), [{ send: [], ending: "end" }], {
      onEnd: async () => {
        throw denied;
      },
    });
    await expect(fatal.done).rejects.toBe(denied);
    expect(fatal.opened).toHaveLength(1);
  });

  it("stops at the wait timeout during a backoff, without opening the stream again", async () => {
    const clock = createFakeClock();
    const run = follow(clock, [refused(), refused(), refused()], { waitTimeoutMs: 1200 });
    await clock.advanceAsync(1200);
    expect(await run.done).toEqual({ kind: "wait-timed-out", lastSequence: 0n });
    // 0.5 s, then a 1 s delay that would end after the deadline: the follow waits out the deadline instead.
    expect(run.opened).toHaveLength(2);
    expect(run.reconnects.map((r) => r.delayMs)).toEqual([500, 1000]);
  });
});
