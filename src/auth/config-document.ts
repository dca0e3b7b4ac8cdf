import { parse } from "yaml";

/**
 * Parses a configuration document, YAML or JSON (JSON is YAML), into a plain object. Returns
 * the problem instead of throwing; the message names `source` and never quotes the content,
 * which may hold secrets.
 */
export function parseConfigDocument(
  text: string,
  source: string,
  /**
   * "strings" reads every scalar as a string (YAML's failsafe schema): a SHA-256 of only digits, or
   * like `12e45...`, would otherwise become a number. Default: "typed" (YAML 1.2 core schema).
   */
  scalars: "typed" | "strings" = "typed",
): { value: Record<string, unknown> } | { problem: string } {
  let value: unknown;
  try {
    // Unique keys: a repeated key is far more likely a mistake than an intended override.
    value = parse(text, {
      uniqueKeys: true,
      prettyErrors: false,
      maxAliasCount: 0,
      ...(scalars === "strings" ? { schema: "failsafe" as const } : {}),
    });
  } catch (error) {
    const position = positionOf(error);
    return { problem: `${source} is not valid YAML or JSON${position}` };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { problem: `${source} must hold a mapping (an object) at the top level` };
  }
  return { value: value as Record<string, unknown> };
}

/** " (line N, column M)" from a yaml error, without its excerpt of the document. */
function positionOf(error: unknown): string {
  const linePos = (error as { linePos?: readonly { line: number; col: number }[] }).linePos?.[0];
  return linePos === undefined ? "" : ` (line ${linePos.line}, column ${linePos.col})`;
}

/** The keys of `raw` outside `known`, as a problem naming them and the known ones; undefined when none. */
export function unknownFields(raw: Record<string, unknown>, known: readonly string[], where: string): string | undefined {
  const unknown = Object.keys(raw).filter((key) => !known.includes(key));
  if (unknown.length === 0) return undefined;
  return `${where}: unknown field${unknown.length > 1 ? "s" : ""} ${unknown.map((key) => JSON.stringify(key)).join(", ")} (known: ${known.join(", ")})`;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
