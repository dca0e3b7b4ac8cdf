import { describe, expect, it } from "vitest";
import { nextWindowOpening, parsePlanWindow, windowContains } from "../../../../src/core/domain/node-plan/time-window.js";

describe("plan windows", () => {
  it("is always open without a window", () => {
    expect(windowContains(undefined, new Date("2026-12-06T12:00:00Z"))).toBe(true);
    expect(nextWindowOpening(undefined, new Date())).toBeUndefined();
  });

  it("opens on the listed days between start and end, in the window's time zone", () => {
    // 01:00-04:00 in Berlin (UTC+1 in December) on Mondays: 00:00-03:00 UTC.
    const window = parsePlanWindow({ days: ["monday"], startTime: "01:00", endTime: "04:00", timeZone: "Europe/Berlin" });
    expect(windowContains(window, new Date("2026-12-07T00:30:00Z"))).toBe(true); // Monday 01:30 Berlin
    expect(windowContains(window, new Date("2026-12-07T03:00:00Z"))).toBe(false); // Monday 04:00 Berlin: end is exclusive
    expect(windowContains(window, new Date("2026-12-06T23:59:00Z"))).toBe(false); // Monday 00:59 Berlin
    expect(windowContains(window, new Date("2026-12-08T00:30:00Z"))).toBe(false); // Tuesday
  });

  it("spans midnight when the end is before the start, judging the local day as the seed (kured) does", () => {
    const window = parsePlanWindow({ days: ["sat", "6"], startTime: "10pm", endTime: "2am" });
    expect(window?.days).toEqual([6]);
    expect(windowContains(window, new Date("2026-12-05T23:00:00Z"))).toBe(true); // Saturday 23:00
    expect(windowContains(window, new Date("2026-12-05T01:00:00Z"))).toBe(true); // Saturday 01:00
    expect(windowContains(window, new Date("2026-12-06T01:00:00Z"))).toBe(false); // Sunday 01:00
  });

  it("says when a closed window opens next, and that an open window is open now", () => {
    const window = parsePlanWindow({ days: ["monday"], startTime: "01:00", endTime: "04:00", timeZone: "Europe/Berlin" });
    const sunday = new Date("2026-12-06T12:00:00Z");
    expect(nextWindowOpening(window, sunday)?.toISOString()).toBe("2026-12-07T00:00:00.000Z");
    const inside = new Date("2026-12-07T01:00:00Z");
    expect(nextWindowOpening(window, inside)).toEqual(inside);
    // Just after it closed: the next Monday.
    expect(nextWindowOpening(window, new Date("2026-12-07T03:00:00Z"))?.toISOString()).toBe("2026-12-14T00:00:00.000Z");
  });

  it("follows daylight saving time: 01:00 New York is 06:00 UTC in winter, 05:00 in summer", () => {
    const window = parsePlanWindow({ startTime: "01:00", endTime: "02:00", timeZone: "America/New_York" });
    expect(nextWindowOpening(window, new Date("2026-01-10T12:00:00Z"))?.toISOString()).toBe("2026-01-11T06:00:00.000Z");
    expect(nextWindowOpening(window, new Date("2026-07-10T12:00:00Z"))?.toISOString()).toBe("2026-07-11T05:00:00.000Z");
  });

  it.each([
    [{ startTime: "01:00", endTime: "01:00" }, /never open/],
    [{ startTime: "25:00", endTime: "01:00" }, /not a time of day/],
    [{ startTime: "13pm", endTime: "01:00" }, /1\.\.12/],
    [{ startTime: "soon", endTime: "01:00" }, /not a time/],
    [{ startTime: "01:00", endTime: "02:00", timeZone: "Nowhere/Land" }, /not a known IANA time zone/],
  ])("refuses %j", (raw, message) => {
    expect(() => parsePlanWindow(raw)).toThrow(message);
  });
});
