import { describe, expect, it } from "vitest";
import { parseDuration } from "../../src/config/duration.js";

describe("parseDuration", () => {
  it.each([
    ["15m", 900_000],
    ["90s", 90_000],
    ["1h30m", 5_400_000],
    ["1.5s", 1500],
    ["250ms", 250],
    ["2h0m0s", 7_200_000],
    [".5m", 30_000],
    ["1500us", 2],
    ["0", 0],
    ["0s", 0],
  ])("reads %s as %i ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "15", "m", "-5s", "1d", "15 m", "1h 30m", "1.2.3s", "s15", "15M"])("rejects %j", (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
