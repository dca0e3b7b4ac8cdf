import { InvalidPlanSpec } from "./invalid-plan-spec.js";
import type { PlanWindow } from "./node-upgrade-plan.js";

const dayNames: readonly (readonly string[])[] = [
  ["0", "su", "sun", "sunday"],
  ["1", "mo", "mon", "monday"],
  ["2", "tu", "tue", "tuesday"],
  ["3", "we", "wed", "wednesday"],
  ["4", "th", "thu", "thursday"],
  ["5", "fr", "fri", "friday"],
  ["6", "sa", "sat", "saturday"],
];
const weekdayIndex: Readonly<Record<string, number>> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
/** The forms kured's time windows (the seed's) accept: 15:04, 15:04:05, 03:04pm, 3:04pm, 15, 03pm, 3pm. */
const clockTime = /^(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*(am|pm)?$/i;

/**
 * Parses the Plan's `window` ({days, startTime, endTime, timeZone}). Absent: always open. Empty `days`: every day.
 * An unknown time zone, day or time, or a window whose start equals its end (it would never open), is refused.
 */
export function parsePlanWindow(raw: unknown, field = "spec.window"): PlanWindow | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "object" || Array.isArray(raw)) throw new InvalidPlanSpec("InvalidWindow", field, "must be {days, startTime, endTime, timeZone}");
  const { days, startTime, endTime, timeZone } = raw as Record<string, unknown>;
  const zone = timeZone === undefined || timeZone === null || timeZone === "" ? "UTC" : timeZone;
  if (typeof zone !== "string" || !isTimeZone(zone)) {
    throw new InvalidPlanSpec("InvalidWindow", `${field}.timeZone`, `${JSON.stringify(timeZone)} is not a known IANA time zone`);
  }
  const dayList = days === undefined || days === null ? [] : days;
  if (!Array.isArray(dayList)) throw new InvalidPlanSpec("InvalidWindow", `${field}.days`, "must be a list of days");
  const parsedDays = dayList.map((day: unknown) => {
    const index = dayNames.findIndex((names) => typeof day === "string" && names.includes(day.toLowerCase()));
    if (index === -1) throw new InvalidPlanSpec("InvalidWindow", `${field}.days`, `${JSON.stringify(day)} is not a day (sunday..saturday, sun, su or 0..6)`);
    return index;
  });
  const startSecond = parseClockTime(startTime, `${field}.startTime`);
  const endSecond = parseClockTime(endTime, `${field}.endTime`);
  if (startSecond === endSecond) {
    throw new InvalidPlanSpec("InvalidWindow", field, "startTime equals endTime: the window would never open");
  }
  return {
    days: parsedDays.length === 0 ? [0, 1, 2, 3, 4, 5, 6] : [...new Set(parsedDays)].sort(),
    startSecond,
    endSecond,
    timeZone: zone,
  };
}

function parseClockTime(raw: unknown, field: string): number {
  const match = typeof raw === "string" ? clockTime.exec(raw.trim()) : null;
  if (match === null) throw new InvalidPlanSpec("InvalidWindow", field, `${JSON.stringify(raw)} is not a time such as 22:00, 22:00:00 or 10pm`);
  let hour = Number(match[1]);
  const minute = match[2] === undefined ? 0 : Number(match[2]);
  const second = match[3] === undefined ? 0 : Number(match[3]);
  const meridiem = match[4]?.toLowerCase();
  if (meridiem !== undefined) {
    if (hour < 1 || hour > 12) throw new InvalidPlanSpec("InvalidWindow", field, `${JSON.stringify(raw)}: the hour must be 1..12 with am/pm`);
    hour = (hour % 12) + (meridiem === "pm" ? 12 : 0);
  }
  if (hour > 23 || minute > 59 || second > 59) throw new InvalidPlanSpec("InvalidWindow", field, `${JSON.stringify(raw)} is not a time of day`);
  return hour * 3600 + minute * 60 + second;
}

function isTimeZone(zone: string): boolean {
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      weekday: "short",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

interface WallClock {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly weekday: number;
  readonly second: number;
}

function wallClock(at: Date, timeZone: string): WallClock {
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(at)) parts[part.type] = part.value;
  return {
    year: Number(parts["year"]),
    month: Number(parts["month"]),
    day: Number(parts["day"]),
    weekday: weekdayIndex[parts["weekday"] as string] as number,
    second: Number(parts["hour"]) * 3600 + Number(parts["minute"]) * 60 + Number(parts["second"]),
  };
}

/**
 * True when `at` lies in the window. As kured (the seed's time windows) judges it: the local day must be one of
 * `days`; a window whose end is before its start spans midnight, so on an allowed day it is open before the end
 * and after the start.
 */
export function windowContains(window: PlanWindow | undefined, at: Date): boolean {
  if (window === undefined) return true;
  const local = wallClock(at, window.timeZone);
  if (!window.days.includes(local.weekday)) return false;
  if (window.startSecond < window.endSecond) return local.second >= window.startSecond && local.second < window.endSecond;
  return local.second >= window.startSecond || local.second < window.endSecond;
}

/** The instant of a local wall-clock time in `timeZone` (the first, when daylight saving repeats it). */
function instantOf(year: number, month: number, day: number, second: number, timeZone: string): Date {
  const asUtc = Date.UTC(year, month - 1, day) + second * 1000;
  let instant = asUtc;
  // Two corrections settle the zone's offset, also across a daylight-saving change.
  for (let i = 0; i < 2; i++) {
    const local = wallClock(new Date(instant), timeZone);
    const localAsUtc = Date.UTC(local.year, local.month - 1, local.day) + local.second * 1000;
    instant += asUtc - localAsUtc;
  }
  return new Date(instant);
}

/**
 * When the window next opens at or after `at`: `at` itself when it is open, undefined when there is no window.
 * Shown in the plan's status so that operators see when a waiting plan will run.
 */
export function nextWindowOpening(window: PlanWindow | undefined, at: Date): Date | undefined {
  if (window === undefined || windowContains(window, at)) return window === undefined ? undefined : at;
  const today = wallClock(at, window.timeZone);
  const spansMidnight = window.startSecond > window.endSecond;
  let best: Date | undefined;
  for (let offset = 0; offset <= 8; offset++) {
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day + offset));
    const candidates = [window.startSecond, ...(spansMidnight ? [0] : [])];
    for (const second of candidates) {
      const instant = instantOf(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), second, window.timeZone);
      if (instant.getTime() <= at.getTime() || !windowContains(window, instant)) continue;
      if (best === undefined || instant < best) best = instant;
    }
    if (best !== undefined) return best;
  }
  return best;
}
