import { isStringList } from "../auth/access-grant.js";

/** An optional non-empty list of valid strings; undefined when left out (or after a problem). */
export function optionalStringList(
  raw: Record<string, unknown>,
  field: string,
  where: string,
  problems: string[],
  check: (value: string) => string | undefined,
): string[] | undefined {
  const value = raw[field];
  if (value === undefined) return undefined;
  if (!isStringList(value) || value.length === 0) {
    problems.push(`${where}: "${field}" must be a non-empty list of strings (leave it out to match any)`);
    return undefined;
  }
  let ok = true;
  for (const entry of value) {
    const why = check(entry);
    if (why !== undefined) {
      problems.push(`${where}: "${field}": ${why}`);
      ok = false;
    }
  }
  return ok ? [...new Set(value)] : undefined;
}
