import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { UpdateState } from "../../../gen/updatemanager/v1/update_pb.js";
import type { WatchUpdateResponse } from "../../../gen/updatemanager/v1/update_service_pb.js";
import { type WatchStatus, watchWithResume } from "../../../src/dashboard/browser/watch-with-resume.js";
import { createFakeClock, type FakeClock } from "../../support/fake-clock.js";
import { eventMessage, heartbeatMessage } from "./events.js";

const progress = (n: number) => eventMessage(n, { case: "workloadHealthy", value: {} });
const finished = (n: number) => eventMessage(n, { case: "finished", value: { state: UpdateState.SUCCEEDED } });

/** One scripted stream: yields its messages, then ends, fails, or hangs until the watcher aborts it. */
type Script = { messages: WatchUpdateResponse[]; ending: "end" | "hang" | ConnectError };

function scriptedWatch(scripts: Script[]) {
  const calls: bigint[] = [];
  const watch = (afterSequence: bigint, signal: AbortSignal): AsyncIterable<WatchUpdateResponse> => {
    calls.push(afterSequence);
    const script = scripts.shift();
    if (script === undefined) throw new Error("the watcher opened more streams than the test scripted");
    return (async function* () {
      for (const message of script.messages) yield message;
      if (script.ending === "end") return;
      if (script.ending === "hang") {
        await new Promise((_, reject) =>
          signal.addEventListener("abort", () => reject(new ConnectError("the operation was aborted", Code.Canceled))),
        );
      }
      throw script.ending;
    })();
  };
  return { watch, calls };
}

/** Moves the fake clock until `promise` settles; a bounded number of steps, never real time. */
async function settle<T>(clock: FakeClock, promise: Promise<T>, maxMs = 600_000): Promise<T> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  for (let waited = 0; !done && waited <= maxMs; waited += 250) await clock.advanceAsync(250);
  if (!done) throw new Error(`did not settle within ${maxMs} ms of fake time`);
  return promise;
}

function run(scripts: Script[], options: { abort?: AbortController; afterSequence?: bigint } = {}) {
  const clock = createFakeClock();
  const { watch, calls } = scriptedWatch(scripts);
  const events: bigint[] = [];
  const statuses: WatchStatus[] = [];
  const abort = options.abort ?? new AbortController();
  const outcome = watchWithResume({
    watch,
    afterSequence: options.afterSequence ?? 0n,
    onEvent: (event) => events.push(event.sequence),
    onStatus: (status) => statuses.push(status),
    signal: abort.signal,
    timers: clock,
  });
  return { clock, calls, events, statuses, outcome, abort };
}

describe("watching an update across dropped streams", () => {
  it("resumes after the last event it received when the stream fails, without gaps or repeats", async () => {
    const { clock, calls, events, statuses, outcome } = run([
      { messages: [progress(1), progress(2)], ending: new ConnectError("connection reset", Code.Unavailable) },
      // The server may resend what the watcher already has; it must not be shown twice.
      { messages: [progress(2), progress(3), finished(4)], ending: "end" },
    ]);
    expect(await settle(clock, outcome)).toBe("finished");
    expect(calls).toEqual([0n, 2n]);
    expect(events).toEqual([1n, 2n, 3n, 4n]);
    expect(statuses).toContainEqual({ state: "reconnecting", inMs: 1000, reason: "[unavailable] connection reset" });
    expect(statuses.at(-1)).toEqual({ state: "finished" });
  });

  it("reopens a stream that ended without the terminal event (a server restart ends streams cleanly)", async () => {
    const { clock, calls, events, outcome } = run([
      { messages: [progress(1)], ending: "end" },
      { messages: [finished(2)], ending: "end" },
    ]);
    expect(await settle(clock, outcome)).toBe("finished");
    expect(calls).toEqual([0n, 1n]);
    expect(events).toEqual([1n, 2n]);
  });

  it("presumes a silent stream dead after the idle timeout and resumes it", async () => {
    const { clock, calls, statuses, outcome } = run([
      { messages: [progress(1)], ending: "hang" },
      { messages: [finished(2)], ending: "end" },
    ]);
    expect(await settle(clock, outcome)).toBe("finished");
    expect(calls).toEqual([0n, 1n]);
    expect(statuses).toContainEqual({ state: "reconnecting", inMs: 1000, reason: "no message for 45 s" });
  });

  it("keeps a quiet stream open while heartbeats arrive (one every 15 s)", async () => {
    const clock = createFakeClock();
    const calls: bigint[] = [];
    const outcome = watchWithResume({
      watch(afterSequence) {
        calls.push(afterSequence);
        return (async function* () {
          for (let beat = 0; beat < 10; beat++) {
            await new Promise<void>((resolve) => clock.setTimer(15_000, resolve));
            yield heartbeatMessage(0);
          }
          yield finished(1);
        })();
      },
      afterSequence: 0n,
      onEvent: () => {},
      onStatus: () => {},
      signal: new AbortController().signal,
      timers: clock,
    });
    expect(await settle(clock, outcome)).toBe("finished");
    // 150 s of fake time on one stream: the 45 s idle timeout never fired.
    expect(calls).toEqual([0n]);
  });

  it("waits longer after each failure in a row, up to the maximum", async () => {
    const unavailable = () => ({ messages: [], ending: new ConnectError("down", Code.Unavailable) }) as Script;
    const { clock, statuses, outcome } = run([
      ...Array.from({ length: 7 }, unavailable),
      { messages: [finished(1)], ending: "end" },
    ]);
    expect(await settle(clock, outcome)).toBe("finished");
    const delays = statuses.flatMap((s) => (s.state === "reconnecting" ? [s.inMs] : []));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });

  it("gives up on errors a reconnect cannot fix, such as a refused key", async () => {
    const refused = new ConnectError("invalid credential", Code.Unauthenticated);
    const { clock, calls, statuses, outcome } = run([{ messages: [], ending: refused }]);
    expect(await settle(clock, outcome)).toBe("failed");
    expect(calls).toEqual([0n]);
    expect(statuses.at(-1)).toEqual({ state: "failed", error: refused });
  });

  it("stops when the view closes, also while waiting to reconnect", async () => {
    const abort = new AbortController();
    const { clock, calls, outcome } = run([{ messages: [progress(1)], ending: new ConnectError("down", Code.Unavailable) }], {
      abort,
    });
    await clock.flush();
    await clock.flush();
    abort.abort();
    expect(await settle(clock, outcome)).toBe("aborted");
    expect(calls).toEqual([0n]);
  });

  it("starts after the given sequence", async () => {
    const { clock, calls, events, outcome } = run([{ messages: [finished(8)], ending: "end" }], { afterSequence: 7n });
    expect(await settle(clock, outcome)).toBe("finished");
    expect(calls).toEqual([7n]);
    expect(events).toEqual([8n]);
  });
});
