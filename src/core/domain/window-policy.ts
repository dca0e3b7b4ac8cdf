import type { ClosedGate, GateAction } from "./gate-wait.js";
import { type GateScope, inGateScope } from "./gate-scope.js";
import type { PlanWindow } from "./node-plan/node-upgrade-plan.js";
import { nextWindowOpening, windowContains } from "./node-plan/time-window.js";

/**
 * A time window updates may start in (UPDATE_MANAGER_POLICIES_FILE `windows`). It applies to updates whose
 * classifier and namespaces match, and to the node plans `plans` names; a policy naming none of classifiers,
 * namespaces and plans applies to every update and every node plan.
 */
export interface WindowPolicy extends GateScope {
  /** Names the policy in messages and events. */
  readonly name: string;
  /** Node upgrade plans it applies to. Undefined: none, unless the policy names no scope at all. */
  readonly plans?: readonly string[];
  readonly window: PlanWindow;
  /** Outside the window: the update waits for it to open, or is refused. */
  readonly outside: GateAction;
}

const dayAbbreviations = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** "Mon,Tue 09:00-17:00 Europe/Berlin" (every day: "daily"). */
export function describeWindow(window: PlanWindow): string {
  const clock = (second: number) => {
    const pad = (n: number) => String(n).padStart(2, "0");
    const rest = second % 60;
    return `${pad(Math.floor(second / 3600))}:${pad(Math.floor((second % 3600) / 60))}${rest === 0 ? "" : `:${pad(rest)}`}`;
  };
  const days = window.days.length === 7 ? "daily" : window.days.map((day) => dayAbbreviations[day]).join(",");
  return `${days} ${clock(window.startSecond)}-${clock(window.endSecond)} ${window.timeZone}`;
}

function unscoped(policy: WindowPolicy): boolean {
  return policy.classifiers === undefined && policy.namespaces === undefined && policy.plans === undefined;
}

/** The window policies that apply to an update of `classifier` changing `namespaces`. */
export function updateWindows(policies: readonly WindowPolicy[], classifier: string, namespaces: ReadonlySet<string>): WindowPolicy[] {
  return policies.filter((policy) => unscoped(policy) || ((policy.classifiers !== undefined || policy.namespaces !== undefined) && inGateScope(policy, classifier, namespaces)));
}

/** The window policies that apply to the node plan `plan`. */
export function planWindows(policies: readonly WindowPolicy[], plan: string): WindowPolicy[] {
  return policies.filter((policy) => unscoped(policy) || (policy.plans?.includes(plan) ?? false));
}

/**
 * The first instant at or after `at` when every window is open; undefined when they never are together within
 * a few weeks (windows on days that never meet).
 */
export function nextCommonOpening(windows: readonly PlanWindow[], at: Date): Date | undefined {
  let candidate = at;
  for (let round = 0; round < 64; round++) {
    let moved = false;
    for (const window of windows) {
      if (windowContains(window, candidate)) continue;
      const opening = openingAcrossGap(window, candidate, nextWindowOpening(window, candidate));
      if (opening === undefined) return undefined;
      candidate = opening;
      moved = true;
    }
    if (!moved) return candidate;
  }
  return undefined;
}

/**
 * The window gate of an update at `at`: undefined when every window that applies is open, else the first closed
 * one (a `refuse` policy first: it decides), with when they are all open next.
 */
export function closedWindow(policies: readonly WindowPolicy[], at: Date): ClosedGate | undefined {
  const closed = policies.filter((policy) => !windowContains(policy.window, at));
  if (closed.length === 0) return undefined;
  const first = closed.find((policy) => policy.outside === "refuse") ?? (closed[0] as WindowPolicy);
  const opening = nextCommonOpening(
    policies.map((policy) => policy.window),
    at,
  );
  return {
    gate: "window",
    policy: `window ${JSON.stringify(first.name)}`,
    reason:
      `outside window ${JSON.stringify(first.name)} (${describeWindow(first.window)})` +
      (opening === undefined ? "; the windows that apply are never open together" : `; opens ${opening.toISOString()}`),
    action: first.outside,
    ...(opening === undefined ? {} : { notBefore: opening }),
  };
}

const sixHoursMs = 6 * 3_600_000;
const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/** How far the zone's wall clock is ahead of UTC at `time` (whole seconds). */
function zoneOffsetMs(timeZone: string, time: number): number {
  let formatter = offsetFormatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    offsetFormatters.set(timeZone, formatter);
  }
  const parts: Record<string, number> = {};
  for (const part of formatter.formatToParts(new Date(time))) parts[part.type] = Number(part.value);
  const local = Date.UTC(parts["year"] ?? 0, (parts["month"] ?? 1) - 1, parts["day"] ?? 1, parts["hour"] ?? 0, parts["minute"] ?? 0, parts["second"] ?? 0);
  return local - (time - (((time % 1000) + 1000) % 1000));
}

/**
 * `opening` (the window's next opening as its start time computes it), or earlier: a window whose start time a
 * daylight-saving change skips that day (02:30 on the day clocks jump from 02:00 to 03:00) opens at the change
 * itself when the rest of it is still ahead (03:00-03:30). The changes between `at` and `opening` (or 8 days on)
 * are found by their offsets and looked at.
 */
function openingAcrossGap(window: PlanWindow, at: Date, opening: Date | undefined): Date | undefined {
  const end = opening?.getTime() ?? at.getTime() + 8 * 86_400_000;
  for (let from = at.getTime(); from < end; from += sixHoursMs) {
    const to = Math.min(from + sixHoursMs, end);
    const before = zoneOffsetMs(window.timeZone, from);
    if (zoneOffsetMs(window.timeZone, to) === before) continue;
    // The first second with the new offset.
    let low = Math.floor(from / 1000);
    let high = Math.ceil(to / 1000);
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (zoneOffsetMs(window.timeZone, middle * 1000) === before) low = middle;
      else high = middle;
    }
    const change = new Date(high * 1000);
    if (change.getTime() > at.getTime() && change.getTime() < end && windowContains(window, change)) return change;
  }
  return opening;
}
