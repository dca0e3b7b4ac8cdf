import { describe, expect, it } from "vitest";
import { updateEventBytes } from "../../../src/core/domain/update-event-size.js";
import type { UpdateEvent } from "../../../src/core/domain/update-event.js";

const at = new Date("2026-12-06T22:00:00.000Z");

describe("an update event's size in a watcher's buffer", () => {
  it("is the UTF-8 length of its JSON form, multi-byte characters included", () => {
    const event: UpdateEvent = {
      sequence: 7,
      time: at,
      type: "finished",
      state: "failed",
      reason: "Grüße: rollout stalled 🚧 (原因)",
    } as UpdateEvent;
    expect(updateEventBytes(event)).toBe(Buffer.byteLength(JSON.stringify(event), "utf8"));
  });

  it("grows with the event's text", () => {
    const event = (reason: string) => ({ sequence: 1, time: at, type: "finished", state: "failed", reason }) as UpdateEvent;
    expect(updateEventBytes(event("x".repeat(10_000))) - updateEventBytes(event(""))).toBe(10_000);
  });
});
