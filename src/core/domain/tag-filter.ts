import { invalidArgument } from "./domain-error.js";
import { checkTagPattern } from "./tag-pattern-guard.js";
import { maxTagLength } from "./version-tag.js";

/**
 * A tag filter with extraction, like flux's ImagePolicy `filterTags`: tags that do not match `pattern` are
 * dropped; for the others the policy orders the value `extract` expands to instead of the tag itself.
 */
export interface TagFilterOptions {
  /** Regular expression (JavaScript syntax) a tag must match; see tag-pattern-guard.ts for what is refused. */
  readonly pattern: string;
  /**
   * Template of the value to order by: `$name` / `${name}` for a named group, `$1`..`$9` for a numbered one,
   * `$$` for a literal "$". Default: the whole tag.
   */
  readonly extract?: string;
}

/** Maps a tag to the value a policy orders it by; undefined when the tag is filtered out. */
export type TagFilter = (tag: string) => string | undefined;

type Part = string | { readonly group: string | number };

/**
 * Builds a tag filter, checking the pattern (no catastrophic backtracking) and that every group the
 * template names exists.
 *
 * @param fields the annotation names for errors. Default: "filter" and "extract".
 * @throws DomainError invalid-argument for a refused pattern or a bad template.
 */
export function createTagFilter(
  options: TagFilterOptions,
  fields: { pattern: string; extract: string } = { pattern: "filter", extract: "extract" },
): TagFilter {
  const checked = checkTagPattern(options.pattern, fields.pattern);
  const parts = options.extract === undefined ? undefined : parseTemplate(options.extract, fields.extract);
  for (const part of parts ?? []) {
    if (typeof part === "string") continue;
    const exists =
      typeof part.group === "number" ? part.group <= checked.groupCount : checked.groupNames.includes(part.group);
    if (!exists) {
      throw invalidArgument(
        fields.extract,
        `${fields.extract}: ${JSON.stringify(options.extract)} refers to group "${part.group}", which the pattern ` +
          `does not have (named groups: ${checked.groupNames.length === 0 ? "none" : checked.groupNames.join(", ")}; ` +
          `${checked.groupCount} groups in all)`,
      );
    }
  }
  return (tag) => {
    if (tag.length > maxTagLength) return undefined;
    const match = checked.regex.exec(tag);
    if (match === null) return undefined;
    if (parts === undefined) return tag;
    return parts
      .map((part) =>
        typeof part === "string"
          ? part
          : ((typeof part.group === "number" ? match[part.group] : match.groups?.[part.group]) ?? ""),
      )
      .join("");
  };
}

function parseTemplate(template: string, field: string): Part[] {
  const parts: Part[] = [];
  let literal = "";
  let i = 0;
  while (i < template.length) {
    const char = template[i]!;
    if (char !== "$") {
      literal += char;
      i++;
      continue;
    }
    const rest = template.slice(i + 1);
    const match = /^(?:\$|\{([A-Za-z_][A-Za-z0-9_]*|[0-9])\}|([0-9])|([A-Za-z_][A-Za-z0-9_]*))/.exec(rest);
    if (match === null) {
      throw invalidArgument(
        field,
        `${field}: ${JSON.stringify(template)} has a "$" at index ${i} that is not followed by a group ` +
          `("$name", "\${name}", "$1") or another "$"`,
      );
    }
    i += 1 + match[0].length;
    if (match[0] === "$") {
      literal += "$";
      continue;
    }
    if (literal !== "") parts.push(literal);
    literal = "";
    const name = match[1] ?? match[2] ?? match[3]!;
    parts.push({ group: /^[0-9]$/.test(name) ? Number(name) : name });
  }
  if (literal !== "") parts.push(literal);
  if (!parts.some((part) => typeof part !== "string")) {
    throw invalidArgument(field, `${field}: ${JSON.stringify(template)} refers to no group of the pattern`);
  }
  return parts;
}
