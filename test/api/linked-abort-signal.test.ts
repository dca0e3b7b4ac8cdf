import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { linkAbortSignals } from "../../src/api/linked-abort-signal.js";

describe("linkAbortSignals", () => {
  it("aborts when any source aborts, with its reason", () => {
    const request = new AbortController();
    const shutdown = new AbortController();
    const linked = linkAbortSignals([request.signal, shutdown.signal]);
    expect(linked.signal.aborted).toBe(false);
    shutdown.abort(new Error("shutting down"));
    expect(linked.signal.aborted).toBe(true);
    expect((linked.signal.reason as Error).message).toBe("shutting down");
  });

  it("is aborted at once when a source already is", () => {
    const request = new AbortController();
    request.abort("gone");
    expect(linkAbortSignals([request.signal, new AbortController().signal]).signal.reason).toBe("gone");
  });

  it("leaves no listener on a long-lived source after 10,000 streams opened and closed", () => {
    const shutdown = new AbortController();
    for (let i = 0; i < 10_000; i++) {
      const request = new AbortController();
      const linked = linkAbortSignals([request.signal, shutdown.signal]);
      if (i % 2 === 0) request.abort(); // a client that went away
      linked.dispose(); // the stream ended
    }
    expect(getEventListeners(shutdown.signal, "abort")).toHaveLength(0);
    // Open streams hold one listener each, until they end.
    const open = Array.from({ length: 3 }, () => linkAbortSignals([new AbortController().signal, shutdown.signal]));
    expect(getEventListeners(shutdown.signal, "abort")).toHaveLength(3);
    for (const linked of open) linked.dispose();
    expect(getEventListeners(shutdown.signal, "abort")).toHaveLength(0);
  });
});
