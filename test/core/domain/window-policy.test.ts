import { describe, expect, it } from "vitest";
import type { PlanWindow } from "../../../src/core/domain/node-plan/node-upgrade-plan.js";
import { windowContains } from "../../../src/core/domain/node-plan/time-window.js";
import {
  closedWindow,
  describeWindow,
  nextCommonOpening,
  planWindows,
  updateWindows,
  type WindowPolicy,
} from "../../../src/core/domain/window-policy.js";

const hours = (h: number, m = 0) => h * 3600 + m * 60;
const window = (startSecond: number, endSecond: number, timeZone: string, days = [0, 1, 2, 3, 4, 5, 6]): PlanWindow => ({
  days,
  startSecond,
  endSecond,
  timeZone,
});
const policy = (name: string, w: PlanWindow, scope: Partial<WindowPolicy> = {}): WindowPolicy => ({ name, window: w, outside: "wait", ...scope });

/** The first whole minute at or after `at` when every window is open, found by trying each minute (the reference). */
function bruteForce(windows: readonly PlanWindow[], at: Date, limitDays = 10): Date | undefined {
  const first = Math.ceil(at.getTime() / 60_000) * 60_000;
  if (windows.every((w) => windowContains(w, at))) return at;
  for (let t = first; t < at.getTime() + limitDays * 86_400_000; t += 60_000) {
    if (windows.every((w) => windowContains(w, new Date(t)))) return new Date(t);
  }
  return undefined;
}

describe("update windows", () => {
  it("a window across midnight is open late in the evening and early in the morning, local time", () => {
    const nights = [policy("nights", window(hours(22), hours(6), "Europe/Berlin"))];
    // 23:30 in Berlin (UTC+1 in winter).
    expect(closedWindow(nights, new Date("2025-01-01T22:30:00Z"))).toBeUndefined();
    expect(closedWindow(nights, new Date("2025-01-02T04:59:00Z"))).toBeUndefined();
    const closed = closedWindow(nights, new Date("2025-01-02T05:30:00Z"));
    expect(closed).toMatchObject({ gate: "window", policy: 'window "nights"', action: "wait", notBefore: new Date("2025-01-02T21:00:00Z") });
    expect(closed?.reason).toBe('outside window "nights" (daily 22:00-06:00 Europe/Berlin); opens 2025-01-02T21:00:00.000Z');
  });

  it("follows daylight saving: the same local hours move in UTC across the spring and autumn changes", () => {
    const mornings = [policy("mornings", window(hours(9), hours(10), "Europe/Berlin"))];
    // Saturday 29 March 2025 09:00 CET is 08:00 UTC; Sunday 30 March (after the change to CEST) 09:00 is 07:00 UTC.
    expect(closedWindow(mornings, new Date("2025-03-29T12:00:00Z"))?.notBefore).toEqual(new Date("2025-03-30T07:00:00Z"));
    expect(closedWindow(mornings, new Date("2025-03-29T07:30:00Z"))?.notBefore).toEqual(new Date("2025-03-29T08:00:00Z"));
    // Autumn: Sunday 26 October 2025 back to CET.
    expect(closedWindow(mornings, new Date("2025-10-25T12:00:00Z"))?.notBefore).toEqual(new Date("2025-10-26T08:00:00Z"));
  });

  it("the next common opening of several windows matches a minute-by-minute search, across DST and midnight", () => {
    const cases: { windows: PlanWindow[]; at: string }[] = [
      // The hour New York skips (02:00-03:00 on 9 March 2025) and the one it repeats (01:00-02:00 on 2 November).
      { windows: [window(hours(2, 30), hours(3, 30), "America/New_York")], at: "2025-03-09T05:00:00Z" },
      { windows: [window(hours(1, 15), hours(1, 45), "America/New_York", [0])], at: "2025-11-01T12:00:00Z" },
      // Two zones whose windows overlap only for an hour; the overlap moves when one of them changes to summer time.
      {
        windows: [window(hours(8), hours(12), "Europe/Berlin", [1, 2, 3, 4, 5]), window(hours(5), hours(9), "America/New_York", [1, 2, 3, 4, 5])],
        at: "2025-03-07T16:00:00Z",
      },
      {
        windows: [window(hours(8), hours(12), "Europe/Berlin", [1, 2, 3, 4, 5]), window(hours(5), hours(9), "America/New_York", [1, 2, 3, 4, 5])],
        at: "2025-03-28T16:00:00Z",
      },
      // Across midnight, weekends only, in a zone east of UTC.
      { windows: [window(hours(23), hours(2), "Asia/Tokyo", [0, 6])], at: "2025-01-01T00:00:00Z" },
      // Open now: now.
      { windows: [window(hours(0), hours(23, 59), "UTC")], at: "2025-01-01T12:00:00Z" },
    ];
    for (const { windows, at } of cases) {
      expect(nextCommonOpening(windows, new Date(at)), `${windows.map(describeWindow).join(" and ")} from ${at}`).toEqual(bruteForce(windows, new Date(at)));
    }
  });

  it("says when windows are never open together", () => {
    const monday = window(hours(9), hours(10), "UTC", [1]);
    const tuesday = window(hours(9), hours(10), "UTC", [2]);
    expect(nextCommonOpening([monday, tuesday], new Date("2025-01-01T00:00:00Z"))).toBeUndefined();
    const closed = closedWindow([policy("mon", monday), policy("tue", tuesday)], new Date("2025-01-01T00:00:00Z"));
    expect(closed?.notBefore).toBeUndefined();
    expect(closed?.reason).toMatch(/never open together/);
  });

  it("a refusing policy decides over a waiting one", () => {
    const closed = closedWindow(
      [policy("wait", window(hours(9), hours(10), "UTC")), { ...policy("strict", window(hours(9), hours(10), "UTC")), outside: "refuse" }],
      new Date("2025-01-01T00:00:00Z"),
    );
    expect(closed).toMatchObject({ action: "refuse", policy: 'window "strict"' });
  });

  it("applies by classifier and namespace to updates, by name to node plans; an unscoped window to both", () => {
    const w = window(hours(9), hours(10), "UTC");
    const policies = [
      policy("shop", w, { classifiers: ["shop"] }),
      policy("prod", w, { namespaces: ["prod"] }),
      policy("kernel", w, { plans: ["kernel"] }),
      policy("all", w),
    ];
    expect(updateWindows(policies, "shop", new Set(["dev"])).map((p) => p.name)).toEqual(["shop", "all"]);
    expect(updateWindows(policies, "other", new Set(["prod"])).map((p) => p.name)).toEqual(["prod", "all"]);
    expect(planWindows(policies, "kernel").map((p) => p.name)).toEqual(["kernel", "all"]);
    expect(planWindows(policies, "firmware").map((p) => p.name)).toEqual(["all"]);
  });

  it("describes a window for people", () => {
    expect(describeWindow(window(hours(9), hours(17, 30), "Europe/Berlin", [1, 2, 3, 4, 5]))).toBe("Mon,Tue,Wed,Thu,Fri 09:00-17:30 Europe/Berlin");
    expect(describeWindow(window(hours(22), 45, "UTC"))).toBe("daily 22:00-00:00:45 UTC");
  });
});
