/**
 * Sent findings as stored (a file, a ConfigMap's data): per channel, the finding hashes oldest first, joined by
 * newlines (11 characters and a newline each: 10,000 findings take 120 KB).
 */
export function encodeFindings(findings: Readonly<Record<string, readonly string[]>>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(findings).map(([channel, list]) => [channel, list.join("\n")])));
}

/** Reads what encodeFindings wrote; anything else throws. */
export function decodeFindings(text: string): Record<string, string[]> {
  const value: unknown = JSON.parse(text);
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error("not a JSON object");
  const findings: Record<string, string[]> = {};
  for (const [channel, list] of Object.entries(value)) {
    if (typeof list === "string") findings[channel] = list.split("\n").filter((finding) => finding !== "");
  }
  return findings;
}
