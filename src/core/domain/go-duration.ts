const unitMs: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const component = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * Parses a Go-style duration (`time.ParseDuration`) such as "15m", "90s", "1h30m" or "1.5s" into milliseconds,
 * as the original's configuration used them. Negative durations are not accepted; "0" is. Returns undefined
 * when the text is not a duration.
 */
export function parseDuration(text: string): number | undefined {
  if (text === "0") return 0;
  if (text === "") return undefined;
  let total = 0;
  component.lastIndex = 0;
  while (component.lastIndex < text.length) {
    const start = component.lastIndex;
    const match = component.exec(text);
    if (match === null || match.index !== start) return undefined;
    const [, amount, unit] = match;
    total += Number(amount) * (unitMs[unit as string] as number);
  }
  return Number.isFinite(total) ? Math.round(total) : undefined;
}
